"""A Scrapy item pipeline that repairs the text fields of scraped items.

Enable it in ``settings.py``::

    ITEM_PIPELINES = {"vn_repair.integrations.scrapy.VnRepairPipeline": 300}
    VN_REPAIR_FIELDS = ["title", "body"]      # default: every text field of the item
    VN_REPAIR_TONE_STYLE = "new"              # any Config option as VN_REPAIR_<NAME>
    VN_REPAIR_THRESHOLD = 0.95

Settings:

``VN_REPAIR_ENABLED``
    ``False`` turns the pipeline off (Scrapy then drops it: NotConfigured).  Default on.
``VN_REPAIR_FIELDS``
    Names of the fields to repair (a list, or a comma-separated string on the command line).  A
    named field that is missing or None is skipped; one that holds something other than text or a
    list of text raises TypeError.  Empty (the default): every field that holds text or a list of
    text is repaired, and other fields are left alone.
``VN_REPAIR_<OPTION>``
    Each field of :class:`vn_repair.Config`, upper-cased: ``VN_REPAIR_NFC``, ``VN_REPAIR_TONE_STYLE``,
    ``VN_REPAIR_DAMAGE``, ``VN_REPAIR_DAMAGE_RATE``, ``VN_REPAIR_THRESHOLD``, ``VN_REPAIR_MODEL``...
    Values given as strings (``scrapy crawl -s VN_REPAIR_THRESHOLD=0.95``) are converted.  An unknown
    ``VN_REPAIR_*`` setting raises ValueError naming the known ones: a typo must not pass unnoticed.

A text field is one document for the engine's damage estimate; a list of text (paragraphs) is
repaired as one document too, element by element.  Works with every item type itemadapter knows
(dict, scrapy.Item, dataclass, attrs).  Stats: ``vn_repair/items`` (items seen),
``vn_repair/items_changed`` and ``vn_repair/fields_changed``.  The model is loaded once per
process, when the spider opens.

Install with ``pip install vn-repair[scrapy]``.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..config import Config
from ..parallel import repair_chunk
from ..pipeline import Repairer, get_repairer

__all__ = ["SETTINGS_PREFIX", "VnRepairPipeline", "config_from_settings"]

SETTINGS_PREFIX = "VN_REPAIR_"

_PIPELINE_SETTINGS = frozenset({"ENABLED", "FIELDS"})


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"setting {name} must be a boolean, not {value!r}")


def _float_or_none(name: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    return _float(name, value)


def _float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting {name} must be a number, not {value!r}") from None


def _str_or_none(name: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    return str(value)


def _converter(default: Any, type_text: str) -> Any:
    # Config's annotations are strings (postponed evaluation); its defaults tell the kind well
    # enough: bools, floats, optional floats, and everything else passed on as given.
    if isinstance(default, bool):
        return _bool
    if isinstance(default, float):
        return _float
    if default is None and "float" in type_text:
        return _float_or_none
    if default is None:
        return _str_or_none
    return lambda name, value: value


def config_from_settings(settings: Any) -> Config:
    """A :class:`Config` from the ``VN_REPAIR_<OPTION>`` entries of Scrapy ``settings``.

    Raises ValueError for an unknown ``VN_REPAIR_*`` name or a value of the wrong kind.
    """
    options = {f.name.upper(): f for f in fields(Config)}
    overrides: dict[str, Any] = {}
    for key in list(settings):
        if not isinstance(key, str) or not key.startswith(SETTINGS_PREFIX):
            continue
        name = key[len(SETTINGS_PREFIX):]
        if name in _PIPELINE_SETTINGS:
            continue
        field = options.get(name)
        if field is None:
            known = sorted(SETTINGS_PREFIX + n for n in (*options, *_PIPELINE_SETTINGS))
            raise ValueError(f"unknown setting {key}; known: {', '.join(known)}")
        default = field.default if field.default is not MISSING else None
        overrides[field.name] = _converter(default, str(field.type))(key, settings[key])
    return Config().with_overrides(**overrides)


class VnRepairPipeline:
    """Repairs the text fields of each item in place and returns the item.

    Build it through Scrapy (``ITEM_PIPELINES``), which calls :meth:`from_crawler`, or directly
    with a config and field names for use outside a crawl.
    """

    def __init__(self, config: Config | None = None, fields: tuple[str, ...] = (),
                 stats: Any = None) -> None:
        self.config = config if config is not None else Config()
        self.fields = tuple(fields)
        self.stats = stats
        self._repairer: Repairer | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> VnRepairPipeline:
        settings = crawler.settings
        if not settings.getbool(SETTINGS_PREFIX + "ENABLED", True):
            raise NotConfigured(f"{SETTINGS_PREFIX}ENABLED is off")
        names = tuple(f.strip() for f in settings.getlist(SETTINGS_PREFIX + "FIELDS") if f.strip())
        return cls(config_from_settings(settings), names, crawler.stats)

    def open_spider(self, spider: Any = None) -> None:
        # Load the model before the first item arrives rather than while it waits.
        self._repairer = get_repairer(self.config)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Repair the item's text fields in place and return it (``spider`` is accepted for
        Scrapy versions that pass it, and not used)."""
        repairer = self._repairer
        if repairer is None:
            repairer = self._repairer = get_repairer(self.config)
        # A plain dict is by far the commonest item; it needs no adapter.
        adapter: Any = item if type(item) is dict else ItemAdapter(item)
        changed = 0
        if self.fields:
            for name in self.fields:
                value = adapter.get(name)
                if value is None:
                    continue
                new = self._repair_value(repairer, value, name, strict=True)
                if new is not value:
                    adapter[name] = new
                    changed += 1
        else:
            for name in list(adapter.keys()):
                value = adapter[name]
                new = self._repair_value(repairer, value, name, strict=False)
                if new is not value:
                    adapter[name] = new
                    changed += 1
        stats = self.stats
        if stats is not None:
            stats.inc_value("vn_repair/items")
            if changed:
                stats.inc_value("vn_repair/items_changed")
                stats.inc_value("vn_repair/fields_changed", changed)
        return item

    def _repair_value(self, repairer: Repairer, value: Any, name: str, strict: bool) -> Any:
        """The repaired value, or ``value`` itself (the same object) when nothing changed."""
        if isinstance(value, str):
            new = repairer(value)
            return value if new == value else new
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            lines = repair_chunk(list(value), repairer.config)
            if lines == list(value):
                return value
            return tuple(lines) if isinstance(value, tuple) else lines
        if strict and not (isinstance(value, (list, tuple)) and not value):
            raise TypeError(f"VN_REPAIR_FIELDS names field {name!r}, which holds "
                            f"{type(value).__name__}, not text or a list of text")
        return value
