"""The building block for data pipelines: one repairer per process and config, and Series repair.

Every integration (Scrapy, datatrove, Spark, pandas, ``--jobs`` worker processes) is a thin layer
over two things here:

* :func:`get_repairer` returns a :class:`Repairer` for a :class:`~vn_repair.Config`, built once per
  process and config.  Building it loads the language model, so a worker process that handles a
  million records loads the model once, not once per record or per batch.  The config is frozen,
  hashable and picklable: frameworks ship the config to their workers, never the model.
* :func:`repair_series` repairs a pandas Series of text, keeping its index, name, dtype and
  missing values (None, NaN, ``pd.NA``).

Each value given to a repairer is one *document* for the engine's per-document damage estimate,
so give it whole records (a page, an article, a chunk of consecutive lines), not single words.

>>> from vn_repair.pipeline import get_repairer
>>> fix = get_repairer()
>>> fix("Hoa\\u0300 bi\\u0300nh")
'Hoà bình'
>>> get_repairer() is fix
True
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import api
from .config import Config
from .edits import Repaired

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Repairer", "get_repairer", "load_count", "make_config", "repair_series"]

_lock = threading.Lock()
_repairers: dict[Config, Repairer] = {}


@dataclass(frozen=True)
class Repairer:
    """A callable that repairs text with one fixed config: ``Repairer(config)(text) -> str``.

    Get one from :func:`get_repairer`, which builds it (and loads its model) once per process.
    It holds no model itself, so pickling it ships only the config.
    """

    config: Config

    def __call__(self, text: str) -> str:
        """Repair ``text`` (one document) and return the result."""
        return api.repair(text, self.config)

    def explain(self, text: str) -> Repaired:
        """Repair ``text`` and say how: the :class:`~vn_repair.Repaired` text and edits."""
        return api.repair_and_explain(text, self.config)


def make_config(config: Config | None = None, **overrides: Any) -> Config:
    """``config`` (default :class:`Config()`) with keyword ``overrides`` applied.

    Raises TypeError for a ``config`` that is not a :class:`Config` (a dict is a common slip) and
    for unknown option names.
    """
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        raise TypeError(f"config must be a vn_repair.Config, not {type(config).__name__}; "
                        "pass options as keyword arguments or build Config(**options)")
    return config.with_overrides(**overrides)


def _load_model(config: Config) -> None:
    if config.restore:
        # The engine caches its model per Config.model (vn_repair.restore.get_restorer): configs
        # that differ only in other options share one load.
        from .restore import get_restorer

        get_restorer(config.model)


def get_repairer(config: Config | None = None, **overrides: Any) -> Repairer:
    """The process's :class:`Repairer` for ``config`` with ``overrides`` applied.

    The first call for a config in a process builds the repairer and loads its model (unless the
    config has ``restore=False``, which needs none, or another config already loaded the same
    ``Config.model``); later calls return the same object at the cost of a dict look-up.
    Thread-safe: two threads asking at once still load once.
    """
    cfg = make_config(config, **overrides)
    found = _repairers.get(cfg)
    if found is not None:
        return found
    with _lock:
        found = _repairers.get(cfg)
        if found is None:
            _load_model(cfg)
            found = Repairer(cfg)
            _repairers[cfg] = found
    return found


def load_count() -> int:
    """How many times this process has loaded a language model (the engine's own count).

    Pipelines use it to check that a worker loads the model once, not once per batch or task.  A
    process forked from one that had loaded the model inherits both the model and the count.
    """
    from .restore import model_load_count

    return model_load_count()


def _is_text_dtype(dtype: Any) -> bool:
    import pandas as pd

    return dtype == object or isinstance(dtype, pd.StringDtype)


def repair_series(series: pd.Series, config: Config | None = None, **overrides: Any) -> pd.Series:
    """Repair every text of ``series`` (each value one document) and return a new Series.

    The result has the same index, name and dtype (object, ``"string"`` or pandas 3's ``"str"``);
    missing values (None, NaN, ``pd.NA``) stay as they were.  A value that is neither text nor
    missing raises TypeError naming its index label: repairing ``str(42)`` silently would hide a
    wrong column.
    """
    import pandas as pd

    if not isinstance(series, pd.Series):
        raise TypeError(f"repair_series expects a pandas Series, not {type(series).__name__}")
    if not _is_text_dtype(series.dtype):
        raise TypeError(f"repair_series expects a Series of text (object or string dtype), "
                        f"not dtype {series.dtype}; convert it with .astype('string') first")
    fix = get_repairer(config, **overrides)
    values = series.tolist()
    missing = series.isna().tolist()
    out: list[Any] = []
    for label, value, na in zip(series.index, values, missing):
        if na:
            out.append(value)
        elif isinstance(value, str):
            out.append(fix(value))
        else:
            raise TypeError(f"repair_series: the value at index {label!r} is {type(value).__name__}, "
                            "not str; only text and missing values can be repaired")
    return pd.Series(out, index=series.index, name=series.name, dtype=series.dtype)
