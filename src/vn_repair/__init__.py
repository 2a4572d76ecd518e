"""vn-repair: repair damaged Vietnamese text.

>>> import vn_repair
>>> vn_repair.repair("Hoa\\u0300 bi\\u0300nh")
'Hoà bình'
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import normalize, repair, repair_and_explain
from .config import DAMAGE_KINDS, Config
from .edits import Edit, Repaired, apply_edits

__all__ = [
    "DAMAGE_KINDS",
    "Config",
    "Edit",
    "Repaired",
    "__version__",
    "apply_edits",
    "normalize",
    "repair",
    "repair_and_explain",
]
