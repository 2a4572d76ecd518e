"""``python -m vn_repair``: the same as the ``vn-repair`` command."""

from .cli import main

raise SystemExit(main())
