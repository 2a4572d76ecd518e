"""Encoders and decoders for the legacy Vietnamese encodings and for cp1258.

Byte mode works on bytes (``decode_legacy``/``encode_legacy_bytes``).  Text mode
(``decode_legacy_text``) works on a str that shows legacy bytes through a view (cp1252, latin-1
or cp1258; see :mod:`._tables`), the form in which legacy text usually reaches vn-repair.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

from ._tables import _VIEW_TABLES, VIEWS, charmap, regex_union
from ._viqr import decode_viqr, encode_viqr

__all__ = [
    "BYTE_LEGACY",
    "decode_cp1258",
    "decode_legacy",
    "decode_legacy_text",
    "encode_cp1258",
    "encode_legacy_bytes",
]

#: The legacy encodings that are byte encodings (VIQR is ASCII text).
BYTE_LEGACY = ("tcvn3", "vni", "viscii")

_CP1252 = _VIEW_TABLES["cp1252"]
_TONES = "\N{COMBINING GRAVE ACCENT}\N{COMBINING ACUTE ACCENT}\N{COMBINING HOOK ABOVE}" \
         "\N{COMBINING TILDE}\N{COMBINING DOT BELOW}"


def _decode_entries(name: str) -> dict[bytes, str]:
    """The charmap's decode entries, plus (VNI) mixed-case base + mark pairs: "Aù" is Á too."""
    entries = dict(charmap(name).decode)
    if name == "vni":
        for seq, ch in list(entries.items()):
            if len(seq) == 2 and chr(seq[0]).isalpha():
                other_mark = bytes([seq[0], seq[1] ^ 0x20])
                entries.setdefault(other_mark, ch)
    return entries


@cache
def _byte_decoder(name: str) -> tuple[re.Pattern[str], dict[str, str]]:
    mapping = {seq.decode("latin-1"): ch for seq, ch in _decode_entries(name).items()}
    pattern = re.compile(regex_union(list(mapping)).pattern + "|[\x80-\xff]")
    return pattern, mapping


def decode_legacy(data: bytes, name: str) -> str:
    """Decode bytes in legacy encoding ``name`` (tcvn3, vni, viscii).  Bytes the table leaves
    unassigned decode as cp1252 does (undefined ones as the C1 control of that number)."""
    pattern, mapping = _byte_decoder(name)
    return pattern.sub(lambda m: mapping.get(m.group()) or _CP1252[ord(m.group())], data.decode("latin-1"))


@cache
def _text_decoder(name: str) -> tuple[re.Pattern[str], dict[str, str]]:
    mapping: dict[str, str] = {}
    for seq, ch in _decode_entries(name).items():
        if any(b < 0x20 for b in seq):
            continue  # capitals on C0 control positions: never guessed inside a str
        choices = [sorted({_VIEW_TABLES[v][b] for v in VIEWS}) for b in seq]
        for combo in itertools.product(*choices):
            mapping.setdefault("".join(combo), ch)
    return regex_union(list(mapping)), mapping


def decode_legacy_text(s: str, name: str) -> str:
    """Decode a str that shows legacy bytes of ``name`` through a view; characters that stand
    for no table entry are kept as they are.  ``name`` may also be "viqr"."""
    if name == "viqr":
        return decode_viqr(s)
    pattern, mapping = _text_decoder(name)
    return pattern.sub(lambda m: mapping[m.group()], s)


@cache
def _byte_encoder(name: str) -> tuple[dict[str, bytes], frozenset[int]]:
    cm = charmap(name)
    used = frozenset(b for seq in cm.decode for b in seq if b >= 0x80)
    return cm.encode, used


def _encode_error(ch: str, name: str, text: str, i: int, errors: str) -> bytes:
    if errors == "strict":
        raise UnicodeEncodeError(name, text, i, i + 1, f"{unicodedata.name(ch, repr(ch))} has no {name} form")
    if errors == "replace":
        return b"?"
    if errors == "ignore":
        return b""
    raise ValueError(f"errors must be 'strict', 'replace' or 'ignore', not {errors!r}")


def encode_legacy_bytes(text: str, name: str, errors: str = "strict") -> bytes:
    """Encode ``text`` (NFC first) in ``name`` (tcvn3, vni, viscii).

    Characters outside the table take their cp1252 byte when the table leaves that byte
    unassigned (how Windows programs stored punctuation typed with legacy fonts); TCVN3 writes
    a toned capital with its lowercase code (VN3 has none: ABC fonts showed capitals with an
    all-capitals font over the lowercase codes).
    """
    table, used = _byte_encoder(name)
    text = unicodedata.normalize("NFC", text)
    out = bytearray()
    for i, ch in enumerate(text):
        seq = table.get(ch)
        if seq is None and name == "tcvn3" and ch.isupper():
            seq = table.get(ch.lower())
        if seq is None:
            if ch < "\x80" and not (name == "viscii" and ch in "\x02\x05\x06\x14\x19\x1e"):
                seq = ch.encode("ascii")
            else:
                try:
                    b = ch.encode("cp1252")
                except UnicodeEncodeError:
                    b = b""
                seq = b if b and b[0] not in used else _encode_error(ch, name, text, i, errors)
        out += seq
    return bytes(out)


def encode_cp1258(text: str, errors: str = "strict") -> bytes:
    """Encode in Windows-1258 as Windows does: a letter cp1258 lacks is written as its base
    letter (which may carry ă â ê ô ơ ư) followed by the combining tone mark byte."""
    out = bytearray()
    text = unicodedata.normalize("NFC", text)
    for i, ch in enumerate(text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = [c for c in decomposed if c in _TONES]
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        try:
            out += base.encode("cp1258") + "".join(tones).encode("cp1258")
        except UnicodeEncodeError:
            out += _encode_error(ch, "cp1258", text, i, errors)
    return bytes(out)


def decode_cp1258(data: bytes, errors: str = "strict") -> str:
    """Decode Windows-1258 and compose the combining tone marks (NFC)."""
    return unicodedata.normalize("NFC", data.decode("cp1258", errors))


__all__ += ["decode_viqr", "encode_viqr"]
