"""The one options object.  Frozen, hashable and picklable, so a loaded model can be cached per
process keyed by it, and pipeline frameworks can ship it to workers."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

__all__ = ["DAMAGE_KINDS", "MAX_DECODER_THREADS", "Config", "ToneStyle", "decoder_threads", "usable_cpus"]

ToneStyle = Literal["keep", "old", "new"]

#: Threads the compiled decoder uses for one text by default, at most: its share of a stripped
#: text's time is about a third (the rest is Python's), so more buy little.  VN_REPAIR_THREADS
#: may ask for up to 16.
MAX_DECODER_THREADS = 4
_THREADS_LIMIT = 16


@functools.lru_cache(maxsize=1)
def usable_cpus() -> int:
    """The number of cores this process may run on (its affinity; the CPU count elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def decoder_threads() -> int:
    """Threads the compiled decoder may use for one text: ``VN_REPAIR_THREADS`` if set (at most
    16), else the cores this process may use, at most MAX_DECODER_THREADS.  The results are
    the same for any number.  Raises ValueError naming the variable for a value that is not a
    whole number of at least 1."""
    given = os.environ.get("VN_REPAIR_THREADS", "").strip()
    if not given:
        return min(usable_cpus(), MAX_DECODER_THREADS)
    try:
        n = int(given)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"VN_REPAIR_THREADS must be a whole number of at least 1, got {given!r}")
    return min(n, _THREADS_LIMIT)

#: Damage kinds the restoration stage knows.  ``"auto"`` (the default) lets the per-document
#: estimate choose among them.
DAMAGE_KINDS = ("drop", "strip", "placeholder", "lookalike")


@dataclass(frozen=True)
class Config:
    """Options for :func:`vn_repair.repair` and friends; keyword arguments to those functions
    override single fields (``repair(text, tone_style="new")``).

    Normalization (each step reports its changes as edits):

    ``nfc``
        Compose NFD and mixed sequences into NFC.  Default on.
    ``remove_invisible``
        Remove zero-width characters, soft hyphens and byte-order marks inside words.  Default on.
    ``normalize_spaces``
        Turn NBSP and other odd spaces into a plain space.  Default off: spacing is layout.
    ``tone_style``
        ``"keep"`` (default) leaves tone-mark placement as written; ``"old"`` writes "hoà",
        "thuỷ"; ``"new"`` writes "hòa", "thủy".
    ``fold_lookalikes``
        Fold OCR and font look-alike letters (ī, ǎ, Ę, Cyrillic о, small capital ᴠ ...) back to Vietnamese letters
        when that makes a valid syllable.  Default on.
    ``fix_encoding``
        Detect and undo mojibake and legacy Vietnamese encodings (TCVN3, VNI, VISCII, VIQR).
        Default on.

    Restoration:

    ``restore``
        Restore lost letters and marks with the language model.  Default on.
    ``damage``
        ``"auto"`` (default) estimates per document which damage happened and how often;
        otherwise a tuple drawn from :data:`DAMAGE_KINDS` to consider only those.
    ``damage_rate``
        Override the estimated per-letter damage rate (0 < rate <= 1); ``None`` estimates it.
    ``threshold``
        Least posterior probability for replacing a word that is itself a valid syllable
        ("đo" → "đạo"; 0 <= threshold < 1, default 0.5: the replacement must be at least
        as likely as not; a tie keeps the word as written).  A non-word is replaced whenever a
        restoration is likelier than the written form.
    ``model``
        Path of a model file made by ``vn-repair train``; ``None`` uses the embedded default.
    """

    nfc: bool = True
    remove_invisible: bool = True
    normalize_spaces: bool = False
    tone_style: ToneStyle = "keep"
    fold_lookalikes: bool = True
    fix_encoding: bool = True
    restore: bool = True
    damage: str | tuple[str, ...] = "auto"
    damage_rate: float | None = None
    threshold: float = 0.5
    model: str | None = None

    def __post_init__(self) -> None:
        if self.tone_style not in ("keep", "old", "new"):
            raise ValueError(f"tone_style must be 'keep', 'old' or 'new', not {self.tone_style!r}")
        damage = self.damage
        if isinstance(damage, str):
            if damage != "auto":
                damage = tuple(d.strip() for d in damage.split(",") if d.strip())
                object.__setattr__(self, "damage", damage)
        elif isinstance(damage, list):
            damage = tuple(damage)
            object.__setattr__(self, "damage", damage)
        if damage != "auto":
            unknown = [d for d in damage if d not in DAMAGE_KINDS]
            if unknown:
                raise ValueError(f"unknown damage kind(s) {unknown}; expected 'auto' or some of {DAMAGE_KINDS}")
        if self.damage_rate is not None and not 0.0 < self.damage_rate <= 1.0:
            raise ValueError(f"damage_rate must be in (0, 1], not {self.damage_rate!r}")
        if not 0.0 <= self.threshold < 1.0:
            raise ValueError(f"threshold must be in [0, 1), not {self.threshold!r}")

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with ``overrides`` applied; unknown names raise TypeError naming them."""
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(self, **overrides)
