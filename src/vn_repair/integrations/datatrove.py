"""A datatrove formatter step that repairs each document's text.

>>> from datatrove.data import Document
>>> from vn_repair.integrations.datatrove import VnRepairFormatter
>>> step = VnRepairFormatter(tone_style="new")
>>> [d.text for d in step.run([Document(text="Hoa\\u0300 bi\\u0300nh", id="0")])]
['Hòa bình']

Put it in a pipeline after a reader and before filters and writers (language, quality and
deduplication steps see the repaired text)::

    LocalPipelineExecutor(pipeline=[JsonlReader("in/"), VnRepairFormatter(), JsonlWriter("out/")],
                          tasks=8, workers=2).run()

The step holds only its :class:`vn_repair.Config`, so it pickles small; the model is loaded lazily,
once per task process, on the first document.  Stats: datatrove's ``total`` (documents) and
``vn_repair_changed`` (documents whose text changed).  Each document is one document for the
engine's damage estimate.  Install with ``pip install vn-repair[datatrove]``.
"""

from __future__ import annotations

from typing import Any

from datatrove.pipeline.formatters.base import BaseFormatter

from ..config import Config
from ..pipeline import get_repairer, make_config

__all__ = ["VnRepairFormatter"]


class VnRepairFormatter(BaseFormatter):
    """Repair Vietnamese text: ``format(text) -> str`` with one :class:`Config`."""

    name = "vn-repair"

    def __init__(self, config: Config | None = None, **overrides: Any) -> None:
        super().__init__()
        self.config = make_config(config, **overrides)

    def format(self, text: str) -> str:
        out = get_repairer(self.config)(text)
        if out != text:
            self.stat_update("vn_repair_changed")
        return out
