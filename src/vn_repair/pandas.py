"""A ``.vn`` accessor for pandas Series of text, registered when this module is imported.

>>> import pandas as pd
>>> import vn_repair.pandas  # noqa: F401  (registers the accessor)
>>> s = pd.Series(["Hoa\\u0300 bi\\u0300nh", None], dtype=object)
>>> s.vn.repair().tolist()
['Hoà bình', None]

Importing it is the opt-in: ``import vn_repair`` alone never imports pandas.  Each value is one
document for the engine's damage estimate; missing values stay missing.  Install pandas with
``pip install vn-repair[pandas]``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .config import Config
from .pipeline import _is_text_dtype, get_repairer, repair_series

__all__ = ["VnAccessor"]


@pd.api.extensions.register_series_accessor("vn")
class VnAccessor:
    """``series.vn``: Vietnamese repair for a Series of object or string dtype."""

    def __init__(self, series: pd.Series) -> None:
        if not _is_text_dtype(series.dtype):
            # AttributeError is what pandas expects from an accessor that does not apply (as
            # ``.str`` on numbers), so hasattr(series, "vn") answers False.
            raise AttributeError(f"the .vn accessor works on Series of text (object or string dtype), "
                                 f"not dtype {series.dtype}")
        self._series = series

    def repair(self, config: Config | None = None, **overrides: Any) -> pd.Series:
        """The repaired texts, as :func:`vn_repair.pipeline.repair_series` returns them."""
        return repair_series(self._series, config, **overrides)

    def repair_and_explain(self, config: Config | None = None, **overrides: Any) -> pd.Series:
        """A Series of :class:`~vn_repair.Repaired` (text and edits), object dtype, same index and
        name; missing values stay missing (as they were: None, NaN or ``pd.NA``)."""
        fix = get_repairer(config, **overrides)
        s = self._series
        out: list[Any] = []
        for label, value, na in zip(s.index, s.tolist(), s.isna().tolist()):
            if na:
                out.append(value)
            elif isinstance(value, str):
                out.append(fix.explain(value))
            else:
                raise TypeError(f"repair_and_explain: the value at index {label!r} is "
                                f"{type(value).__name__}, not str")
        return pd.Series(out, index=s.index, name=s.name, dtype=object)
