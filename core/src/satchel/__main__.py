"""``python -m satchel``: the same as the ``satchel`` command."""

from __future__ import annotations

import sys

from satchel.cli import main

sys.exit(main())
