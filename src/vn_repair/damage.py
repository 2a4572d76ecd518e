"""Damage simulator: make clean Vietnamese text look like the damaged text found in the wild.

Used to measure the restoration engine (see :mod:`vn_repair.evaluate`): damage clean text with a
known kind and rate, repair it, and score the result against the clean original.

Guarantees, for every kind:

* Line structure is kept: the output has exactly as many ``"\\n"``-separated lines as the input,
  and line endings are untouched.
* Spaces, digits and ASCII punctuation are never touched, so the output splits on ``" "`` into as
  many tokens as the input (a one-letter word that vanished leaves an empty token).
* Reproducible: the random choices for line *n* come from a generator seeded with
  ``(seed, n, kind)`` alone, so the result does not depend on how the text is cut into chunks
  (``damage_lines(lines, start=k)`` damages a chunk that begins at line *k* exactly as the
  whole text would be damaged there).

The input should be NFC (the corpora are): letters written as base + combining marks are not
the precomposed letters the kinds act on.

>>> damage_text("Việt Nam", "strip")
'Viet Nam'
>>> damage_text("xây dựng đất nước", "total")
'xây dng đt nưc'
>>> damage_text("hoà bình", "tone-flip")
'hòa bình'
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import IO, TextIO

from .orthography import set_tone_style, tone_style_of

__all__ = [
    "LOOKALIKES",
    "RATE_KINDS",
    "SIMULATED_DAMAGE",
    "add_arguments",
    "damage_lines",
    "damage_text",
    "parse_kinds",
    "run_cli",
]

# --------------------------------------------------------------------------------------------
# Letter inventories

#: The block of precomposed Vietnamese letters that broken fonts and cp1258 lose: U+1EA0..U+1EF9.
_BLOCK = "".join(chr(cp) for cp in range(0x1EA0, 0x1EFA))

_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
_BASES = "aăâeêioôơuưy"


def _marked_letters() -> str:
    """Every lowercase Vietnamese letter that carries a diacritic (modifier, tone, or đ)."""
    out = ["đ"]
    for base in _BASES:
        for tone in _TONES:
            ch = unicodedata.normalize("NFC", base + tone)
            if len(ch) != 1:  # pragma: no cover - every Vietnamese letter is precomposed
                raise AssertionError(f"{base + tone!r} has no precomposed form")
            if ch not in "aeiouy":
                out.append(ch)
    return "".join(out)


_MARKED_LOWER = _marked_letters()
#: Every Vietnamese letter with a diacritic, both cases (134 letters).
_MARKED = _MARKED_LOWER + _MARKED_LOWER.upper()


def _decompose(ch: str) -> tuple[str, str]:
    """(base letter with its modifier, tone mark) of a lowercase Vietnamese letter."""
    nfd = unicodedata.normalize("NFD", ch)
    tone = next((m for m in nfd if m in _TONES[1:]), "")
    base = unicodedata.normalize("NFC", nfd.replace(tone, "")) if tone else ch
    return base, tone


def _compose(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


# Tone marks that OCR and bad fonts confuse with one another (and "" for a lost mark).
_TONE_CONFUSIONS = {
    "\u0300": ("\u0301", ""),  # huyền -> sắc, none
    "\u0301": ("\u0300", ""),  # sắc -> huyền, none
    "\u0309": ("\u0303", ""),  # hỏi -> ngã, none
    "\u0303": ("\u0309", ""),  # ngã -> hỏi, none
    "\u0323": ("",),  # nặng -> none (the dot below is small and goes first)
}
_MODIFIER_LOSS = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u"}
_MODIFIER_SWAP = {"ă": "â", "â": "ă", "ô": "ơ", "ơ": "ô"}
# Letters from other alphabets that a font or an OCR engine puts in place of a Vietnamese one:
# a macron for a tilde, a caron for a breve or a hook above, an ogonek for a dot below.
_FOREIGN = {
    "ã": "\N{LATIN SMALL LETTER A WITH MACRON}",
    "ẽ": "\N{LATIN SMALL LETTER E WITH MACRON}",
    "ĩ": "\N{LATIN SMALL LETTER I WITH MACRON}",
    "õ": "\N{LATIN SMALL LETTER O WITH MACRON}",
    "ũ": "\N{LATIN SMALL LETTER U WITH MACRON}",
    "ỹ": "\N{LATIN SMALL LETTER Y WITH MACRON}",
    "ă": "\N{LATIN SMALL LETTER A WITH CARON}",
    "ả": "\N{LATIN SMALL LETTER A WITH CARON}",
    "ẻ": "\N{LATIN SMALL LETTER E WITH CARON}",
    "ỉ": "\N{LATIN SMALL LETTER I WITH CARON}",
    "ỏ": "\N{LATIN SMALL LETTER O WITH CARON}",
    "ủ": "\N{LATIN SMALL LETTER U WITH CARON}",
    "ạ": "\N{LATIN SMALL LETTER A WITH OGONEK}",
    "ậ": "\N{LATIN SMALL LETTER A WITH OGONEK}",
    "ặ": "\N{LATIN SMALL LETTER A WITH OGONEK}",
    "ẹ": "\N{LATIN SMALL LETTER E WITH OGONEK}",
    "ệ": "\N{LATIN SMALL LETTER E WITH OGONEK}",
    "ị": "\N{LATIN SMALL LETTER I WITH OGONEK}",
    "ọ": "\N{LATIN SMALL LETTER O WITH OGONEK}",
    "ộ": "\N{LATIN SMALL LETTER O WITH OGONEK}",
    "ợ": "\N{LATIN SMALL LETTER O WITH OGONEK}",
    "ụ": "\N{LATIN SMALL LETTER U WITH OGONEK}",
    "ự": "\N{LATIN SMALL LETTER U WITH OGONEK}",
}


def _build_lookalikes() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for ch in _MARKED_LOWER:
        if ch == "đ":
            table[ch] = ("d",)
            continue
        base, tone = _decompose(ch)
        options: list[str] = []
        for other in _TONE_CONFUSIONS.get(tone, ()):  # wrong or missing tone, same letter
            options.append(_compose(base, other))
        if base in _MODIFIER_LOSS:  # modifier lost: ớ -> ó, ò; ư -> u
            plain = _MODIFIER_LOSS[base]
            options.append(_compose(plain, tone))
            for other in _TONE_CONFUSIONS.get(tone, ())[:1]:
                options.append(_compose(plain, other))
        if base in _MODIFIER_SWAP:  # â <-> ă, ô <-> ơ
            options.append(_compose(_MODIFIER_SWAP[base], tone))
        if ch in _FOREIGN:
            options.append(_FOREIGN[ch])
        unique = tuple(o for o in dict.fromkeys(options) if o != ch)
        if not unique:  # pragma: no cover - every marked letter has a confusion
            raise AssertionError(f"no look-alike for {ch!r}")
        table[ch] = unique
    for lower, lower_options in list(table.items()):
        upper = lower.upper()
        table[upper] = tuple(dict.fromkeys(o.upper() for o in lower_options if o.upper() != upper))
    return table


#: For each Vietnamese letter with a diacritic, what OCR or a bad font makes of it: the same
#: letter with a wrong or missing mark ("ớ" -> "ó", "ò", "ơ"; "ư" -> "u"; "đ" -> "d") or a
#: look-alike from another alphabet ("ĩ" -> "ī", "ă" -> "ǎ", "ẻ" -> "ě", "Ệ" -> "Ę").
LOOKALIKES: Mapping[str, tuple[str, ...]] = MappingProxyType(_build_lookalikes())


def _build_strip_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table.update({ord("đ"): "d", ord("Đ"): "D"})
    table.update(dict.fromkeys(range(0x0300, 0x0370)))  # loose combining marks go too
    return table


_STRIP_TABLE = _build_strip_table()
_TOTAL_TABLE: dict[int, None] = dict.fromkeys(map(ord, _BLOCK))
# Windows' "best fit" for cp1252 writes these as their plain letters; the rest becomes "?".
_BESTFIT_TABLE = {ord(k): v for k, v in {"ư": "u", "ơ": "o", "ă": "a", "đ": "d"}.items()}
_BESTFIT_TABLE.update({ord(k.upper()): v.upper() for k, v in {"ư": "u", "ơ": "o", "ă": "a", "đ": "d"}.items()})

_BLOCK_RE = re.compile(f"[{_BLOCK}]")
_MARKED_RE = re.compile(f"[{_MARKED}]")
# A word ending in an open oa/oe/uy rhyme: the only place where the two tone styles differ.
_FLIP_RE = re.compile(
    r"[^\W\d_]*[oòóỏõọuùúủũụ][aàáảãạeèéẻẽẹyỳýỷỹỵ](?![^\W\d_])", re.IGNORECASE
)

# --------------------------------------------------------------------------------------------
# Kinds

#: The damage kinds the simulator knows, with what each does.  Kinds can be chained with commas
#: ("total,lookalike"): they are applied in that order.
SIMULATED_DAMAGE: Mapping[str, str] = MappingProxyType({
    "sparse": "drop each letter of U+1EA0..U+1EF9 (ạ ả ấ ... ỹ, both cases) with probability RATE",
    "total": "drop every letter of U+1EA0..U+1EF9 (broken font map, cp1258 with errors ignored)",
    "drop-any": "drop each Vietnamese letter with a diacritic (incl. đ à ô ư) with probability RATE",
    "placeholder": "replace each letter of U+1EA0..U+1EF9 by the placeholder ('?' or U+FFFD) "
                   "with probability RATE",
    "lookalike": "replace each letter with a diacritic, with probability RATE, by a look-alike "
                 "(wrong or missing mark, or a letter from another alphabet: ớ->ó, ĩ->ī, Ệ->Ę)",
    "strip": "remove every diacritic, đ->d (unaccented typing)",
    "strip-run": "in each line of 14 words or more, with probability RATE, remove every diacritic "
                 "from a run of 6 to 12 words (a comment or a quotation typed without marks)",
    "nfd": "decompose to Unicode NFD",
    "tone-flip": "move the tone mark of every open oa/oe/uy syllable to the other style (hoà <-> hòa)",
    "ocr": "total drop, then look-alike swaps of 10% of the remaining letters with a diacritic",
    "cp1252": "encode to cp1252, letters it lacks become '?'",
    "cp1252-bestfit": "Windows best-fit cp1252: ư->u, ơ->o, ă->a, đ->d, the rest of what cp1252 "
                      "lacks becomes '?'",
    "cp1252-utf8": "encode to cp1252 ('?' for what it lacks), then read those bytes as UTF-8: "
                   "surviving non-ASCII letters (à, ô, í) become U+FFFD",
    "mojibake": "UTF-8 read as cp1252 (Viá»‡t), undefined bytes as C1 controls as browsers show them",
    "mojibake-latin1": "UTF-8 read as latin-1",
    "mojibake-cp1258": "UTF-8 read as cp1258",
    "mojibake-double": "UTF-8 read as cp1252, twice over",
    "tcvn3": "encoded in TCVN3 (ABC) and read as cp1252 (ViÖt), as legacy-font text shows",
    "vni": "encoded in VNI-Windows and read as cp1252 (Vieät)",
    "viscii": "encoded in VISCII and read as cp1252",
    "viqr": "written in VIQR, the ASCII convention (Vie^.t)",
})

# Kinds made by vn_repair.encodings: (encoding, view, layers); view None means VIQR text.
_ENCODING_KINDS: dict[str, tuple[str, str | None, int]] = {
    "mojibake": ("utf-8", "cp1252", 1),
    "mojibake-latin1": ("utf-8", "latin-1", 1),
    "mojibake-cp1258": ("utf-8", "cp1258", 1),
    "mojibake-double": ("utf-8", "cp1252", 2),
    "tcvn3": ("tcvn3", "cp1252", 1),
    "vni": ("vni", "cp1252", 1),
    "viscii": ("viscii", "cp1252", 1),
    "viqr": ("viqr", None, 1),
}

#: Kinds whose effect depends on the ``rate`` argument (the others damage everything they can).
RATE_KINDS = frozenset({"sparse", "drop-any", "placeholder", "lookalike", "strip-run"})

_OCR_LOOKALIKE_RATE = 0.10


def parse_kinds(kinds: str | Sequence[str]) -> tuple[str, ...]:
    """Turn ``"total,lookalike"`` or a sequence of names into a checked tuple of kinds."""
    if isinstance(kinds, str):
        names = tuple(k.strip() for k in kinds.split(",") if k.strip())
    else:
        names = tuple(kinds)
    if not names:
        raise ValueError(f"no damage kind given; choose from {', '.join(SIMULATED_DAMAGE)}")
    unknown = [k for k in names if k not in SIMULATED_DAMAGE]
    if unknown:
        raise ValueError(f"unknown damage kind(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(SIMULATED_DAMAGE)}")
    return names


_MASK64 = (1 << 64) - 1


class _LineRandom:
    """The random numbers of one line: SplitMix64 seeded with a BLAKE2b hash of the line's key.

    ``random.Random(key)`` would do, but seeding the Mersenne Twister costs more than damaging a
    typical line, and only a few numbers are drawn per line.  SplitMix64 passes BigCrush, which
    is more than a damage simulator needs.
    """

    __slots__ = ("_state",)

    def __init__(self, key: str) -> None:
        self._state = int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")

    def random(self) -> float:
        """A float in [0, 1), 53 random bits."""
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1 << 53))


# A step damages one line; it gets the line and a zero-argument factory for its random
# generator (built only when the line has something to damage: most lines of most kinds
# need no randomness at all).
_Step = Callable[[str, Callable[[], _LineRandom]], str]


def _bernoulli_sub(pattern: re.Pattern[str], rate: float,
                   replace: Callable[[str, _LineRandom], str]) -> _Step:
    """A step that replaces each match of ``pattern`` (one character) with probability ``rate``.

    Instead of one draw per candidate it draws the gap to the next replaced candidate from the
    geometric distribution, which is the same process but costs a draw per *replacement*: at
    the low rates that matter most, nearly all candidates are skipped in C by ``split``.
    """
    if rate <= 0.0 or (rate < 1.0 and math.log1p(-rate) == 0.0):  # too small to ever fire
        return lambda line, make_rng: line
    splitter = re.compile(f"({pattern.pattern})", pattern.flags)
    log_keep = math.log1p(-rate) if rate < 1.0 else None

    def step(line: str, make_rng: Callable[[], _LineRandom]) -> str:
        parts = splitter.split(line)  # text, candidate, text, candidate, ..., text
        n = len(parts) // 2
        if n == 0:
            return line
        rng = make_rng()
        if log_keep is None:
            for k in range(1, 2 * n, 2):
                parts[k] = replace(parts[k], rng)
            return "".join(parts)
        draw = rng.random
        i = 0
        while True:
            gap = math.log(1.0 - draw()) / log_keep  # candidates skipped before the next hit
            if gap >= n - i:
                break
            i += int(gap)
            parts[2 * i + 1] = replace(parts[2 * i + 1], rng)
            i += 1
        return "".join(parts)

    return step


def _drop(ch: str, rng: _LineRandom) -> str:
    return ""


def _lookalike(ch: str, rng: _LineRandom) -> str:
    options = LOOKALIKES[ch]
    return options[0] if len(options) == 1 else options[int(rng.random() * len(options))]


def _flip_word(m: re.Match[str]) -> str:
    word = m.group()
    style = tone_style_of(word)
    if style is None:
        return word
    return set_tone_style(word, "new" if style == "old" else "old")


def _cp1252(line: str) -> str:
    return line.encode("cp1252", "replace").decode("cp1252")


def _cp1252_utf8(line: str) -> str:
    return line.encode("cp1252", "replace").decode("utf-8", "replace")


# "strip-run": lines of at least this many words may lose the marks of a run of words.
_STRIP_RUN_LINE_WORDS = 14
_STRIP_RUN_WORDS = (6, 12)


def _strip_run(rate: float) -> _Step:
    def step(line: str, make_rng: Callable[[], _LineRandom]) -> str:
        words = line.split(" ")
        if len(words) < _STRIP_RUN_LINE_WORDS:
            return line
        rng = make_rng()
        if rng.random() >= rate:
            return line
        lo, hi = _STRIP_RUN_WORDS
        k = lo + int(rng.random() * (hi - lo + 1))
        start = int(rng.random() * (len(words) - k + 1))
        run = " ".join(words[start : start + k]).translate(_STRIP_TABLE)
        return " ".join([*words[:start], run, *words[start + k :]])

    return step


def _deterministic(fn: Callable[[str], str]) -> _Step:
    return lambda line, make_rng: fn(line)


def _make_step(kind: str, rate: float, placeholder: str) -> list[_Step]:
    if kind == "sparse":
        return [_bernoulli_sub(_BLOCK_RE, rate, _drop)]
    if kind == "total":
        return [_deterministic(lambda s: s.translate(_TOTAL_TABLE))]
    if kind == "drop-any":
        return [_bernoulli_sub(_MARKED_RE, rate, _drop)]
    if kind == "placeholder":
        return [_bernoulli_sub(_BLOCK_RE, rate, lambda ch, rng: placeholder)]
    if kind == "lookalike":
        return [_bernoulli_sub(_MARKED_RE, rate, _lookalike)]
    if kind == "strip":
        return [_deterministic(lambda s: s.translate(_STRIP_TABLE))]
    if kind == "strip-run":
        return [_strip_run(rate)]
    if kind == "nfd":
        return [_deterministic(lambda s: unicodedata.normalize("NFD", s))]
    if kind == "tone-flip":
        return [_deterministic(lambda s: _FLIP_RE.sub(_flip_word, s))]
    if kind == "ocr":
        return _make_step("total", rate, placeholder) + [
            _bernoulli_sub(_MARKED_RE, _OCR_LOOKALIKE_RATE, _lookalike)]
    if kind == "cp1252":
        return [_deterministic(_cp1252)]
    if kind == "cp1252-bestfit":
        return [_deterministic(lambda s: _cp1252(s.translate(_BESTFIT_TABLE)))]
    if kind == "cp1252-utf8":
        return [_deterministic(_cp1252_utf8)]
    if kind in _ENCODING_KINDS:
        return [_deterministic(_encoding_damage(kind))]
    raise ValueError(f"unknown damage kind {kind!r}")  # pragma: no cover - parse_kinds checks


def _encoding_damage(kind: str) -> Callable[[str], str]:
    try:  # late: the encodings package is large, and most damage kinds do not need it
        from .encodings import encode_legacy, make_mojibake
    except ImportError as e:  # pragma: no cover - the package ships with vn_repair
        raise ValueError(f"damage kind {kind!r} needs vn_repair.encodings, which failed to import: {e}") from e
    encoding, view, layers = _ENCODING_KINDS[kind]
    if view is None:
        return lambda line: str(encode_legacy(line, encoding, errors="replace"))
    return lambda line: make_mojibake(line, encoding, view=view, layers=layers, errors="replace")


def _check_args(rate: float, seed: int, placeholder: str) -> None:
    if not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be a number in [0, 1], not {rate!r}")
    if not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not isinstance(placeholder, str) or not placeholder or any(c.isspace() for c in placeholder):
        raise ValueError(f"placeholder must be a non-empty string without spaces, not {placeholder!r}")


def _rng_factory(key: str) -> Callable[[], _LineRandom]:
    return lambda: _LineRandom(key)


def damage_lines(lines: Iterable[str], kinds: str | Sequence[str], rate: float = 0.05, seed: int = 0,
                 placeholder: str = "?", *, start: int = 0) -> Iterator[str]:
    """Damage each line of ``lines`` (with or without their line endings) and yield it.

    ``kinds`` is a kind of :data:`SIMULATED_DAMAGE` or several, applied in order.  ``rate`` is
    the per-letter probability for the kinds in :data:`RATE_KINDS`; the others ignore it.
    ``placeholder`` is what the "placeholder" kind writes ("?" or "\\N{REPLACEMENT CHARACTER}").
    ``start`` is the index of the first line: damage is seeded per line index, so a chunk that
    begins at line ``start`` comes out as it would inside the whole text.
    """
    names = parse_kinds(kinds)
    _check_args(rate, seed, placeholder)
    plan = [(f"{seed}:{name}:{i}", step)
            for name in names for i, step in enumerate(_make_step(name, rate, placeholder))]
    for lineno, line in enumerate(lines, start):
        if not isinstance(line, str):
            raise TypeError(f"line {lineno} is {type(line).__name__}, not str: decode it first")
        for key, step in plan:
            line = step(line, _rng_factory(f"{key}:{lineno}"))
        yield line


def damage_text(text: str, kinds: str | Sequence[str], rate: float = 0.05, seed: int = 0,
                placeholder: str = "?") -> str:
    """Damage ``text`` as :func:`damage_lines` damages its ``"\\n"``-separated lines.

    >>> damage_text("Việt Nam", "placeholder", rate=1.0)
    'Vi?t Nam'
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise TypeError("damage_text works on str, not bytes: decode first (e.g. data.decode('utf-8'))")
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    return "\n".join(damage_lines(text.split("\n"), kinds, rate, seed, placeholder))


