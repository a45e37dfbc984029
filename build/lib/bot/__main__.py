"""`python -m bot` is the same as `groundline`."""

import sys

from bot.cli import main

sys.exit(main())
