"""Charmaps and the byte "views" through which legacy bytes reach a str.

A legacy file read with the wrong codec shows each byte as the character that codec gives it:
cp1252 (Windows Western, what most Windows programs and browsers assumed), ISO 8859-1, or
cp1258 (Windows Vietnamese).  :data:`VIEW_TO_BYTE` inverts all three at once (they never give
one character two different bytes), so any str stretch made only of such characters can be
turned back into the bytes it came from, whichever of the three views produced it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "LEGACY",
    "VIETNAMESE_LETTERS",
    "VIEWS",
    "VIEW_TO_BYTE",
    "Charmap",
    "charmap",
    "decode_view",
    "to_view_bytes",
]

FORMAT = "vn-repair-charmap 1"
LEGACY = ("tcvn3", "vni", "viscii", "viqr")
VIEWS = ("cp1252", "latin-1", "cp1258")

_TONE_MARKS = "\N{COMBINING GRAVE ACCENT}\N{COMBINING ACUTE ACCENT}\N{COMBINING HOOK ABOVE}" \
              "\N{COMBINING TILDE}\N{COMBINING DOT BELOW}"


def _sloppy_table(codec: str) -> list[str]:
    """The 256 characters a byte shows as under ``codec``; bytes the codec leaves undefined
    show as the C1 control of the same number, as browsers (WHATWG) and ftfy do."""
    out = []
    for b in range(256):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            out.append(chr(b))
    return out


_VIEW_TABLES = {v: _sloppy_table(v) for v in VIEWS}

#: character -> the byte it stands for in any of the three views.
VIEW_TO_BYTE: dict[str, int] = {}
for _table in _VIEW_TABLES.values():
    for _b, _ch in enumerate(_table):
        VIEW_TO_BYTE.setdefault(_ch, _b)
        if VIEW_TO_BYTE[_ch] != _b:  # pragma: no cover - guarded by a test as well
            raise AssertionError(f"views disagree on {_ch!r}")


def decode_view(data: bytes, view: str) -> str:
    """``data`` as it shows when read as ``view`` (undefined bytes become C1 controls)."""
    table = _VIEW_TABLES[view]
    return "".join(table[b] for b in data)


def to_view_bytes(s: str) -> bytes | None:
    """The bytes that ``s`` shows in some view, or None if a character is in none of them."""
    try:
        return bytes(VIEW_TO_BYTE[c] for c in s)
    except KeyError:
        return None


def _vietnamese_letters() -> frozenset[str]:
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for base in "aăâeêioôơuưy":
        letters.add(base)
        for mark in _TONE_MARKS:
            letters.add(unicodedata.normalize("NFC", base + mark))
    return frozenset(letters | {c.upper() for c in letters})


#: Every letter of the Vietnamese alphabet (and the other ASCII letters), both cases, NFC.
VIETNAMESE_LETTERS = _vietnamese_letters()


@dataclass(frozen=True)
class Charmap:
    """One legacy encoding's table.

    ``encode`` maps a character to its bytes (entries marked ``both``); ``decode`` maps byte
    strings (one or two bytes) to characters, including entries marked ``decode`` only.
    """

    name: str
    title: str
    encode: dict[str, bytes]
    decode: dict[bytes, str]
    header: dict[str, list[str]]


def _parse(name: str, text: str) -> Charmap:
    header: dict[str, list[str]] = {}
    encode: dict[str, bytes] = {}
    decode: dict[bytes, str] = {}
    where = f"vn_repair/data/charmap-{name}.txt"
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            header.setdefault(key.strip(), []).append(value.strip())
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise ValueError(f"{where}:{lineno}: expected 4 tab-separated fields, got {len(fields)}")
        code, seq_hex, use, _name = fields
        ch = chr(int(code, 16))
        seq = bytes.fromhex(seq_hex)
        if use not in ("both", "decode"):
            raise ValueError(f"{where}:{lineno}: use must be 'both' or 'decode', not {use!r}")
        if seq in decode and decode[seq] != ch:
            raise ValueError(f"{where}:{lineno}: bytes {seq_hex} already decode to {decode[seq]!r}")
        decode[seq] = ch
        if use == "both":
            encode[ch] = seq
    if header.get("format") != [FORMAT]:
        raise ValueError(f"{where}: not a {FORMAT!r} file (format header is {header.get('format')})")
    if header.get("name") != [name]:
        raise ValueError(f"{where}: names encoding {header.get('name')}, expected {name!r}")
    return Charmap(name, header.get("title", [name])[0], encode, decode, header)


@cache
def charmap(name: str) -> Charmap:
    """The table of legacy encoding ``name`` (one of :data:`LEGACY`), loaded once."""
    if name not in LEGACY:
        raise ValueError(f"no charmap named {name!r}; known: {', '.join(LEGACY)}")
    text = resources.files("vn_repair").joinpath("data").joinpath(f"charmap-{name}.txt").read_text(encoding="utf-8")
    return _parse(name, text)


def regex_union(keys: list[str]) -> re.Pattern[str]:
    """A regex matching any of ``keys``, longest first."""
    return re.compile("|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)))