# --------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vn-repair damage``."""
    # (argparse formats help with %: "10%" must be written "10%%".)
    kinds = "; ".join(f"{k}: {v}" for k, v in SIMULATED_DAMAGE.items()).replace("%", "%%")
    parser.description = ("Damage clean Vietnamese text reproducibly, to measure a repair "
                          "(see 'vn-repair evaluate').")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="UTF-8 input files (default: standard input); line numbers, and so "
                             "the random choices, restart with each file")
    parser.add_argument("-c", dest="text", metavar="TEXT", help="damage TEXT instead of files")
    parser.add_argument("-k", "--kind", "--damage", dest="kinds", metavar="KIND[,KIND...]",
                        help=f"damage kind(s), applied in order. {kinds}")
    parser.add_argument("-r", "--rate", type=float, default=0.05,
                        help="per-letter probability for sparse, drop-any, placeholder and "
                             "lookalike (default 0.05)")
    parser.add_argument("-s", "--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--placeholder", default="?",
                        help="what 'placeholder' writes: '?' (default) or 'fffd' for U+FFFD")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--list", action="store_true", help="list the damage kinds and exit")


def _placeholder_arg(value: str) -> str:
    if value.lower() in ("fffd", "u+fffd", "\ufffd"):
        return "\ufffd"
    return value


