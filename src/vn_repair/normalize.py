"""Normalization: the deterministic steps that run before the language model.

:func:`normalize_text` applies, in this order and each only when its :class:`~vn_repair.Config`
field asks for it:

1. ``fix_encoding``: mojibake and legacy 8-bit encodings (:mod:`vn_repair.encodings`, when that
   module is installed), kind ``"encoding"``; then HTML character references a scraper left
   inside a word ("Vi&#7879;t", "x&acirc;y") decoded to the letters they stand for, kind
   ``"html-entity"``;
2. ``remove_invisible``: zero-width characters and soft hyphens between two Latin letters, and a
   byte-order mark at the start of the text or of a line, kind ``"invisible"``;
3. ``nfc``: NFD and mixed composition to NFC, kind ``"nfc"``;
4. ``normalize_spaces``: NBSP and other odd spaces to a plain space, kind ``"space"``;
5. ``fold_lookalikes``: OCR and font look-alike letters (ī, ǎ, Ę, ð, a Cyrillic о inside a Latin
   word ...) back to Vietnamese letters when that gives a valid syllable, kind ``"look-alike"``;
6. ``tone_style``: tone marks moved to "old" ("hoà", "thuỷ") or "new" ("hòa", "thủy")
   placement, kind ``"tone-style"``.

Every change is reported as an :class:`~vn_repair.Edit` with offsets into the input, spanning
only the changed word (steps that touched the same word share one edit, kinds joined by "+").

Clean text is the common case: a text that is NFC and holds none of the characters the steps act
on is returned as the same object with no edits after a few C-speed scans.  Work is done in
segments of at most :data:`SEGMENT_SIZE` characters cut at whitespace, so a 50 MB line costs
linear time and bounded extra memory.

>>> from vn_repair.config import Config
>>> text, edits = normalize_text("Hoa\\u0300 bi\\u0300nh, v\\u01cen", Config(tone_style="new"))
>>> text
'Hòa bình, văn'
>>> [(e.offset, e.after, e.kind) for e in edits]
[(0, 'Hòa', 'nfc+tone-style'), (5, 'bình,', 'nfc'), (12, 'văn', 'look-alike')]
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Literal

from .config import Config
from .edits import Edit, compose_edits
from .orthography import is_valid_syllable, set_tone_style, tone_style_of

__all__ = [
    "INVISIBLE_CHARS",
    "LOOKALIKES",
    "LOOKALIKE_OPTIONS",
    "ODD_SPACES",
    "SEGMENT_SIZE",
    "detect_tone_style",
    "fold_lookalikes",
    "iter_segments",
    "normalize_text",
]

#: Largest piece of text normalized at once (code points); longer texts are cut at whitespace.
SEGMENT_SIZE = 1 << 16

#: Invisible characters removed inside words: zero-width space, non-joiner, joiner, word joiner,
#: byte-order mark (zero-width no-break space) and soft hyphen.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

#: Spaces that ``normalize_spaces`` turns into U+0020: no-break space, the typographic spaces
#: U+2000..U+200A, narrow no-break space, medium mathematical space, ideographic space.
ODD_SPACES = "\u00a0" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"

# --------------------------------------------------------------------------------------------
# Look-alikes
#
# Each rule below comes from what the glyph looks like next to the Vietnamese letter it stands
# for, and from where it is met: OCR engines trained with Central European, Pinyin or Cyrillic
# alphabets, fonts without the Vietnamese block that substitute the nearest glyph, and code
# pages with "best fit" (GBK/GB18030 carry the Pinyin letters ā á ǎ à but not ă or ả).
#
#   mark on the look-alike          reads as             examples                why
#   ------------------------------  -------------------  ----------------------  -------------------------------
#   macron  ¯  (ā ē ī ō ū ȳ)        tilde  ~             līnh → lĩnh             a flat stroke above, the same
#                                                         mā → mã                 place and width as a tilde
#   caron   ˇ  on a (ǎ)             breve  ˘, else hook  vǎn → văn, cǎ → cả      ˇ is ˘ drawn pointed; GBK best
#                                                                                fit gives ǎ for ă.  Where ă
#                                                                                makes no syllable, a hook above
#   caron   ˇ  on e i o u (ě ǐ ǒ ǔ)  hook above  ̉        kě → kẻ, ǔ → ủ          these letters take no breve; a
#              and on ê ô ơ ư â ă                          ê̌ → ể                  small mark above = the hook
#   ring    ˚  (å ů)                hook above  ̉        cå → cả, thů → thủ      a small round mark above the
#                                                                                letter, as the hook is
#   ogonek  ˛  (ą ę į ǫ ų)          dot below  ̣          VIĘT → VIỆT, ą → ạ      a mark under the letter; Polish
#                                   (+ the modifier the                          and Lithuanian alphabets have
#                                   syllable needs)                              no circumflex or horn, so ę
#                                                                                stands for ệ as often as ẹ
#   eth ð Ð, African D Ɖ            đ Đ                  Ðà Nẵng → Đà Nẵng       identical capitals; cp1252 has
#                                                                                ð where cp1258 has đ (byte F0)
#   Cyrillic а е о р с у х і ѕ һ    a e o p c y x i s h  nướс (Cyrillic с)       same glyph in most fonts; an
#   ԁ ԛ ӑ and capitals              d q ă ...                                    OCR engine or keyboard layout
#   А В Е К М Н О Р С Т У Х І Ѕ     A B E K M H O P ...                          switched alphabet mid-word
#   Greek ο α ν ι κ ρ υ χ and        o a v i k p u x      Hοà (Greek ο)          same; tonos reads as an acute
#   Α Β Ε Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ,      A B E H I K M N ...  
#   ά έ ί ό ύ (tonos)               á é í ó ú
#   (look-alikes of letters Vietnamese does not use, such as Cyrillic ј for j, are left out:
#   folding them could never make a syllable)
#
# Where a glyph can stand for several letters, the options are tried in the order given (the
# commoner letter in Vietnamese news first: ệ is 20 times as frequent as ẹ, ộ > ợ > ọ, ự > ụ,
# ạ > ậ > ặ) and the first that makes a valid syllable wins.  A word that is valid both ways
# ("mę": mệ or mẹ) keeps the first reading; telling them apart takes the language model.
# Letters from another script are folded only inside a word that also has Latin letters: a
# whole Cyrillic or Greek word is Russian or Greek, not damage.

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_MACRON, _CARON, _RING, _OGONEK = "\u0304", "\u030c", "\u030a", "\u0328"

# Marks that no Vietnamese letter carries, mapped to the Vietnamese marks they are read as,
# options in order; keyed by (mark, lowercase base letter), with None for any base.
_MARK_OPTIONS: dict[tuple[str, str | None], tuple[str, ...]] = {
    (_MACRON, None): (_TILDE,),
    (_CARON, "a"): (_BREVE, _HOOK),
    (_CARON, None): (_HOOK,),
    (_RING, None): (_HOOK,),
    (_OGONEK, "a"): (_DOT, _CIRCUMFLEX + _DOT, _BREVE + _DOT),
    (_OGONEK, "e"): (_CIRCUMFLEX + _DOT, _DOT),
    (_OGONEK, "o"): (_CIRCUMFLEX + _DOT, _HORN + _DOT, _DOT),
    (_OGONEK, "u"): (_HORN + _DOT, _DOT),
    (_OGONEK, None): (_DOT,),
}
_LOOKALIKE_MARKS = frozenset(m for m, _ in _MARK_OPTIONS)

# Letters of other scripts (and two Latin ones) with the same glyph as a Latin letter.
_FOREIGN_BASES: dict[str, str] = {
    # Cyrillic
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y",
    "\u0445": "x", "\u0456": "i", "\u0455": "s", "\u04bb": "h", "\u0501": "d",
    "\u051b": "q",
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H",
    "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0423": "Y", "\u0425": "X",
    "\u0406": "I", "\u0405": "S",
    # Greek
    "\u03bf": "o", "\u03b1": "a", "\u03bd": "v", "\u03b9": "i", "\u03ba": "k", "\u03c1": "p",
    "\u03c5": "u", "\u03c7": "x",
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0397": "H", "\u0399": "I", "\u039a": "K",
    "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y",
    "\u03a7": "X",
}
# Latin letters that are not Vietnamese but look exactly like đ / Đ.
_LATIN_BASES: dict[str, str] = {
    "\N{LATIN SMALL LETTER ETH}": "đ",
    "\N{LATIN CAPITAL LETTER ETH}": "Đ",
    "\N{LATIN CAPITAL LETTER AFRICAN D}": "Đ",
}
# Small capitals ("ᴠà", "ᴠiết": text dressed up, or mixed against scrapers) read as the
# lowercase letter; like Cyrillic, only inside a Latin word ("ᴛʀᴀɴɢ" in small capitals is kept).
# Those of the phonetic extensions block only (and ꜱ): ɪ, ʏ, ʀ, ɢ, ɴ, ʟ, ʙ, ʜ are IPA letters,
# and a transcription such as "/haɪ/" or "/tɪn/" is no damaged syllable.
_SMALL_CAPITALS: dict[str, str] = {
    "\u1d00": "a", "\u1d04": "c", "\u1d05": "d", "\u1d07": "e", "\u1d0b": "k", "\u1d0d": "m",
    "\u1d0f": "o", "\u1d18": "p", "\ua731": "s", "\u1d1b": "t", "\u1d1c": "u", "\u1d20": "v",
}
_BASES = {**_FOREIGN_BASES, **_LATIN_BASES, **_SMALL_CAPITALS}


def _is_foreign(ch: str) -> bool:
    """Cyrillic, Greek or a small capital (look-alikes that fold only inside Latin words)."""
    return "\u0370" <= ch <= "\u052f" or ch in _SMALL_CAPITALS


@lru_cache(maxsize=4096)
def _cluster_options(cluster: str) -> tuple[str, ...]:
    """Vietnamese readings of a letter with its combining marks (NFC), best first; ``()`` when
    nothing in it is a look-alike."""
    nfd = unicodedata.normalize("NFD", cluster)
    base, marks = nfd[0], nfd[1:]
    new_base = _BASES.get(base, base)
    lower = new_base.lower()
    per_mark: list[tuple[str, ...]] = []
    for m in marks:
        if m in _LOOKALIKE_MARKS:
            per_mark.append(_MARK_OPTIONS.get((m, lower)) or _MARK_OPTIONS[(m, None)])
        else:
            per_mark.append((m,))
    if new_base == base and all(len(p) == 1 and p[0] == m for p, m in zip(per_mark, marks)):
        return ()
    out = dict.fromkeys(
        unicodedata.normalize("NFC", new_base + "".join(combo)) for combo in itertools.product(*per_mark)
    )
    out.pop(cluster, None)
    return tuple(out)


def _lookalike_sources() -> list[str]:
    """Every single character that :data:`LOOKALIKES` maps."""
    chars = set(_BASES)
    for base in "aeiouyAEIOUY":
        for mark in _LOOKALIKE_MARKS:
            ch = unicodedata.normalize("NFC", base + mark)
            if len(ch) == 1:
                chars.add(ch)
    # Accented Greek and Cyrillic letters whose bases are look-alikes: ά έ ί ό ύ, ӑ.
    for cp in list(range(0x0386, 0x03D0)) + list(range(0x0400, 0x0530)):
        ch = chr(cp)
        nfd = unicodedata.normalize("NFD", ch)
        if len(nfd) > 1 and nfd[0] in _FOREIGN_BASES and all(m in (_ACUTE, _BREVE) for m in nfd[1:]):
            chars.add(ch)
    return sorted(chars)


_MODIFIERS_OF = {"a": (_BREVE, _CIRCUMFLEX), "e": (_CIRCUMFLEX,), "o": (_CIRCUMFLEX, _HORN), "u": (_HORN,)}


def _is_target_letter(ch: str) -> bool:
    """An ASCII letter, đ, or a Vietnamese vowel letter (at most one modifier and one tone)."""
    if len(ch) != 1:
        return False
    if (ch.isascii() and ch.isalpha()) or ch in "đĐ":
        return True
    nfd = unicodedata.normalize("NFD", ch.lower())
    base, marks = nfd[0], nfd[1:]
    if base not in "aeiouy" or len(marks) > 2:
        return False
    modifiers = [m for m in marks if m in (_BREVE, _CIRCUMFLEX, _HORN)]
    tones = [m for m in marks if m in (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)]
    return (len(modifiers) + len(tones) == len(marks) and len(tones) <= 1
            and all(m in _MODIFIERS_OF.get(base, ()) for m in modifiers) and len(modifiers) <= 1)


def _build_tables() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    single: dict[str, str] = {}
    options: dict[str, tuple[str, ...]] = {}
    for ch in _lookalike_sources():
        opts = tuple(o for o in _cluster_options(ch) if _is_target_letter(o))
        if opts:
            single[ch] = opts[0]
            options[ch] = opts
    return single, options


#: Look-alike character -> the Vietnamese (or Latin) letter it most often stands for:
#: ``"ī" -> "ĩ"``, ``"ǎ" -> "ă"``, ``"ě" -> "ẻ"``, ``"Ę" -> "Ệ"``, ``"ð" -> "đ"``, Cyrillic
#: ``"о" -> "o"``.  See :data:`LOOKALIKE_OPTIONS` for every reading.
LOOKALIKES: dict[str, str]
#: Look-alike character -> every letter it can stand for, commonest first
#: (``"ǎ" -> ("ă", "ả")``, ``"ę" -> ("ệ", "ẹ")``).
LOOKALIKE_OPTIONS: dict[str, tuple[str, ...]]
LOOKALIKES, LOOKALIKE_OPTIONS = _build_tables()

_LOOKALIKE_CLASS = "".join(sorted(set(LOOKALIKES) | _LOOKALIKE_MARKS))
_LOOKALIKE_RE = re.compile(f"[{re.escape(_LOOKALIKE_CLASS)}]")
# A letter with the combining marks that follow it (the unit a look-alike replaces).
_CLUSTER_RE = re.compile(r".[\u0300-\u036f]*", re.DOTALL)
_MAX_READINGS = 64


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and (ch.isascii() or "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff")


@lru_cache(maxsize=1 << 16)
def _fold_run(run: str) -> str:
    clusters = _CLUSTER_RE.findall(run)
    options = [_cluster_options(c) for c in clusters]
    if not any(options):
        return run
    if any(o and _is_foreign(c[0]) for c, o in zip(clusters, options)) and not any(
        _is_latin_letter(c[0]) for c in clusters if not _is_foreign(c[0])
    ):
        return run  # a Cyrillic or Greek word, not a damaged Vietnamese one
    choices = [o or (c,) for c, o in zip(clusters, options)]
    for combo in itertools.islice(itertools.product(*choices), _MAX_READINGS):
        candidate = "".join(combo)
        if is_valid_syllable(candidate):
            return candidate
    return run


def fold_lookalikes(word: str) -> str:
    """Fold the look-alike letters of ``word`` (a chunk of NFC text) back to Vietnamese letters,
    each run of letters only when that makes it a valid syllable: "līnh" -> "lĩnh",
    "VIĘT" -> "VIỆT"; "Guðrún" and a Russian word stay as they are."""
    return _sub_words(word, _LOOKALIKE_RE, _fold_run)


# --------------------------------------------------------------------------------------------
# Tone style

# A tone mark on the second vowel of an open oa/oe/uy rhyme ("hoà", "thuỷ"), or on the first.
_OLD_FRAGMENT = "(?:[oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ])(?![^\\W\\d_])"
_NEW_FRAGMENT = "(?:[òóỏõọÒÓỎÕỌ][aeAE]|[ùúủũụÙÚỦŨỤ][yY])(?![^\\W\\d_])"
# Words written in the other style than the one asked for.
_WRONG_STYLE_RE = {"new": re.compile(_OLD_FRAGMENT), "old": re.compile(_NEW_FRAGMENT)}
_ANY_STYLE_RE = re.compile(f"{_OLD_FRAGMENT}|{_NEW_FRAGMENT}")


def detect_tone_style(text: str) -> Literal["old", "new"] | None:
    """The tone-mark placement most words of ``text`` (NFC) show: ``"old"`` ("hoà", "thuỷ"),
    ``"new"`` ("hòa", "thủy"), or ``None`` when no word tells (or as many show each)."""
    votes: Counter[str] = Counter()
    for m in _ANY_STYLE_RE.finditer(text):
        start = m.start()
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        style = tone_style_of(text[start : m.end()])
        if style is not None:
            votes[style] += 1
    if votes["old"] == votes["new"]:
        return None
    return "old" if votes["old"] > votes["new"] else "new"


# --------------------------------------------------------------------------------------------
# The steps
#
# Each step is a function over a whole segment that changes characters only inside the
# whitespace-separated pieces, or whitespace characters one for one: no step creates, deletes or
# merges whitespace.  So splitting the input and each step's output at every whitespace character
# gives lists of the same length, item i of one standing for item i of the other, and the items
# that differ are the changed words, found with C-speed comparisons.

_INVISIBLE_INSIDE_RE = re.compile(
    "(?<=[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f])"
    f"[{INVISIBLE_CHARS}]+"
    "(?=[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f])"
)
_BOM_AFTER_NEWLINE_RE = re.compile("(?<=[\n\r])\ufeff+")
_SPLIT_RE = re.compile(r"(\s)")
# Whitespace that NFC changes (EN QUAD and EM QUAD decompose to EN SPACE and EM SPACE).
_NFC_SPACES = "\u2000\u2001"
_SPACE_TABLE = str.maketrans(dict.fromkeys(ODD_SPACES, " "))


def _is_word_char(ch: str) -> bool:
    return ch.isalpha() or "\u0300" <= ch <= "\u036f"


def _sub_words(text: str, pattern: re.Pattern[str], fn: Callable[[str], str]) -> str:
    """Replace each run of letters that contains a match of ``pattern`` by ``fn(run)``.  Runs
    are found by scanning out from the matches, so the cost is linear in the text."""
    out: list[str] = []
    pos = 0  # end of the text already copied to out
    scanned = 0  # end of the last run looked at
    n = len(text)
    for m in pattern.finditer(text):
        start, end = m.start(), m.end()
        if start < scanned:
            continue  # inside the run just looked at
        while start > scanned and _is_word_char(text[start - 1]):
            start -= 1
        while end < n and _is_word_char(text[end]):
            end += 1
        scanned = end
        run = text[start:end]
        new = fn(run)
        if new != run:
            out.append(text[pos:start])
            out.append(new)
            pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _step_invisible(text: str, at_line_start: bool) -> str:
    out = _INVISIBLE_INSIDE_RE.sub("", text)
    if "\ufeff" in out:
        out = _BOM_AFTER_NEWLINE_RE.sub("", out)
        if at_line_start and out.startswith("\ufeff"):
            out = out.lstrip("\ufeff")
    return out


# HTML character references ("&#7879;", "&#x1EC7;", "&acirc;") that a scraper left undecoded,
# one or several in a row.
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_ENTITY_RE = re.compile(_ENTITY)
_ENTITY_RUN_RE = re.compile(f"(?:{_ENTITY})+")


def _letters_of(refs: str) -> str | None:
    """What a row of references stands for, if every one is a letter or a combining mark."""
    out = []
    for ref in _ENTITY_RE.findall(refs):
        ch = html.unescape(ref)
        if len(ch) != 1 or unicodedata.category(ch)[0] not in "LM":
            return None
        out.append(ch)
    return "".join(out)


def _step_entities(text: str) -> str:
    """Rows of references that stand for letters, inside a word ("Vi&#7879;t", "x&acirc;y") or
    making one ("&#273;&#432;&#7901;ng"), decoded; once the text has shown such, also one
    standing alone ("&#7903;" for "ở").  Anything else stays: a reference standing alone may
    be the subject ("mã &#7879; là ệ"), and "&amp;", "&lt;" or "&nbsp;" may be meant (markup
    shown as text, code)."""
    if "&" not in text:
        return text
    decoded = False

    def inside(m: re.Match[str]) -> str:
        nonlocal decoded
        letters = _letters_of(m.group())
        start, end = m.span()
        if letters is None or not (len(letters) > 1 or start and text[start - 1].isalpha()
                                   or end < len(text) and text[end].isalpha()):
            return m.group()
        decoded = True
        return letters

    def alone(m: re.Match[str]) -> str:
        return _letters_of(m.group()) or m.group()

    out = _ENTITY_RUN_RE.sub(inside, text)
    if decoded and "&" in out:
        out = _ENTITY_RUN_RE.sub(alone, out)
    return out


def _steps(config: Config, at_line_start: bool) -> list[tuple[str, Callable[[str], str]]]:
    steps: list[tuple[str, Callable[[str], str]]] = []
    if config.fix_encoding:
        steps.append(("html-entity", _step_entities))
    if config.remove_invisible:
        steps.append(("invisible", lambda t: _step_invisible(t, at_line_start)))
    if config.nfc:
        steps.append(("nfc", lambda t: unicodedata.normalize("NFC", t)))
    if config.normalize_spaces:
        steps.append(("space", lambda t: t.translate(_SPACE_TABLE)))
    if config.fold_lookalikes:
        steps.append(("look-alike", lambda t: _sub_words(t, _LOOKALIKE_RE, _fold_run)))
    if config.tone_style in ("old", "new"):
        style: Literal["old", "new"] = config.tone_style  # type: ignore[assignment]
        steps.append(("tone-style",
                      lambda t: _sub_words(t, _WRONG_STYLE_RE[style], lambda w: set_tone_style(w, style))))
    return steps


@lru_cache(maxsize=64)
def _trigger(remove_invisible: bool, normalize_spaces: bool, fold: bool) -> re.Pattern[str] | None:
    """One character class of everything the enabled steps act on, or None if they act on
    nothing that a character class can find."""
    chars = ""
    if remove_invisible:
        chars += INVISIBLE_CHARS
    if normalize_spaces:
        chars += ODD_SPACES
    if fold:
        chars += _LOOKALIKE_CLASS
    return re.compile(f"[{re.escape(chars)}]") if chars else None


def _needs_work(s: str, config: Config) -> bool:
    """False when no step would change ``s``: the fast path, all C-speed scans."""
    if config.nfc and not unicodedata.is_normalized("NFC", s):
        return True
    if config.fix_encoding and "&" in s and _ENTITY_RE.search(s):
        return True
    trig = _trigger(config.remove_invisible, config.normalize_spaces, config.fold_lookalikes)
    if trig is not None and trig.search(s):
        return True
    return config.tone_style in ("old", "new") and _WRONG_STYLE_RE[config.tone_style].search(s) is not None


# An edit covers the whole whitespace-separated piece it changed ("Vie\u0302\u0323t," ->
# "Việt,"), which reads best; only longer pieces (URLs, runs without spaces) are trimmed to the
# changed characters.
_WHOLE_PART = 24


def _trim(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of ``a`` and ``b``, never splitting a letter
    from its combining marks."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    if p:
        while p > 0 and ((p < len(a) and unicodedata.combining(a[p])) or (p < len(b) and unicodedata.combining(b[p]))):
            p -= 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    if s:
        while s > 0 and (unicodedata.combining(a[-s]) or unicodedata.combining(b[-s])):
            s -= 1
    return p, s


def _lines(text: str) -> list[str]:
    """``text`` as lines with their breaks, and the text after the last break as a last line
    even when empty: a line of invisible characters alone stays a line when they are removed."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[-1][-1:] in _LINE_BREAKS:
        lines.append("")
    return lines


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _normalize_forms(text: str, config: Config, at_line_start: bool, base: int = 0) -> tuple[str, list[Edit]]:
    """``text`` after every step but the encoding fix, and the edits (offsets into ``text``
    plus ``base``).  Changed lines are found first (no step adds or removes a line break), then
    the changed words within them, so sparse changes cost little beyond the steps themselves."""
    lines0 = lines = _lines(text)
    current = text
    kinds_at: dict[tuple[int, int], str] = {}
    for kind, step in _steps(config, at_line_start):
        new = step(current)
        if new == current:
            continue
        new_lines = _lines(new)
        if len(new_lines) != len(lines):  # pragma: no cover - a step broke the invariant above
            raise AssertionError(f"normalization step {kind!r} changed the line breaks of the text")
        for li in [i for i, (a, b) in enumerate(zip(lines, new_lines)) if a != b]:
            old_parts = _SPLIT_RE.split(lines[li])
            new_parts = _SPLIT_RE.split(new_lines[li])
            if len(new_parts) != len(old_parts):  # pragma: no cover - as above
                raise AssertionError(f"normalization step {kind!r} changed the whitespace of the text")
            for pi in [j for j, (x, y) in enumerate(zip(old_parts, new_parts)) if x != y]:
                prev = kinds_at.get((li, pi))
                kinds_at[(li, pi)] = kind if prev is None else prev + "+" + kind
        current, lines = new, new_lines
    if not kinds_at:
        return text, []
    line_offsets = list(itertools.accumulate(map(len, lines0), initial=base))
    edits: list[Edit] = []
    append = edits.append
    last_line = -1
    for li, pi in sorted(kinds_at):
        if li != last_line:
            parts0 = _SPLIT_RE.split(lines0[li])
            parts = _SPLIT_RE.split(lines[li])
            offsets = list(itertools.accumulate(map(len, parts0), initial=line_offsets[li]))
            last_line = li
        before, after = parts0[pi], parts[pi]
        if before == after:
            continue
        p = 0
        if len(before) > _WHOLE_PART:
            p, s = _trim(before, after)
            before, after = before[p : len(before) - s], after[p : len(after) - s]
        append(Edit(offsets[pi] + p, before, after, kinds_at[(li, pi)]))
    return current, edits


