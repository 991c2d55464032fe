"""``python -m mom_micro.cli``: the same as the ``mom-micro`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
