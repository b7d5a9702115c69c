"""``python -m nbshelf.cli``: the ``nbshelf`` command."""

import sys

from . import main

sys.exit(main())