@contextlib.contextmanager
def text_output(path: str | None) -> Iterator[TextIO]:
    """A UTF-8 text stream writing to ``path``, or to standard output when ``path`` is None
    (whatever the locale says), with "\n" line endings written as they are."""
    if path:
        with open(path, "w", encoding="utf-8", newline="") as f:
            yield f
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (e.g. redirected to StringIO): use it as it is
        yield sys.stdout
        return
    sys.stdout.flush()
    out = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield out
    finally:
        try:
            out.flush()
        except (BrokenPipeError, ValueError):
            pass
        out.detach()  # leave sys.stdout's buffer open


def open_text_input(path: str) -> IO[str]:
    """A UTF-8 stream for ``path`` ("-" is standard input) that splits lines on "\\n" only."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _split_lines(stream: IO[str]) -> Iterator[str]:
    """Lines ending in "\\n" (a lone "\\r" is not a line break here, as in damage_text)."""
    pending = ""
    for piece in stream:  # newline="" splits on \r too; join those pieces back
        pending += piece
        if pending.endswith("\n"):
            yield pending
            pending = ""
    if pending:
        yield pending


def quiet_broken_pipe() -> None:
    """After the reader of standard output went away (``| head``): point stdout at /dev/null so
    that Python's flush at exit does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    finally:
        os.close(devnull)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run_cli(args: argparse.Namespace) -> int:
    """Run ``vn-repair damage``; returns the exit status."""
    if args.list:
        for name, text in SIMULATED_DAMAGE.items():
            rate = " (uses --rate)" if name in RATE_KINDS else ""
            print(f"{name:15} {text}{rate}")
        return 0
    if not args.kinds:
        print("vn-repair damage: error: say which damage with --kind (see --list)", file=sys.stderr)
        return 2
    try:
        names = parse_kinds(args.kinds)
        placeholder = _placeholder_arg(args.placeholder)
        _check_args(args.rate, args.seed, placeholder)
    except (ValueError, TypeError) as e:
        print(f"vn-repair damage: error: {e}", file=sys.stderr)
        return 2
    if args.output and any(_same_file(args.output, f) for f in args.files if f != "-"):
        print(f"vn-repair damage: error: refusing to overwrite the input {args.output}", file=sys.stderr)
        return 2
    try:
        with text_output(args.output) as out:
            if args.text is not None:
                out.write(damage_text(args.text, names, args.rate, args.seed, placeholder))
                out.write("\n")
                return 0
            for path in args.files or ["-"]:
                try:
                    stream = open_text_input(path)
                except OSError as e:
                    print(f"vn-repair damage: error: cannot read {path}: {e.strerror}", file=sys.stderr)
                    return 1
                with stream:
                    for line in damage_lines(_split_lines(stream), names, args.rate, args.seed,
                                             placeholder):
                        out.write(line)
    except UnicodeDecodeError as e:
        print(f"vn-repair damage: error: input is not UTF-8 ({e})", file=sys.stderr)
        return 1
    except BrokenPipeError:
        quiet_broken_pipe()
    return 0
