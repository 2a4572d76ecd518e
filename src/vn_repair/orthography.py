"""Vietnamese orthography: parse, validate, compose, move tone marks, strip marks.

A written syllable is onset + (glide) + nucleus + (coda) + tone.  This module knows which
onsets and rhymes exist, the spelling rules (c/k/q, g/gh, ng/ngh, gi, qu, i/y), that stop codas
(p, t, c, ch) take only the sắc or nặng tone, and where the tone mark goes in the two placement
styles in use.

Naming of the two styles follows the project's usage: ``"old"`` puts the mark on the second
vowel of an open oa/oe/uy rhyme ("hoà", "hoè", "thuỷ"); ``"new"`` puts it on the first ("hòa",
"hòe", "thủy").  Every other syllable is written the same way in both.

All functions take NFC text and keep the case of every letter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal, NamedTuple

__all__ = [
    "TONE_MARKS",
    "Syllable",
    "compose",
    "generate_syllables",
    "has_style_variant",
    "is_valid_syllable",
    "parse_syllable",
    "set_tone_style",
    "strip_marks",
    "strip_tone",
    "tone_spellings",
    "tone_style_of",
]

#: Combining tone marks, indexed by tone number: 0 ngang (none), 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
TONE_MARKS = (
    "",
    "\N{COMBINING GRAVE ACCENT}",
    "\N{COMBINING ACUTE ACCENT}",
    "\N{COMBINING HOOK ABOVE}",
    "\N{COMBINING TILDE}",
    "\N{COMBINING DOT BELOW}",
)
_TONE_OF_MARK = {m: i for i, m in enumerate(TONE_MARKS) if m}

# Base letters (no tone) that carry a modifier mark; the tone goes on these first.
_MODIFIED_VOWELS = frozenset("ăâêôơư")
_VOWELS = frozenset("aăâeêioôơuưy")
_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
# Every lowercase letter a syllable can be written with, precomposed (NFC) or decomposed (NFD).
_WRITTEN_LETTERS = frozenset(
    _LETTERS
    | {unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in TONE_MARKS}
    | set(TONE_MARKS[1:])
    | {"\N{COMBINING BREVE}", "\N{COMBINING CIRCUMFLEX ACCENT}", "\N{COMBINING HORN}"}
)

ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
    "nh", "p", "ph", "q", "r", "s", "t", "th", "tr", "v", "x",
)
_ONSET_SET = frozenset(ONSETS)

_STOP_CODAS = ("c", "ch", "p", "t")
_CODAS_LONGEST_FIRST = ("ng", "nh", "ch", "c", "m", "n", "p", "t")

# Rhymes (glide + nucleus + coda, toneless) as spelled after an onset.
_RHYMES_PLAIN = """
a ac ach ai am an ang anh ao ap at au ay
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e ec em en eng ep et eo
ê êch êm ên êng ênh êp êt êu
i ia ich im in inh ip it iu
iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot
oo ooc oong
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut
uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu
ươc ươi ươm ươn ương ươp ươt ươu
""".split()

# Rhymes that begin with the labial glide /w/, written o before a, ă, e and u before â, ê, y, ơ.
_RHYMES_GLIDE = """
oa oac oach oai oam oan oang oanh oap oat oao oay
oăc oăm oăn oăng oăt
oe oen oeo oet
uân uâng uât uây
uê uêch uênh
uơ
uy uya uych uyn uynh uyp uyt uyu uyên uyêt
""".split()

# A bare "y" nucleus and the iê diphthong written "yê" stand only where no consonant precedes.
_RHYMES_Y_ONLY = "yêm yên yêng yêt yêu".split()

# After q the glide is written u; these are the rhymes that follow "qu".
_RHYMES_AFTER_QU = """
a ac ach ai an ang anh at ao au ay
ăc ăm ăn ăng ăp ăt
âc ân âng ât ây
e en eo et
ê ên ênh êch êt êu
i it
y ych ynh yt yêt yên yêu
ơ ơi
ôc
""".split()

_RHYMES = frozenset(_RHYMES_PLAIN) | frozenset(_RHYMES_GLIDE)
_FRONT = ("e", "ê", "i", "y")

# Single "y" is written after these onsets (ý, hy, kỹ, lý, mỹ, sỹ, tỷ, vy); elsewhere it is "i".
_Y_ONSETS = frozenset(("", "h", "k", "l", "m", "s", "t", "v"))


class Syllable(NamedTuple):
    """A parsed syllable, lowercase and toneless parts plus the tone number (0..5).

    ``onset`` is the written initial consonant ("" for none; "q" always with glide "u").
    ``glide`` is "o", "u" or "".  ``nucleus`` is the vowel or diphthong ("a", "iê", "ươ", "ya"...).
    ``coda`` is the final consonant or semivowel ("", "ng", "i", "o"...).
    """

    onset: str
    glide: str
    nucleus: str
    coda: str
    tone: int

    @property
    def rhyme(self) -> str:
        return self.glide + self.nucleus + self.coda


def _rhyme_ok(onset: str, rhyme: str) -> bool:
    if onset == "q":
        return rhyme.startswith("u") and rhyme[1:] in _RHYMES_AFTER_QU
    if rhyme in _RHYMES_Y_ONLY:
        return onset == ""
    if rhyme == "y":
        return onset in _Y_ONSETS
    if rhyme not in _RHYMES:
        return False
    if rhyme.startswith("iê") and onset == "":
        return False  # written "yê" without an onset: yên, yêu
    first = rhyme[0]
    glide = rhyme in _RHYMES_GLIDE
    if onset == "c":
        return first not in _FRONT and not glide
    if onset == "k":
        return first in _FRONT
    if onset in ("g", "ng"):
        return first not in _FRONT
    if onset in ("gh", "ngh"):
        return first in _FRONT and not glide
    if onset == "gi":
        # The i of gi doubles as a vowel only before a consonant, at the end, or in iê: gì, gìn, giếng.
        if glide or first == "y":
            return False
        return first != "i" or len(rhyme) == 1 or rhyme[1] not in _VOWELS or rhyme.startswith("iê")
    return True


def _split_rhyme(onset: str, rhyme: str) -> tuple[str, str, str]:
    """Split a valid rhyme into glide, nucleus and coda."""
    coda = ""
    for c in _CODAS_LONGEST_FIRST:
        if rhyme.endswith(c):
            coda = c
            break
    core = rhyme[: len(rhyme) - len(coda)]
    glide = ""
    if onset == "q" or (rhyme in _RHYMES_GLIDE):
        glide, core = core[0], core[1:]
    for nucleus in ("iê", "yê", "uô", "ươ", "ia", "ya", "ua", "ưa", "oo"):
        if core.startswith(nucleus) and not (nucleus == "ua" and glide):
            break
    else:
        nucleus = core[:1]
    semivowel = core[len(nucleus):]
    return glide, nucleus, semivowel + coda


def _detone(word: str) -> tuple[str, int] | None:
    """Lowercase toneless base and tone number, or None if there is more than one tone mark."""
    if unicodedata.is_normalized("NFC", word):
        # Precomposed letters: one table lookup per letter instead of decomposing.
        base = word.translate(_DETONE_TABLE)
        if base == word:
            return base, 0
        tones = [_TONE_OF_CHAR[c] for c in word if c in _TONE_OF_CHAR]
        if len(tones) == 1 and not any(c in _TONE_OF_MARK for c in word):
            return base, tones[0]
    tone = 0
    letters = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        t = _TONE_OF_MARK.get(ch)
        if t is None:
            letters.append(ch)
        elif tone:
            return None
        else:
            tone = t
    return unicodedata.normalize("NFC", "".join(letters)), tone


@lru_cache(maxsize=1 << 16)
def _parse_lower(word: str) -> Syllable | None:
    if not _WRITTEN_LETTERS.issuperset(word):
        return None  # a letter no Vietnamese syllable has (f, j, w, z, é...) or no letter at all
    if unicodedata.is_normalized("NFC", word) and not _SHAPE_RE.match(word):
        return None  # not consonants, one to three vowels, a coda: "km", "trump", "tp"
    got = _detone(word)
    if got is None:
        return None
    base, tone = got
    if not base or any(ch not in _LETTERS for ch in base):
        return None
    # The onset is the run of consonants before the first vowel; gi and qu take the next
    # letter along when it is i or u.
    i = 0
    while i < len(base) and base[i] not in _VOWELS:
        i += 1
    onset, rest = base[:i], base[i:]
    if onset == "g" and rest.startswith("i"):
        onset, rest = "gi", rest[1:]
    if onset not in _ONSET_SET:
        return None
    tries = [rest]
    if onset == "gi" and (not rest or rest[0] not in _VOWELS or rest.startswith("ê")):
        tries.insert(0, "i" + rest)  # the i of gi doubles as the vowel: gì, gìn, giếng
    for rhyme in tries:
        if rhyme and _rhyme_ok(onset, rhyme):
            glide, nucleus, coda = _split_rhyme(onset, rhyme)
            if coda in _STOP_CODAS and tone not in (2, 5):
                return None
            return Syllable(onset, glide, nucleus, coda, tone)
    return None


def parse_syllable(word: str) -> Syllable | None:
    """Parse ``word`` (any case, NFC or NFD) into a :class:`Syllable`; ``None`` if it is not a
    valid Vietnamese syllable.  Either tone-mark placement is accepted."""
    return _parse_lower(word.lower())


def is_valid_syllable(word: str) -> bool:
    """True if ``word`` is a well-formed Vietnamese syllable (case-insensitive)."""
    return _parse_lower(word.lower()) is not None


def _tone_index(rhyme: str, style: str) -> int:
    """Index within ``rhyme`` of the vowel that carries the tone mark."""
    vowels = [i for i, ch in enumerate(rhyme) if ch in _VOWELS]
    modified = [i for i in vowels if rhyme[i] in _MODIFIED_VOWELS]
    if modified:
        return modified[-1]
    last = vowels[-1]
    if rhyme[last + 1 :]:  # closed by a consonant: the last vowel
        return last
    if len(vowels) == 3:
        return vowels[1]
    if len(vowels) == 2:
        if rhyme in ("oa", "oe", "uy") and style == "old":
            return vowels[1]
        return vowels[0]
    return last


def compose(syllable: Syllable, style: Literal["old", "new"] = "new") -> str:
    """Write a parsed syllable (lowercase), placing the tone mark in ``style``."""
    onset, glide, nucleus, coda, tone = syllable
    rhyme = glide + nucleus + coda
    if onset == "gi" and rhyme.startswith("i"):
        onset = "g"
    if tone:
        i = _tone_index(rhyme if onset != "q" else rhyme[1:], style) + (1 if onset == "q" else 0)
        marked = unicodedata.normalize("NFC", rhyme[i] + TONE_MARKS[tone])
        rhyme = rhyme[:i] + marked + rhyme[i + 1 :]
    return onset + rhyme


def _copy_case(template: str, word: str) -> str:
    if template.islower():
        return word
    if template.isupper() and len(template) > 1:
        return word.upper()
    return "".join(w.upper() if t.isupper() else w for t, w in zip(template, word)) + word[len(template):]


# Lowercase endings of the syllables the two placements write differently: an open oa, oe or
# uy rhyme with a tone ("hoà"/"hòa", "thuỷ"/"thủy").
_STYLE_ENDINGS = tuple(
    unicodedata.normalize("NFC", a + b)
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for t in TONE_MARKS[1:]
    for a, b in ((first, second + t), (first + t, second))
)


def has_style_variant(word: str) -> bool:
    """Cheap test: could :func:`set_tone_style` write lowercase ``word`` another way?"""
    return word.endswith(_STYLE_ENDINGS)


def tone_spellings(word: str) -> set[str]:
    """Lowercase syllable ``word`` in every tone placement it has: {"hòa", "hoà"}, {"việt"}."""
    return {word, set_tone_style(word, "old")} if has_style_variant(word) else {word}


@lru_cache(maxsize=1 << 15)
def set_tone_style(word: str, style: Literal["old", "new"]) -> str:
    """Move the tone mark of a syllable to ``style`` placement ("hoà" ⇄ "hòa"); anything that is
    not a valid syllable is returned unchanged."""
    if style not in ("old", "new"):
        raise ValueError(f"style must be 'old' or 'new', not {style!r}")
    syl = _parse_lower(word.lower())
    if syl is None or not syl.tone:
        return word
    out = compose(syl, style)
    if len(out) != len(word):
        return word
    return _copy_case(word, out)


def tone_style_of(word: str) -> Literal["old", "new"] | None:
    """Which placement style ``word`` shows: "old" ("hoà"), "new" ("hòa") or None when the two
    styles write it alike (or it is not a syllable)."""
    syl = _parse_lower(word.lower())
    if syl is None or not syl.tone or syl.coda or syl.glide + syl.nucleus not in ("oa", "oe", "uy"):
        return None
    if syl.onset == "q":
        return None
    lower = word.lower()
    return "new" if lower == compose(syl, "new") else "old"


# Marks: tone marks and modifiers removed, đ -> d.
_VOWEL_CLASS = "".join(sorted({unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in TONE_MARKS}))
# The outline every syllable has (consonants, one to four vowel letters counting the i of gi
# and the u of qu, a coda), checked before parsing: most non-words fail here at once.
_SHAPE_RE = re.compile(
    f"(?:[bcdđghklmnpqrstvx]{{0,3}})[{_VOWEL_CLASS}]{{1,4}}(?:ch|ng|nh|[cmnpt])?"
    r"\Z"
)


def _build_detone() -> tuple[dict[int, str], dict[str, int]]:
    table: dict[int, str] = {}
    tone_of: dict[str, int] = {}
    for v in "aăâeêioôơuưy":
        for t in range(1, 6):
            ch = unicodedata.normalize("NFC", v + TONE_MARKS[t])
            table[ord(ch)] = v
            tone_of[ch] = t
    return table, tone_of


_DETONE_TABLE, _TONE_OF_CHAR = _build_detone()


def _build_strip_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1EA0, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_STRIP_TABLE = _build_strip_table()
_TONE_STRIP_TABLE = {
    cp: unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if c not in _TONE_OF_MARK)
    )
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1EA0, 0x1F00))
    if any(c in _TONE_OF_MARK for c in unicodedata.normalize("NFD", chr(cp)))
}


def strip_marks(text: str) -> str:
    """Remove every Vietnamese diacritic (tone marks and ă â ê ô ơ ư modifiers) and turn đ into d,
    keeping case: "Đường Việt" → "Duong Viet".  Combining marks left in NFD text are removed too."""
    out = text.translate(_STRIP_TABLE)
    if not out.isascii():
        out = "".join(c for c in unicodedata.normalize("NFD", out) if not unicodedata.combining(c))
        out = unicodedata.normalize("NFC", out)
    return out


def strip_tone(text: str) -> str:
    """Remove tone marks only, keeping ă â ê ô ơ ư and đ: "Việt" → "Viêt"."""
    return text.translate(_TONE_STRIP_TABLE)


def generate_syllables(style: Literal["old", "new"] = "new") -> list[str]:
    """Every syllable the rules allow, lowercase, in ``style`` placement (sorted)."""
    out: set[str] = set()
    for onset in ONSETS:
        rhymes: list[str]
        if onset == "q":
            rhymes = ["u" + r for r in _RHYMES_AFTER_QU]
        else:
            rhymes = sorted(_RHYMES) + _RHYMES_Y_ONLY + ["y"]
        for rhyme in rhymes:
            if not _rhyme_ok(onset, rhyme):
                continue
            glide, nucleus, coda = _split_rhyme(onset, rhyme)
            for tone in range(6):
                if coda in _STOP_CODAS and tone not in (2, 5):
                    continue
                out.add(compose(Syllable(onset, glide, nucleus, coda, tone), style))
    return sorted(out)
