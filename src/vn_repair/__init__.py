"""vn-repair: repair damaged Vietnamese text.

>>> import vn_repair
>>> vn_repair.repair("Hoa\\u0300 bi\\u0300nh")
'Hoà bình'

The public API: :func:`repair` and its explaining twin :func:`repair_and_explain`,
:func:`normalize` (no language model), :func:`decode_bytes` for bytes in an unknown encoding,
the frozen :class:`Config`, and the :class:`Edit` records with :func:`apply_edits`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from .api import normalize, repair, repair_and_explain
from .config import DAMAGE_KINDS, Config
from .edits import Edit, Repaired, apply_edits

__all__ = [
    "DAMAGE_KINDS",
    "Config",
    "DecodedText",
    "Edit",
    "Repaired",
    "__version__",
    "apply_edits",
    "decode_bytes",
    "normalize",
    "repair",
    "repair_and_explain",
]


def __getattr__(name: str) -> Any:
    # The encoding tables load on first use, not at import: most callers never need them.
    if name in ("decode_bytes", "DecodedText"):
        from . import encodings

        return getattr(encodings, name)
    raise AttributeError(f"module 'vn_repair' has no attribute {name!r}")
