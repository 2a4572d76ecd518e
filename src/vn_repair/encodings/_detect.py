"""Text-level detection: find mojibake and legacy-encoded stretches in a str and decode them.

Clean text is the common case, so everything starts with one precompiled regex,
:data:`TRIGGER`, that matches only characters (or two-character pairs) that clean Unicode
Vietnamese never contains but mojibake or a legacy encoding almost always does.  A text with no
match is returned at once.  Lines with a match are examined one by one:

1. Mojibake: runs of characters that spell UTF-8 sequences in the cp1252 / latin-1 / cp1258
   views are decoded (repeatedly, for text encoded twice).  Sequences of three or four bytes
   are strong evidence; a lone two-byte one ("Ã©") is taken only when the line shows no clean
   Vietnamese or has strong evidence elsewhere.
2. Legacy encodings (TCVN3, VNI, VISCII, VIQR): every word of the line is decoded with each
   encoding whose evidence pattern occurs in the line, and judged with the orthography: a word
   that was not a Vietnamese syllable and becomes one, and that shows a character clean text
   never has, is a gain; a word that decodes to a non-syllable is a loss.  The line is decoded
   with the encoding that gains most, if it gains enough and loses little.

Words are runs between ASCII whitespace: every legacy form and every mojibake sequence keeps
ASCII whitespace where it was, so the repaired line has the same words in the same places.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from ._codecs import decode_legacy_text
from ._tables import VIETNAMESE_LETTERS, VIEW_TO_BYTE, charmap

__all__ = ["STRONG", "TRIGGER", "fix_line", "iter_lines", "restore_tcvn3_case", "vietnamese_word"]


def _valid_syllable(word: str) -> bool:
    from ..orthography import is_valid_syllable

    return is_valid_syllable(word)


def _char_class(chars: set[str] | frozenset[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


# --- mojibake ---------------------------------------------------------------------------------

def _view_chars(lo: int, hi: int) -> set[str]:
    return {c for c, b in VIEW_TO_BYTE.items() if lo <= b <= hi}


_LEAD2 = _char_class(_view_chars(0xC2, 0xDF))
_LEAD3 = _char_class(_view_chars(0xE0, 0xEF))
_LEAD4 = _char_class(_view_chars(0xF0, 0xF4))
_CONT = _char_class(_view_chars(0x80, 0xBF))
_SEQ = f"[{_LEAD2}][{_CONT}]|[{_LEAD3}][{_CONT}]{{2}}|[{_LEAD4}][{_CONT}]{{3}}"
_MOJIBAKE_RUN = re.compile(f"(?:{_SEQ})+")
_MOJIBAKE_SEQ = re.compile(_SEQ)

# Characters that no legacy view produces: a line with one of these in a Vietnamese word holds
# clean Unicode Vietnamese (ơ ư ă đ are in cp1258's view but are never UTF-8 lead bytes there).
_UNICODE_ONLY = re.compile("[\u1ea0-\u1ef9\u0128\u0129\u0168\u0169ơưăđƠƯĐ]")

# Ranges a decoded multi-byte sequence may land in: Latin, Greek, Cyrillic, combining marks,
# punctuation and symbols, CJK, Hangul syllables, fullwidth forms, emoji.
_PLAUSIBLE = ((0x00A0, 0x052F), (0x1E00, 0x1FFF), (0x2000, 0x2BFF), (0x3000, 0x9FFF),
              (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
              (0x1F000, 0x1FAFF))
# Where a lone three-byte sequence lands in Vietnamese mojibake: letters, punctuation, symbols.
_COMMON3 = ((0x1E00, 0x1EFF), (0x2000, 0x2BFF))


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def _plausible(ch: str) -> bool:
    return _in(_PLAUSIBLE, ch) and unicodedata.category(ch) not in ("Cc", "Cn", "Co", "Cs")


@dataclass
class _Seq:
    start: int
    end: int
    decoded: str
    strong: bool


def _decode_run(run: str) -> list[_Seq]:
    seqs = []
    for m in _MOJIBAKE_SEQ.finditer(run):
        raw = bytes(VIEW_TO_BYTE[c] for c in m.group())
        try:
            ch = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        seqs.append(_Seq(m.start(), m.end(), ch, len(raw) >= 3))
    # A C1 control is what an undefined cp1252 byte shows as; next to other sequences it is a
    # layer of double encoding that the next round decodes ("Ã„Â\x90" -> "Ä\x90" -> "Đ").
    many = len(seqs) > 1
    return [s for s in seqs if _plausible(s.decoded) or (many and "\x80" <= s.decoded <= "\x9f")]


def fix_mojibake(line: str, *, weak: bool = True) -> str:
    """Undo UTF-8-read-as-cp1252/latin-1/cp1258 in ``line`` (up to four layers deep).

    With ``weak=False`` only lines with strong evidence (a three- or four-byte sequence, or
    several sequences in a row) are touched; a lone two-byte sequence ("Ã©") is otherwise
    taken when it decodes to a Latin letter or a common symbol and the line shows no clean
    Vietnamese.
    """
    strong_line = False
    for _ in range(4):
        runs = [(m.start(), m.group()) for m in _MOJIBAKE_RUN.finditer(line)]
        if not runs:
            break
        unicode_vn = _UNICODE_ONLY.search(line) is not None
        decoded = [(start, run, _decode_run(run)) for start, run in runs]
        # Several sequences in a row or three in the line, or a three-byte one, make the line
        # mojibake, for this round and the ones after (each layer of double encoding has
        # fewer sequences).  A lone three-byte sequence outside letters and punctuation (a CJK
        # character, say) counts only where nothing says the line is clean Vietnamese.
        strong_line = strong_line or sum(len(seqs) for _, _, seqs in decoded) >= 3 or any(
            len(seqs) > 1 or (s.strong and (not unicode_vn or _in(_COMMON3, s.decoded)))
            for _, _, seqs in decoded for s in seqs
        )
        out: list[str] = []
        pos = 0
        for start, run, seqs in decoded:
            if not seqs:
                continue
            take = strong_line or len(seqs) > 1 or (
                weak and not unicode_vn
                and all(("\xc0" <= s.decoded <= "\u024f" and s.decoded.isalpha()) or s.decoded in _SYMBOLS2
                        for s in seqs)
            )
            if not take:
                continue
            out.append(line[pos:start])
            cur = 0
            for s in seqs:
                out.append(run[cur:s.start])
                out.append(s.decoded)
                cur = s.end
            out.append(run[cur:])
            pos = start + len(run)
        if pos == 0:
            break
        out.append(line[pos:])
        new = "".join(out)
        if new == line:
            break
        line = new
    return line


# Symbols whose two-byte mojibake ("Â©", "Â°", "Â\xa0") is taken on its own.
_SYMBOLS2 = frozenset("\xa0©®°±²³·«»§¶½¼¾×÷£¥€")


# --- legacy encodings -------------------------------------------------------------------------

# Punctuation that clean text has inside or next to words: never evidence of an encoding,
# though a table may give it a letter (cp1252's curly quotes are capitals in VISCII).
_CLEAN_PUNCT = frozenset("\xa0\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022")
# Symbols that clean text has now and then: evidence when judging a line, but kept out of the
# fast-path trigger so that clean text with them stays on the fast path.
_CLEAN_SYMBOLS = frozenset("\u20ac\u2122×²³")


def _letter_chars(name: str) -> set[str]:
    """View characters that legacy encoding ``name`` turns into a letter and that are not
    Vietnamese letters themselves: a word showing one is evidence for ``name``."""
    cm = charmap(name)
    views: dict[int, list[str]] = {}  # byte -> the characters that show it
    for view_ch, b in VIEW_TO_BYTE.items():
        views.setdefault(b, []).append(view_ch)
    out: set[str] = set()
    for seq, ch in cm.decode.items():
        if len(seq) != 1 or seq[0] < 0x80:
            continue
        out.update(view_ch for view_ch in views.get(seq[0], ()) if view_ch != ch)
    return {c for c in out if c not in VIETNAMESE_LETTERS and c not in _CLEAN_PUNCT
            and c not in "ăâêôơưđĂÂÊÔƠƯĐ" and not unicodedata.combining(c)}


_VN_VOWEL = "aeiouyAEIOUY"
_VNI_SINGLE = "öñæîïûåäëüøÖÑÆÎÏÛÅÄËÜØ"
# After a vowel, VNI mark bytes form pairs clean Vietnamese never has: "aù" (á), "oâ" (ô),
# "aê" (ă), "eá" (ế), "uoà" (uồ).  "oà" and "oá" are left out: clean "hoà", "hoá" have them.
_VNI_PAIRS = (f"(?<=[{_VN_VOWEL}ôÔöÖ])[ùõÙÕ]|(?<=[aeoAEO])[âÂ]|(?<=[aA])[êÊúÚ]"
              "|(?<=[aeAE])[àáåãäÀÁÅÃÄ]|(?<=[uU][oO])[àáåãäÀÁÅÃÄ]")
STRONG: dict[str, re.Pattern[str]] = {
    "tcvn3": re.compile(f"[{_char_class(_letter_chars('tcvn3'))}]"),
    "viscii": re.compile(f"[{_char_class(_letter_chars('viscii'))}]"),
    # VNI: its mark bytes after a vowel in pairs clean Vietnamese never has ("aù", "oâ", "aê").
    "vni": re.compile(f"[{_VNI_SINGLE}]|{_VNI_PAIRS}"),
    # VIQR: a modifier or an unambiguous tone character right after a vowel, or dd before a vowel.
    # VIQR: a modifier or an unambiguous tone character right after a vowel, a hook or dot
    # between a vowel and a letter ("A?nh"; not the apostrophe of "O'Brien"), dd, an escape.
    "viqr": re.compile(f"(?<=[{_VN_VOWEL}])[(^+`~]|(?<=[{_VN_VOWEL}])[.?](?=[a-zA-Z])"
                       f"|(?<=[{_VN_VOWEL}][(^+])[.?']|[dD][dD]|\\\\[(^+'`?~.\\\\dD]"),
}
"""Per encoding: what in a word is evidence that the word is in that encoding."""

_TRIGGER_SINGLES = _char_class(
    (_letter_chars("tcvn3") | _letter_chars("viscii") | set(_VNI_SINGLE)) - _CLEAN_SYMBOLS)
# One character class first, so that the regex engine skips along the text in a tight loop
# and tries the lookbehinds only at the few characters that can end a trigger.
TRIGGER = re.compile(
    f"[{_TRIGGER_SINGLES}{_CONT}ùõÙÕâÂêÊúÚàáåãäÀÁÅÃÄ(^+`~?.']"
    "(?:"
    f"(?<=[{_TRIGGER_SINGLES}])"
    f"|(?<=[{_LEAD2}{_LEAD3}{_LEAD4}][{_CONT}])"  # a UTF-8 lead byte, then a continuation byte
    f"|(?<=[{_VN_VOWEL}ôÔöÖ][ùõÙÕ])|(?<=[aeoAEO][âÂ])|(?<=[aA][êÊúÚ])"  # VNI mark pairs
    "|(?<=[aeAE][àáåãäÀÁÅÃÄ])|(?<=[uU][oO][àáåãäÀÁÅÃÄ])"
    f"|(?<=[{_VN_VOWEL}][(^+`~])"  # VIQR modifiers and unambiguous tones
    f"|(?<=[{_VN_VOWEL}][?.'])(?=[a-zA-Z])"  # VIQR tones inside a word: "Ba'o", "A?nh"
    ")"
)
"""Matches wherever a stretch of mojibake or legacy-encoded Vietnamese could start."""

_WORD = re.compile(r"[^ \t\n\r\f\v]+")
_PARTS = re.compile(r"[-/]")
_EDGE_STRIP = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()) + "".join(_CLEAN_PUNCT)


@lru_cache(maxsize=1 << 16)
def vietnamese_word(word: str) -> bool:
    """True if ``word`` (a run between spaces) is Vietnamese syllables, possibly hyphenated,
    with punctuation only at its ends."""
    core = word.strip(_EDGE_STRIP)
    if not core:
        return False
    for part in _PARTS.split(core):
        if not part or not part.isalpha() or not _valid_syllable(part):
            return False
    return True


def _letters(s: str) -> int:
    return sum(1 for c in s if c.isalpha())


@dataclass
class _Verdict:
    """How the words of one line fare when decoded from one encoding."""

    name: str
    strong_gains: int = 0  # non-syllable -> syllable, with evidence for the encoding
    gains: int = 0  # non-syllable -> syllable
    gain_weight: int = 0  # gains of two letters or more
    losses: int = 0  # decodes to a non-syllable
    unicode_words: int = 0  # clean Unicode Vietnamese words the encoding cannot have produced
    convert: dict[int, str] = field(default_factory=dict)  # word index -> decoded, always taken
    neutral: dict[int, str] = field(default_factory=dict)  # taken where the line is all legacy
    rest: dict[int, str] = field(default_factory=dict)  # taken where the line is overwhelmingly so

    @property
    def score(self) -> int:
        return self.gains - self.losses


_UNVIEWABLE = re.compile(f"[^{_char_class(set(VIEW_TO_BYTE))}]")


def _judge(words: list[tuple[int, str]], name: str) -> _Verdict:
    v = _Verdict(name)
    strong = STRONG[name]
    for k, (_, w) in enumerate(words):
        # A word with a character no view produces ("Ðịnh") is not legacy bytes, whatever
        # else it shows.
        dec = w if _UNVIEWABLE.search(w) else decode_legacy_text(w, name)
        if dec == w:
            if _UNICODE_ONLY.search(w) and vietnamese_word(w):
                v.unicode_words += 1
            continue
        evidence = strong.search(w) is not None
        # A word showing VIQR marks is not clean even where its ends strip to a syllable
        # ("Vu~" is not "Vu"); other evidence can sit in rare clean words (VNI "oõ" in "noõng").
        before = not (evidence and name == "viqr") and vietnamese_word(w)
        after = vietnamese_word(dec)
        if after and not before:
            v.gains += 1
            v.strong_gains += evidence
            v.gain_weight += _letters(dec) >= 2
            v.convert[k] = dec
        elif after:
            v.neutral[k] = dec  # "cã" is a syllable, and so is "có", its TCVN3 reading
        else:
            v.losses += 1
            if evidence:
                v.neutral[k] = dec  # "«t«" (ôtô), names: not one syllable, still this encoding
            else:
                v.rest[k] = dec  # "Quíi" (Quới): a name the syllable rules do not know
    return v


def _accept(v: _Verdict) -> bool:
    # More clean Unicode Vietnamese than legacy words: the line is Unicode, and what looks
    # like a legacy letter is a look-alike ("Ðức" with an Icelandic eth) for a later stage.
    if v.strong_gains == 0 or v.gains < 2 * v.losses or v.unicode_words > v.gains:
        return False
    return v.gain_weight >= 2 or (v.gain_weight >= 1 and v.losses == 0)


# Toned vowels: TCVN3 (VN3) has only lowercase codes for them, so their case is a guess.
_TONED_LOWER = frozenset(c for c in VIETNAMESE_LETTERS
                         if c.islower() and c not in "abcdefghijklmnopqrstuvwxyzăâêôơưđ")
_CLAUSE_END = tuple(".!?:;…-–—")
_OPENERS = "([{\"'“‘"


def _all_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _caps_runs(dec: str) -> str:
    """"ĐẢNG" arrives as "ĐảNG": capitals around a toned vowel, and no lowercase letter that
    TCVN3 could have written as a capital, make the word all capitals."""
    out = []
    for part in re.split(r"(\W+)", dec):
        if part.isalpha() and any(c in _TONED_LOWER for c in part):
            lower = any(c.islower() and c not in _TONED_LOWER for c in part)
            if not lower and sum(c.isupper() for c in part) >= 2:
                part = part.upper()
        out.append(part)
    return "".join(out)


def _restore_case(decoded: list[str], k: int) -> str:
    """Case of word ``k`` of a TCVN3-decoded line, given its decoded neighbours."""
    word = decoded[k]
    letters = [c for c in word if c.isalpha()]
    if letters and letters[0].isupper() and all(c in _TONED_LOWER for c in letters[1:]) and len(letters) > 1:
        # "Độ" and "ĐỘ" both arrive as "Độ": all capitals only among all-capital syllables.
        if any(0 <= j < len(decoded) and _all_caps(decoded[j]) and vietnamese_word(decoded[j])
               for j in (k - 1, k + 1)):
            return word.upper()
        return word
    first = next((i for i, c in enumerate(word) if c.isalpha()), None)
    if first is not None and word[first] in _TONED_LOWER and all(c in _OPENERS for c in word[:first]):
        j = k - 1
        while j >= 0 and decoded[j] and all(c in _OPENERS for c in decoded[j]):
            j -= 1  # a quote or bracket standing alone belongs to this word
        prev = decoded[j] if j >= 0 else ""
        if not prev or prev.endswith(_CLAUSE_END):
            return word[:first] + word[first].upper() + word[first + 1:]
    return word


def _tcvn3_case(decoded: list[str], changed: set[int]) -> list[str]:
    out = [_caps_runs(w) if k in changed else w for k, w in enumerate(decoded)]
    return [_restore_case(out, k) if k in changed else w for k, w in enumerate(out)]


_TIE_ORDER = ("vni", "tcvn3", "viscii", "viqr")


_VIETNAMESE_UNICODE = re.compile("[àáâãèéêìíòóôõùúýăđĩũơưạ-ỹÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯ]")
# Addresses, whose query strings ("view.php?id=5") hold a "?" after any letter.
_URLS = re.compile(r"\S*(?:://|www\.|\?[^\s?]*=)\S*")
# A "?" inside a word that VIQR cannot have written: after a consonant or another "?" ("d?n",
# "b?ng", "ng??i"). VIQR writes the hook after a vowel (or its modifier) only; a code page that
# lacks a letter leaves "?" wherever the letter stood.
_PLACEHOLDER_NOT_VIQR = re.compile(f"(?<=[^\\W\\d_{_VN_VOWEL}]|\\?)\\?(?=[^\\W\\d_])")


def fix_legacy(line: str) -> str:
    """Decode ``line`` from the legacy encoding its words point to, if one does."""
    candidates = [name for name, pattern in STRONG.items() if pattern.search(line)]
    if "viqr" in candidates and (_VIETNAMESE_UNICODE.search(line) or "\N{REPLACEMENT CHARACTER}" in line):
        # VIQR is 7-bit: a line that already has Vietnamese letters was not written in it, and
        # its "?" after a vowel is a placeholder for a lost letter ("cu?" for "của"), not a hook.
        # Nor was a line with U+FFFD, the mark of bytes that failed to decode ("C\ufffdng an
        # qu?n", Latin-1 letters of cp1252 bytes read as UTF-8).
        candidates.remove("viqr")
    elif "viqr" in candidates and "?" in line and _PLACEHOLDER_NOT_VIQR.search(_URLS.sub(" ", line)) \
            and len(STRONG["viqr"].findall(line.replace("?", " "))) < 2:
        # Nor a line with a "?" where VIQR puts none (an address's query aside: "view.php?id"),
        # unless other VIQR marks abound: "Nhi?u ng??i d?n", "Cho bi?n `i` b?ng 0." lost
        # letters to a code page.
        candidates.remove("viqr")
    if not candidates:
        return line
    words = [(m.start(), m.group()) for m in _WORD.finditer(line)]
    verdicts = [v for v in (_judge(words, name) for name in candidates) if _accept(v)]
    if not verdicts:
        return line
    # Ties (a short line that reads as Vietnamese both ways, "Loäc" as VNI "Lộc" or TCVN3
    # "Loọc") go to VNI, whose reading needs a vowel and a mark byte side by side, then TCVN3.
    best = max(verdicts, key=lambda v: (v.score, v.gain_weight, -_TIE_ORDER.index(v.name)))
    changes = dict(best.convert)
    if best.unicode_words * 2 < best.gains:
        changes.update(best.neutral)
        if best.unicode_words == 0 and best.strong_gains >= 3 and best.gains >= 4 * best.losses:
            changes.update(best.rest)
    decoded = [changes.get(k, w) for k, (_, w) in enumerate(words)]
    if best.name == "tcvn3":
        decoded = _tcvn3_case(decoded, set(changes))
    out = []
    pos = 0
    for k in sorted(changes):
        start, w = words[k]
        out.append(line[pos:start])
        out.append(decoded[k])
        pos = start + len(w)
    out.append(line[pos:])
    return "".join(out)


def fix_line(line: str) -> str:
    """Undo mojibake, then a legacy encoding, in one line.

    Strong mojibake evidence goes first (legacy text may have been UTF-8 encoded and misread
    on top); a line that a legacy encoding explains is not searched for weak mojibake, which
    would take a TCVN3 or VISCII pair such as "Ðµ" for a UTF-8 sequence.
    """
    strong = fix_mojibake(line, weak=False)
    if strong != line:
        return fix_legacy(strong)
    legacy = fix_legacy(line)
    if legacy != line:
        return legacy
    return fix_mojibake(line)


def iter_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text`` that :data:`TRIGGER` matches, in order."""
    pos = 0
    n = len(text)
    while pos < n:
        m = TRIGGER.search(text, pos)
        if m is None:
            return
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if end < 0:
            end = n
        yield start, end
        pos = end + 1


def restore_tcvn3_case(text: str) -> str:
    """Apply the TCVN3 capital heuristics of :func:`fix_legacy` to every word of decoded
    ``text`` (byte-level decoding, where every word came from TCVN3)."""
    out = []
    for line in text.split("\n"):
        parts = _SPACES.split(line)
        words = parts[0::2]
        changed = {k for k, w in enumerate(words) if any(c in _TONED_LOWER for c in w)}
        if changed:
            parts[0::2] = _tcvn3_case(words, changed)
        out.append("".join(parts))
    return "\n".join(out)


_SPACES = re.compile(r"([ \t\r\f\v]+)")
