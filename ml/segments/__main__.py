"""``python -m ml.segments --run-date YYYY-MM-DD``."""

import sys

from ml.cli import run
from ml.segments import train_and_score

if __name__ == "__main__":
    sys.exit(
        run(
            "python -m ml.segments",
            "Train, register and score the customer segments.",
            train_and_score,
        )
    )
