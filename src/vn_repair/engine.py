"""The restoration stage as :func:`vn_repair.repair` runs it.

A document is taken in windows of whole lines; each gets its first pass
(:meth:`vn_repair.estimate.Lexicon.estimate`), which needs neither numpy nor the n-gram
tables, and only a window that shows damage loads the decoder
(:func:`vn_repair.restore.get_restorer`).  So a clean document costs the first pass alone.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from .config import Config
from .edits import RawEdit
from .estimate import _LETTER_RE, get_lexicon

__all__ = ["WINDOW_CHARS", "restore_text"]

# A very long document is decoded in windows of whole lines, each with its own damage estimate,
# so memory stays bounded and a stream never needs to be held whole.
WINDOW_CHARS = 1 << 20


def _windows(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the windows of ``text``: at most WINDOW_CHARS, cut after a line (or a
    space, in a line longer than that)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + WINDOW_CHARS)
        if end < len(text):
            nl = text.rfind("\n", start, end)
            if nl > start:
                end = nl + 1
            else:
                sp = text.rfind(" ", start, end)
                end = sp + 1 if sp > start else end
        yield start, end
        start = end


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused, as it was before afterwards.  The decoder makes a
    few hundred thousand tuples, lists and candidate records a megabyte, none of them in a
    cycle, and the collector's passes over them took 5% of its time (perf, stripped text)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def restore_text(text: str, config: Config) -> list[RawEdit]:
    """Edits (offsets into ``text``) that restore damaged words, under ``config``, in text
    order: :data:`~vn_repair.edits.RawEdit` tuples (:func:`~vn_repair.edits.edit_records`
    makes records of them)."""
    if not _LETTER_RE.search(text):
        return []  # no letter, no placeholder: nothing the engine could restore
    lexicon = get_lexicon(config.model)
    edits: list[RawEdit] = []
    for start, end in _windows(text):
        window = text[start:end]
        est = lexicon.estimate(window, config)
        if est.is_clean:
            continue
        from .restore import get_restorer

        restorer = get_restorer(config.model)
        # The model file changed since its units were read: the restorer makes its own first pass.
        given = est if restorer.lexicon is lexicon else None
        with _no_cyclic_gc():
            found = restorer.raw_edits(window, config, given)
        edits.extend(found if not start else [(o + start, b, a, k, c) for o, b, a, k, c in found])
    return edits