# --------------------------------------------------------------------------------------------
# Segments, encodings, composition


def iter_segments(text: str, size: int = SEGMENT_SIZE) -> Iterator[tuple[int, int]]:
    """``(start, end)`` pieces of ``text`` of at most about ``size`` code points that join back to
    it, cut after a newline where there is one, else after other whitespace, else (a run of
    ``size`` non-space characters) before a character that is not a combining mark."""
    n = len(text)
    start = 0
    while start < n:
        end = start + size
        if end >= n:
            yield start, n
            return
        cut = text.rfind("\n", start, end) + 1
        if cut <= start:
            m = None
            for m in re.finditer(r"\s+", text[max(start, end - 4096) : end]):
                pass
            cut = max(start, end - 4096) + m.end() if m is not None else 0
        if cut <= start:
            cut = end
            while cut > start + 1 and unicodedata.combining(text[cut]):
                cut -= 1
        yield start, cut
        start = cut


@lru_cache(maxsize=1)
def _encoding_fixer() -> Callable[[str], tuple[str, list[Edit]]] | None:
    """:func:`vn_repair.encodings.fix_encoding`, or None where that module is not installed.
    Imported on first use: it builds its tables at import, which plain-text start-up need not pay."""
    try:
        from .encodings import fix_encoding
    except ModuleNotFoundError as e:
        if e.name not in ("vn_repair.encodings", __package__ + ".encodings"):
            raise
        return None
    return fix_encoding


