"""``python -m warehouse.export``: write, audit and publish one run date's audience files."""

import sys

from warehouse.export.cli import main

sys.exit(main())
