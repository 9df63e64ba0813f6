"""``python -m warehouse.load``: load the landing folder into ``raw``."""

import sys

from warehouse.load.cli import main

sys.exit(main())
