"""``python -m mlsysim.cli``: the same command line as the ``mlsysim`` script."""

import sys

from mlsysim.cli import main

sys.exit(main())
