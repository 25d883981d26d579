"""Run by the generation recipe tests in a subprocess: train RECIPE with the Python API (the
keyword arguments as JSON) and SIGKILL this process right after step ``KILL_AT``."""

import json
import os
import signal
import sys

from kexue.tasks import train


def main(recipe: str, train_file: str, dev_file: str, out: str, kill_at: str, kwargs: str) -> None:
    def on_step(step: int) -> None:
        if step == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)

    train(recipe, train=train_file, dev=dev_file, out=out, progress=False, on_step=on_step,
          **json.loads(kwargs))


if __name__ == "__main__":
    main(*sys.argv[1:])
