"""``python -m local_runner`` runs the ``strong-back`` command."""

import sys

from local_runner.cli import main

sys.exit(main())
