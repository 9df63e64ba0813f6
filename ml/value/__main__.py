"""``python -m ml.value --run-date YYYY-MM-DD``."""

import sys

from ml.cli import run
from ml.value import train_and_score

if __name__ == "__main__":
    sys.exit(
        run(
            "python -m ml.value",
            "Fit, register and score the customer value model (BG/NBD and Gamma-Gamma).",
            train_and_score,
        )
    )
