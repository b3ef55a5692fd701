"""``python -m ratecheck.bench [options]``: the ``ratecheck bench`` command on its own."""
import sys

from .command import main

sys.exit(main())
