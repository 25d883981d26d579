"""Run by test_task_classify.py in a subprocess: train the tiny classify run of the CLI test
with the Python API and SIGKILL this process right after step ``KILL_AT``."""

import os
import signal
import sys

from kexue.tasks import train


def main(train_file: str, dev_file: str, out: str, kill_at: str) -> None:
    def on_step(step: int) -> None:
        if step == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)

    train("classify", train=train_file, dev=dev_file, out=out, scratch="2x32x4", batch_size=16,
          lr=3e-3, epochs=3, save_every=3, progress=False, on_step=on_step)


if __name__ == "__main__":
    main(*sys.argv[1:])
