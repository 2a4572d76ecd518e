"""Edits: what a repair changed, as plain frozen data.

Every stage of vn-repair reports what it did as a list of :class:`Edit` records.  Offsets are
in code points of the text the stage was given; :func:`compose_edits` rebases a later stage's
edits onto the original input, so ``apply_edits(original, result.edits) == result.text`` always
holds for what the public API returns.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Edit", "RawEdit", "Repaired", "apply_edits", "compose_edits", "edit_records", "splice"]

#: An edit as the restoration stage makes it, before it is a record: (offset, before, after,
#: kind, unrounded confidence).  :func:`vn_repair.repair` splices these into the text as they
#: are (a stripped text has one a word, and a record costs more than the splice); records are
#: made only where they are returned.
RawEdit = tuple[int, str, str, str, float]


@dataclass(frozen=True, slots=True)
class Edit:
    """One change: ``text[offset:offset + len(before)]`` was replaced by ``after``.

    ``kind`` names the stage or damage that explains the change (``"nfc"``, ``"invisible"``,
    ``"space"``, ``"tone-style"``, ``"look-alike"``, ``"encoding"``, ``"dropped-letter"``,
    ``"stripped"``, ``"placeholder"``; joined with ``"+"`` when stages touched the same span).
    ``confidence`` is the posterior probability of ``after`` given the model, or 1.0 for
    deterministic steps.
    """

    offset: int
    before: str
    after: str
    kind: str
    confidence: float = 1.0

    @property
    def end(self) -> int:
        """Offset just past the replaced span, in the input's coordinates."""
        return self.offset + len(self.before)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        return cls(
            offset=int(data["offset"]),
            before=str(data["before"]),
            after=str(data["after"]),
            kind=str(data["kind"]),
            confidence=float(data.get("confidence", 1.0)),
        )


@dataclass(frozen=True, slots=True)
class Repaired:
    """The repaired text and the edits that turn the input into it."""

    text: str
    edits: tuple[Edit, ...] = field(default_factory=tuple)
    #: Set when the input was bytes and an encoding had to be chosen; else ``None``.
    encoding: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "edits": [e.to_dict() for e in self.edits],
            "encoding": self.encoding,
        }


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply ``edits`` (offsets relative to ``text``, non-overlapping) and return the result.

    Raises ValueError if an edit does not match the text it claims to replace, or if two edits
    overlap: a list of edits that cannot be applied is a bug worth hearing about.
    """
    spans = sorted(((e.offset, e.before, e.after, e) for e in edits), key=_span_order)
    return splice(text, spans)


def edit_records(raw: Iterable[RawEdit]) -> list[Edit]:
    """:class:`Edit` records of :data:`RawEdit` tuples, confidences to four places."""
    return [Edit(offset, before, after, kind, round(conf, 4)) for offset, before, after, kind, conf in raw]


def _culprit(span: tuple[Any, ...]) -> object:
    return span[-1] if isinstance(span[-1], Edit) else span


def _span_order(span: tuple[int, str, str, Edit]) -> tuple[int, int]:
    return span[0], span[0] + len(span[1])


def splice(text: str, spans: Iterable[tuple[int, str, str] | tuple[int, str, str, Edit] | RawEdit]) -> str:
    """:func:`apply_edits` for (offset, before, after, ...) tuples already in text order
    (an insertion before a replacement at the same offset), with the same checks; an error
    names the tuple at fault, or the :class:`Edit` it ends with."""
    out: list[str] = []
    pos = 0
    for span in spans:
        offset, before, after = span[0], span[1], span[2]
        end = offset + len(before)
        if offset < pos:
            raise ValueError(f"overlapping edit at offset {offset}: {_culprit(span)!r}")
        if text[offset:end] != before:
            raise ValueError(f"edit at offset {offset} expects {before!r} but the text has {text[offset:end]!r}")
        out.append(text[pos:offset])
        out.append(after)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def compose_edits(original: str, first: Sequence[Edit], second: Sequence[Edit]) -> list[Edit]:
    """Express "apply ``first`` to ``original``, then ``second``" as edits on ``original``.

    ``second`` has offsets in the text that ``first`` produced.  Edits of the two stages that
    overlap or touch merge into one edit whose kind names both and whose confidence is the lower.
    O((n + m) log n), for the thousands of edits a long text can have in both stages; a slow,
    obvious version in the tests checks it."""
    first = sorted(first, key=lambda e: (e.offset, e.end))
    second = sorted(second, key=lambda e: (e.offset, e.end))
    if not second:
        return list(first)
    if not first:
        return list(second)
    intermediate = apply_edits(original, first)
    starts: list[int] = []
    ends: list[int] = []
    shifts = [0]  # shifts[i]: total length change of first[:i]
    shift = 0
    for e in first:
        ms = e.offset + shift
        starts.append(ms)
        ends.append(ms + len(e.after))
        shift += len(e.after) - len(e.before)
        shifts.append(shift)

    groups: list[list] = []  # [a, b, second edits, lo, hi]: first-stage regions lo..hi-1 (hi=lo: none)
    j = 0
    for e2 in second:
        a, b = e2.offset, e2.end
        while j < len(first) and ends[j] < a:
            j += 1
        k = j
        while k < len(first) and starts[k] <= b:
            k += 1
        lo, hi = j, k
        if lo < hi:
            a = min(a, starts[lo])
            b = max(b, max(ends[lo:hi]))
        if groups and groups[-1][1] >= a:
            g = groups[-1]
            g[0] = min(g[0], a)
            g[1] = max(g[1], b)
            g[2].append(e2)
            if lo < hi:
                g[3] = lo if g[3] == g[4] else min(g[3], lo)
                g[4] = max(g[4], hi)
        else:
            groups.append([a, b, [e2], lo, max(lo, hi)])

    def to_original(mid: int, lo: int, hi: int, at_end: bool) -> int:
        if at_end:
            hits = [first[i].end for i in range(lo, hi) if ends[i] == mid]
            if hits:
                return max(hits)
        else:
            hits = [first[i].offset for i in range(lo, hi) if starts[i] == mid]
            if hits:
                return min(hits)
        return mid - shifts[bisect.bisect_right(ends, mid)]

    result: list[Edit] = []
    used = bytearray(len(first))
    for a, b, e2s, lo, hi in groups:
        for i in range(lo, hi):
            used[i] = 1
        start = to_original(a, lo, hi, False)
        end = to_original(b, lo, hi, True)
        chunk = intermediate[a:b]
        after = apply_edits(chunk, [Edit(e.offset - a, e.before, e.after, e.kind) for e in e2s])
        kinds = [first[i].kind for i in range(lo, hi)] + [e.kind for e in e2s]
        kind = "+".join(dict.fromkeys(k for ks in kinds for k in ks.split("+")))
        conf = min([e.confidence for e in e2s] + [first[i].confidence for i in range(lo, hi)])
        before = original[start:end]
        if before != after:
            result.append(Edit(start, before, after, kind, conf))
    result.extend(e for i, e in enumerate(first) if not used[i])
    result.sort(key=lambda e: (e.offset, e.end))
    return result
