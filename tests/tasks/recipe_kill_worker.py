"""Run by the extraction recipe tests in a subprocess: train a recipe with the Python API and
SIGKILL this process right after step ``KILL_AT``.

    python recipe_kill_worker.py RECIPE TRAIN DEV OUT KILL_AT '{"epochs": 2, ...}'
"""

import json
import os
import signal
import sys

from kexue.tasks import train


def main(recipe: str, train_file: str, dev_file: str, out: str, kill_at: str, options: str) -> None:
    def on_step(step: int) -> None:
        if step == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)

    train(recipe, train=train_file, dev=dev_file, out=out, progress=False, on_step=on_step,
          **json.loads(options))


if __name__ == "__main__":
    main(*sys.argv[1:])
