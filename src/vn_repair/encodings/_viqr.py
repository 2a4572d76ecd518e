"""VIQR (RFC 1456 section 4): Vietnamese written in ASCII with mnemonic marks after the vowel.

"Vie^.t Nam" is "Việt Nam": modifiers ``(`` breve, ``^`` circumflex, ``+`` horn come first,
then one tone ``'`` acute, ``\\``` grave, ``?`` hook, ``~`` tilde, ``.`` dot below; ``dd``/``DD``
is đ/Đ.  RFC 1456: a character is a mark only if it combines with the letter before it into a
Vietnamese letter; a backslash keeps it literal ("Ha` No^.i\\." ends with a full stop).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from ._tables import charmap

__all__ = ["MARK_CHARS", "decode_viqr", "encode_viqr"]

MARK_CHARS = "(^+'`?~."
_MODIFIERS = {("a", "("): "ă", ("a", "^"): "â", ("e", "^"): "ê", ("o", "^"): "ô", ("o", "+"): "ơ",
              ("u", "+"): "ư"}
_TONES = {"`": "\N{COMBINING GRAVE ACCENT}", "'": "\N{COMBINING ACUTE ACCENT}",
          "?": "\N{COMBINING HOOK ABOVE}", "~": "\N{COMBINING TILDE}", ".": "\N{COMBINING DOT BELOW}"}
_VOWELS = "aeiouyAEIOUY"
# Tone characters that are also everyday punctuation: at the end of a word they may be either.
_AMBIGUOUS = ".?'"
_ESCAPABLE = MARK_CHARS + "\\dD"


def _is_valid(word: str) -> bool:
    from ..orthography import is_valid_syllable

    return is_valid_syllable(word)


def _with_case(letter: str, upper: bool) -> str:
    return letter.upper() if upper else letter


def decode_viqr(s: str) -> str:
    """Decode VIQR in ``s``; characters that are not VIQR marks pass through unchanged."""
    out: list[str] = []
    # (index in out, the letter without its tone, the tone character) for tones taken from
    # characters that could also be punctuation, settled once the word is complete.
    ambiguous: list[tuple[int, str, str]] = []
    toned = False  # the current letter run already has its one tone
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in _ESCAPABLE:
            out.append(s[i + 1])
            toned = toned and s[i + 1].isalpha()
            i += 2
            continue
        if c in "dD" and i + 1 < n and s[i + 1] in "dD" and c + s[i + 1] != "dD":
            out.append("Đ" if c == "D" else "đ")
            i += 2
            continue
        if c in _VOWELS:
            letter = c
            j = i + 1
            if j < n and (c.lower(), s[j]) in _MODIFIERS:
                letter = _with_case(_MODIFIERS[(c.lower(), s[j])], c.isupper())
                j += 1
            if j < n and s[j] in _TONES and not toned:
                toned = True
                if s[j] in _AMBIGUOUS and (j + 1 >= n or not s[j + 1].isalpha()):
                    ambiguous.append((len(out), letter, s[j]))
                letter = unicodedata.normalize("NFC", letter + _TONES[s[j]])
                j += 1
            out.append(letter)
            i = j
            continue
        out.append(c)
        if not c.isalpha():
            toned = False
        i += 1
    for pos, bare, mark in ambiguous:
        start = pos
        while start > 0 and out[start - 1].isalpha():
            start -= 1
        end = pos + 1
        while end < len(out) and out[end].isalpha():
            end += 1
        word = "".join(out[start:end])
        bare_word = "".join(out[start:pos]) + bare + "".join(out[pos + 1:end])
        if not _is_valid(word) and _is_valid(bare_word):
            out[pos] = bare + mark
    return "".join(out)


@cache
def _table() -> dict[str, str]:
    return {ch: seq.decode("ascii") for ch, seq in charmap("viqr").encode.items()}


def encode_viqr(text: str, errors: str = "strict") -> str:
    """Write ``text`` (NFC first) in VIQR, escaping literal mark characters after a vowel, a
    literal d before d/đ, and backslashes, so that :func:`decode_viqr` gives ``text`` back.

    Non-ASCII characters other than Vietnamese letters raise UnicodeEncodeError
    (``errors="strict"``), become "?" (``"replace"``) or are dropped (``"ignore"``).
    """
    table = _table()
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    prev = ""
    for k, ch in enumerate(text):
        seq = table.get(ch)
        if seq is None and ch >= "\x80":
            if errors == "strict":
                raise UnicodeEncodeError("viqr", text, k, k + 1, f"{unicodedata.name(ch, repr(ch))} has no VIQR form")
            if errors == "ignore":
                continue
            if errors != "replace":
                raise ValueError(f"errors must be 'strict', 'replace' or 'ignore', not {errors!r}")
            ch = "?"
        if seq is not None:
            out.append(seq)
        elif ch == "\\":
            out.append("\\\\")
        elif ch in MARK_CHARS and prev and unicodedata.normalize("NFD", prev)[0] in _VOWELS or ch in "dD" and text[k + 1: k + 2] in ("d", "D", "đ", "Đ"):
            out.append("\\" + ch)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)
