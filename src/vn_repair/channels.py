"""Damage channels, inverted into candidate indexes.

A channel says what a damage does to each letter of a clean syllable:

``drop``
    a precomposed letter of U+1EA0..U+1EF9 vanishes ("dựng" → "dng");
``placeholder``
    a non-ASCII letter becomes "?" or U+FFFD ("Việt" → "Vi?t"), one placeholder per letter;
``lookalike``
    a letter loses its modifier mark but keeps its tone, as OCR and code-page "best fit" do
    ("ớ" → "ó", "ư" → "u", "đ" → "d");
``bestfit``
    a code page's "best fit": đ, ư, ơ, ă without a tone mark lose their modifier (đ → d),
    counted as look-alike events;
``strip``
    every mark of the word is gone ("dựng" → "dung"); a whole-text condition, kept apart.

For the first three, every form that a vocabulary syllable can take with up to
``MAX_EVENTS`` damaged letters is enumerated once, and the index maps each form to its
candidates with the count of each letter event, so the channel log-probability under a
document's estimated rates is a dot product: ``events @ log(rates)``.  Lookup is one dict
access.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from .orthography import strip_marks, tone_spellings

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BEST_FIT",
    "BLOCK_LETTERS",
    "EVENTS",
    "CandidateIndex",
    "DropForms",
    "build_index",
    "fold_modifier",
    "is_block_letter",
]

#: The letters whose loss the drop channel models: U+1EA0..U+1EF9, both cases.
BLOCK_LETTERS = frozenset(chr(c) for c in range(0x1EA0, 0x1EFA))

#: Letter events counted per (damaged form, candidate) pair, in this column order.
EVENTS = ("keep_block", "keep_marked", "drop", "placeholder", "lookalike", "placeholder_marked")
KEEP_BLOCK, KEEP_MARKED, DROP, PLACEHOLDER, LOOKALIKE, PLACEHOLDER_MARKED = range(6)

#: What Windows "best fit" makes of the letters cp1252 lacks, when it keeps them at all (the
#: ``bestfit`` channel, a narrow look-alike: the tone marks of the other letters survive).
BEST_FIT = {"đ": "d", "ư": "u", "ơ": "o", "ă": "a"}

#: Most damaged letters considered in one syllable.
MAX_EVENTS = 3

_MODIFIERS = {"\N{COMBINING BREVE}", "\N{COMBINING CIRCUMFLEX ACCENT}", "\N{COMBINING HORN}"}


def is_block_letter(ch: str) -> bool:
    return "\u1ea0" <= ch <= "\u1ef9"


@lru_cache(maxsize=512)
def fold_modifier(ch: str) -> str:
    """The look-alike a letter becomes when it loses its modifier: ớ → ó, ư → u, ậ → ạ, đ → d."""
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    nfd = unicodedata.normalize("NFD", ch)
    folded = "".join(c for c in nfd if c not in _MODIFIERS)
    return unicodedata.normalize("NFC", folded)


class CandidateIndex:
    """Damaged form (lowercase, placeholders written "?") → candidates.

    ``lookup(form)`` gives ``(candidate_ids, events)``: vocabulary ids (np.int32) and an
    (n, len(EVENTS)) int8 array of letter-event counts.  ``forms()`` lists the forms.

    The arrays of a form are made when it is first looked up: a text looks up a few hundred
    of the index's forms (11,806 for drop and look-alikes), and making them all took half of
    building the index.  Filling that cache is idempotent, so threads may share an index.
    """

    __slots__ = ("_arrays", "_raw", "channels")

    def __init__(self, channels: frozenset[str], raw: dict[str, dict[int, tuple[int, ...]]]) -> None:
        self.channels = channels
        self._raw = raw  # form -> {candidate id: event counts}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def lookup(self, form: str) -> tuple[np.ndarray, np.ndarray] | None:
        got = self._arrays.get(form)
        if got is None:
            c = self._raw.get(form)
            if c is None:
                return None
            import numpy as np  # here, not at import: the first pass uses DropForms without numpy

            got = self._arrays[form] = (np.fromiter(c.keys(), dtype=np.int32, count=len(c)),
                                        np.array(list(c.values()), dtype=np.int8))
        return got

    def forms(self) -> Iterator[str]:
        return iter(self._raw)

    def __contains__(self, form: object) -> bool:
        return form in self._raw

    def __len__(self) -> int:
        return len(self._raw)


def _letter_options(ch: str, channels: frozenset[str]) -> list[tuple[str, int]]:
    if ch.isascii():
        return [(ch, -1)]
    block = is_block_letter(ch)
    opts = [(ch, KEEP_BLOCK if block else KEEP_MARKED)]
    if block and "drop" in channels:
        opts.append(("", DROP))
    if "placeholder" in channels:
        # Two rates: the block letters and the other marked letters are lost to "?" at
        # different rates by different causes (a font map vs. a code page without ơ, ư, đ).
        opts.append(("?", PLACEHOLDER if block else PLACEHOLDER_MARKED))
    if "lookalike" in channels:
        opts.extend((v, LOOKALIKE) for v in lookalike_variants(ch))
    elif "bestfit" in channels and ch in BEST_FIT:
        opts.append((BEST_FIT[ch], LOOKALIKE))
    return opts


_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
# Tone marks OCR and bad fonts take for one another (the small dot below is mostly just lost).
_TONE_SWAP = {_GRAVE: _ACUTE, _ACUTE: _GRAVE, _HOOK: _TILDE, _TILDE: _HOOK}
_MODIFIER_SWAP = {"\u0302": "\u0306", "\u0306": "\u0302"}  # â <-> ă, and ô <-> ơ below


@lru_cache(maxsize=512)
def lookalike_variants(ch: str) -> tuple[str, ...]:
    """What OCR makes of a letter when it misreads its marks: the modifier lost (ớ → ó, ư → u,
    đ → d), the tone mark lost or taken for its neighbour (à → a, á; ả → ã), ô and ơ, ă and â
    taken for each other; alone or the modifier lost with the tone misread (ờ → ó)."""
    if ch in "đĐ":
        return ("d" if ch == "đ" else "D",)
    nfd = unicodedata.normalize("NFD", ch)
    base = nfd[0]
    marks = nfd[1:]
    tone = next((m for m in marks if m in (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)), "")
    mods = [m for m in marks if m not in (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)]
    tones = [tone, ""] + ([_TONE_SWAP[tone]] if tone in _TONE_SWAP else [])
    modsets = [mods, []]
    if mods == ["\u0302"] and base in "oO":
        modsets.append(["\N{COMBINING HORN}"])
    elif mods == ["\N{COMBINING HORN}"] and base in "oO":
        modsets.append(["\u0302"])
    elif mods and mods[0] in _MODIFIER_SWAP and base in "aA":
        modsets.append([_MODIFIER_SWAP[mods[0]]])
    out: list[str] = []
    for m in modsets:
        for t in tones:
            changed_mod = m != mods
            changed_tone = t != tone
            if not (changed_mod or changed_tone):
                continue
            if changed_mod and changed_tone and not (m == [] and t in _TONE_SWAP.values() and tone):
                continue  # two misreadings in one letter only as "modifier lost, tone misread"
            v = unicodedata.normalize("NFC", base + "".join(m) + t)
            if len(v) == 1 and v != ch and v not in out:
                out.append(v)
    return tuple(out)


_DROP_ONLY = frozenset({"drop"})


def damaged_forms(word: str, channels: frozenset[str], max_events: int = MAX_EVENTS) -> Iterable[tuple[str, tuple[int, ...]]]:
    """Every (form, event counts) that ``channels`` can make of lowercase ``word``, the intact
    word included, with at most ``max_events`` damaged letters."""
    if channels == _DROP_ONLY:
        # The common case, and the index every document's first pass needs: only block
        # letters have a choice, so the subsets of them are enumerated directly.
        block = [k for k, ch in enumerate(word) if is_block_letter(ch)]
        marked = sum(1 for ch in word if not ch.isascii()) - len(block)
        for r in range(min(len(block), max_events) + 1):
            for gone in itertools.combinations(block, r):
                form = "".join(ch for k, ch in enumerate(word) if k not in gone) if r else word
                yield form, (len(block) - r, marked, r, 0, 0, 0)
        return
    options = [_letter_options(ch, channels) for ch in word]
    for combo in itertools.product(*options):
        counts = [0] * len(EVENTS)
        damaged = 0
        for _, ev in combo:
            if ev >= 0:
                counts[ev] += 1
                if ev >= DROP:
                    damaged += 1
        if damaged > max_events:
            continue
        yield "".join(s for s, _ in combo), tuple(counts)


def build_index(vocab: Sequence[str], syllable_ids: Iterable[int], channels: Iterable[str]) -> CandidateIndex:
    """Invert ``channels`` over the syllables ``vocab[i]`` for i in ``syllable_ids``.

    Each syllable is enumerated in both tone-mark placements (a damaged "hoà" must find the
    unit "hòa").  The intact form is included only when some damage leaves it unchanged, so a
    form maps to itself only as a candidate it really can be.
    """
    chans = frozenset(channels) - {"strip"}
    acc: dict[str, dict[int, tuple[int, ...]]] = {}
    for i in syllable_ids:
        word = vocab[i]
        for spelling in tone_spellings(word):
            for form, counts in damaged_forms(spelling, chans):
                if counts[DROP] + counts[PLACEHOLDER] + counts[LOOKALIKE] + counts[PLACEHOLDER_MARKED] == 0:
                    continue
                slot = acc.setdefault(form, {})
                prev = slot.get(i)
                # Keep the likeliest explanation: the one with fewest damaged letters.
                if prev is None or sum(counts[DROP:]) < sum(prev[DROP:]):
                    slot[i] = counts
    return CandidateIndex(chans, acc)


_BLOCK_DELETE = {c: None for c in range(0x1EA0, 0x1EFA)}


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


class DropForms:
    """Membership in the drop index (``form in build_index(vocab, ids, {"drop"})``) without
    building it: what a document's first pass asks of its few rare non-words.

    A drop form keeps every letter of its syllable outside U+1EA0..U+1EF9, in order; so the
    syllables are grouped by that skeleton, and a form belongs when it is a proper
    subsequence of a syllable with its skeleton, at most ``MAX_EVENTS`` letters shorter.
    """

    def __init__(self, vocab: Sequence[str], syllable_ids: Iterable[int]) -> None:
        groups: dict[str, list[str]] = {}
        for i in syllable_ids:
            word = vocab[i]
            for spelling in tone_spellings(word):
                skeleton = spelling.translate(_BLOCK_DELETE)
                if skeleton != spelling:
                    groups.setdefault(skeleton, []).append(spelling)
        self._groups = groups

    def __contains__(self, form: object) -> bool:
        if not isinstance(form, str):
            return False
        return any(0 < len(s) - len(form) <= MAX_EVENTS and _is_subsequence(form, s)
                   for s in self._groups.get(form.translate(_BLOCK_DELETE), ()))


def build_strip_index(vocab: Sequence[str], syllable_ids: Iterable[int]) -> dict[str, np.ndarray]:
    """Stripped form → ids of every syllable that strips to it ("dung" → dung, dùng, dũng, dựng...)."""
    import numpy as np

    acc: dict[str, list[int]] = {}
    for i in syllable_ids:
        acc.setdefault(strip_marks(vocab[i]), []).append(i)
    return {k: np.array(v, dtype=np.int32) for k, v in acc.items()}


def build_strip_placeholder_index(vocab: Sequence[str], syllable_ids: Iterable[int]) -> dict[str, np.ndarray]:
    """Stripped form with one or two of the marked letters written "?" instead → ids: what a
    code page without Vietnamese makes of a word under "best fit" ("nước" → "nu?c")."""
    acc: dict[str, set[int]] = {}
    for i in syllable_ids:
        word = vocab[i]
        plain = strip_marks(word)
        if len(plain) != len(word):
            continue
        marked = [k for k, ch in enumerate(word) if not ch.isascii()]
        for r in (1, 2):
            for combo in itertools.combinations(marked, r):
                form = "".join("?" if k in combo else c for k, c in enumerate(plain))
                acc.setdefault(form, set()).add(i)
    import numpy as np

    return {k: np.array(sorted(v), dtype=np.int32) for k, v in acc.items()}
