"""Edits: what a repair changed, as plain frozen data.

Every stage of vn-repair reports what it did as a list of :class:`Edit` records.  Offsets are
in code points of the text the stage was given; :func:`compose_edits` rebases a later stage's
edits onto the original input, so ``apply_edits(original, result.edits) == result.text`` always
holds for what the public API returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Edit", "Repaired", "apply_edits", "compose_edits"]


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
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.offset, e.end)):
        if e.offset < pos:
            raise ValueError(f"overlapping edit at offset {e.offset}: {e!r}")
        if text[e.offset : e.end] != e.before:
            raise ValueError(
                f"edit at offset {e.offset} expects {e.before!r} but the text has {text[e.offset:e.end]!r}"
            )
        out.append(text[pos : e.offset])
        out.append(e.after)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def compose_edits(original: str, first: Sequence[Edit], second: Sequence[Edit]) -> list[Edit]:
    """Express "apply ``first`` to ``original``, then ``second``" as edits on ``original``.

    ``second`` has offsets in the text that ``first`` produced.  Where an edit of ``second``
    overlaps text that ``first`` wrote, the two merge into one edit whose kind names both and
    whose confidence is the lower of the two.
    """
    first = sorted(first, key=lambda e: (e.offset, e.end))
    second = sorted(second, key=lambda e: (e.offset, e.end))
    if not second:
        return list(first)
    if not first:
        return list(second)
    intermediate = apply_edits(original, first)
    # First-stage regions in intermediate coordinates, with the running length change.
    regions: list[tuple[int, int, Edit]] = []
    shift = 0
    for e in first:
        ms = e.offset + shift
        regions.append((ms, ms + len(e.after), e))
        shift += len(e.after) - len(e.before)

    # Edits that overlap or touch are merged: touching ones too, so that an insertion next
    # to a first-stage edit never has two possible places in the original.
    groups: list[tuple[int, int, list[Edit], set[int]]] = []
    for e2 in second:
        a, b = e2.offset, e2.end
        hit = {i for i, (ms, me, _) in enumerate(regions) if ms <= b and a <= me}
        for i in hit:
            a = min(a, regions[i][0])
            b = max(b, regions[i][1])
        if groups and groups[-1][1] >= a:
            ga, gb, ge, gr = groups.pop()
            groups.append((min(ga, a), max(gb, b), ge + [e2], gr | hit))
        else:
            groups.append((a, b, [e2], hit))

    def to_original(mid: int, regs: set[int], *, at_end: bool) -> int:
        if at_end:
            ends = [regions[i][2].end for i in regs if regions[i][1] == mid]
            if ends:
                return max(ends)
        else:
            starts = [regions[i][2].offset for i in regs if regions[i][0] == mid]
            if starts:
                return min(starts)
        return mid - sum(len(e.after) - len(e.before) for _, me, e in regions if me <= mid)

    result: list[Edit] = []
    used: set[int] = set()
    for a, b, e2s, regs in groups:
        used.update(regs)
        start = to_original(a, regs, at_end=False)
        end = to_original(b, regs, at_end=True)
        chunk = intermediate[a:b]
        after = apply_edits(chunk, [Edit(e.offset - a, e.before, e.after, e.kind) for e in e2s])
        kinds = [regions[i][2].kind for i in regs] + [e.kind for e in e2s]
        kind = "+".join(dict.fromkeys(k for ks in kinds for k in ks.split("+")))
        conf = min([e.confidence for e in e2s] + [regions[i][2].confidence for i in regs])
        before = original[start:end]
        if before != after:
            result.append(Edit(start, before, after, kind, conf))
    result.extend(e for i, (_, _, e) in enumerate(regions) if i not in used)
    result.sort(key=lambda e: (e.offset, e.end))
    return result