def _normalize_segment(seg: str, config: Config, at_line_start: bool, base: int = 0) -> tuple[str, list[Edit]]:
    """One segment normalized, with edits at offsets into it plus ``base``."""
    enc_edits: list[Edit] = []
    mid = seg
    if config.fix_encoding:
        fixer = _encoding_fixer()
        if fixer is not None:
            mid, enc_edits = fixer(seg)
    if not enc_edits:
        if not _needs_work(seg, config):
            return seg, []
        return _normalize_forms(seg, config, at_line_start, base)
    if _needs_work(mid, config):
        out, form_edits = _normalize_forms(mid, config, at_line_start)
        edits = compose_edits(seg, enc_edits, form_edits)
    else:
        out, edits = mid, list(enc_edits)
    if base:
        edits = [Edit(e.offset + base, e.before, e.after, e.kind, e.confidence) for e in edits]
    return out, edits


def normalize_text(text: str, config: Config) -> tuple[str, list[Edit]]:
    """Apply the normalization steps ``config`` enables to ``text``.

    Returns the normalized text and the edits (offsets into ``text``, sorted, non-overlapping)
    that turn ``text`` into it: ``apply_edits(text, edits) == result``.  Text with nothing to do
    comes back as the same object with no edits.
    """
    if not isinstance(text, str):
        if isinstance(text, (bytes, bytearray, memoryview)):
            raise TypeError("normalize_text works on str, not bytes: decode first (e.g. data.decode('utf-8'))")
        raise TypeError(f"expected str, not {type(text).__name__}")
    if len(text) <= SEGMENT_SIZE:
        return _normalize_segment(text, config, True)
    pieces: list[str] = []
    edits: list[Edit] = []
    for start, end in iter_segments(text):
        seg = text[start:end]
        out, seg_edits = _normalize_segment(seg, config, start == 0 or text[start - 1] in "\n\r", start)
        pieces.append(out)
        edits.extend(seg_edits)
    if not edits:
        return text, []
    return "".join(pieces), edits
