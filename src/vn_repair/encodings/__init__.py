"""Encodings: detect and undo mojibake and the legacy Vietnamese encodings.

Vietnamese text reaches scrapers in many broken forms: UTF-8 read as cp1252, latin-1 or cp1258
("Viá»‡t Nam"), the same twice over, and the 8-bit font encodings Vietnamese offices used for
decades, TCVN3/ABC ("ViÖt Nam"), VNI-Windows ("Vieät Nam") and VISCII ("Vi®t Nam"), plus the
ASCII convention VIQR ("Vie^.t Nam").

* :func:`fix_encoding` repairs a str, line by line, and says what it changed (edits of kind
  ``"encoding"``).  Clean text comes back unchanged, fast.
* :func:`decode_bytes` decodes bytes in a named or unknown encoding and says which it chose.
* :func:`encode_legacy` and :func:`make_mojibake` produce the damage, for tests and the
  damage simulator.

The tables are data (``vn_repair/data/charmap-*.txt``) with their sources in their headers;
``python -m vn_repair.encodings.build_tables`` rebuilds them.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from ..edits import Edit
from ._codecs import (
    decode_cp1258,
    decode_legacy,
    decode_viqr,
    encode_cp1258,
    encode_legacy_bytes,
    encode_viqr,
)
from ._detect import STRONG, TRIGGER, fix_line, iter_lines, restore_tcvn3_case, vietnamese_word
from ._tables import decode_view

__all__ = [
    "ENCODINGS",
    "DecodedText",
    "decode_bytes",
    "encode_legacy",
    "fix_encoding",
    "make_mojibake",
]

#: Encoding names :func:`decode_bytes` and :func:`encode_legacy` accept ("auto" aside).
ENCODINGS = ("utf-8", "cp1258", "cp1252", "latin-1", "tcvn3", "vni", "viscii", "viqr")

_ALIASES = {
    "utf8": "utf-8", "utf_8": "utf-8",
    "windows-1258": "cp1258", "1258": "cp1258",
    "windows-1252": "cp1252", "1252": "cp1252",
    "latin1": "latin-1", "iso-8859-1": "latin-1", "iso8859-1": "latin-1", "l1": "latin-1",
    "tcvn": "tcvn3", "tcvn-3": "tcvn3", "abc": "tcvn3", "vn3": "tcvn3", "vscii": "tcvn3",
    "vni-windows": "vni", "vni_windows": "vni",
}

_ERRORS = ("strict", "replace", "ignore")


def _canonical(encoding: str, *, allow_auto: bool) -> str:
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str, not {type(encoding).__name__}")
    name = encoding.strip().lower().replace("_", "-") if encoding.lower() != "utf_8" else "utf-8"
    name = _ALIASES.get(name, name)
    if name == "auto" and allow_auto:
        return name
    if name not in ENCODINGS:
        known = ("auto", *ENCODINGS) if allow_auto else ENCODINGS
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(known)}")
    return name


def _check_errors(errors: str) -> None:
    if errors not in _ERRORS:
        raise ValueError(f"errors must be one of {', '.join(_ERRORS)}, not {errors!r}")


# --- text level -------------------------------------------------------------------------------

_SPLIT = re.compile(r"([ \t\n\r\f\v]+)")


def _word_edits(offset: int, old: str, new: str) -> list[Edit]:
    """Edits turning line ``old`` into ``new``, one per changed word, trimmed to the change."""
    old_parts = _SPLIT.split(old)
    new_parts = _SPLIT.split(new)
    if len(old_parts) != len(new_parts) or old_parts[1::2] != new_parts[1::2]:
        return [Edit(offset, old, new, "encoding")]  # whitespace moved: one edit for the line
    edits = []
    pos = offset
    for a, b in zip(old_parts, new_parts):
        if a != b:
            p = 0
            while p < min(len(a), len(b)) and a[p] == b[p]:
                p += 1
            s = 0
            while s < min(len(a), len(b)) - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
                s += 1
            edits.append(Edit(pos + p, a[p:len(a) - s], b[p:len(b) - s], "encoding"))
        pos += len(a)
    return edits


def fix_encoding(text: str) -> tuple[str, list[Edit]]:
    """Find mojibake and legacy-encoded Vietnamese in ``text`` and decode it, line by line.

    Returns the repaired text and the edits (kind ``"encoding"``, offsets into ``text``) that
    turn ``text`` into it.  Text with nothing to repair comes back as the same object with no
    edits, after one regex scan.

    >>> fix_encoding("Viá»‡t Nam")[0]
    'Việt Nam'
    >>> fix_encoding("ViÖt Nam vµ thÕ giíi")[0]
    'Việt Nam và thế giới'
    """
    if not isinstance(text, str):
        if isinstance(text, (bytes, bytearray, memoryview)):
            raise TypeError("fix_encoding works on str, not bytes: use decode_bytes() to decode them")
        raise TypeError(f"expected str, not {type(text).__name__}")
    if TRIGGER.search(text) is None:
        return text, []
    edits: list[Edit] = []
    pieces: list[str] = []
    pos = 0
    for start, end in iter_lines(text):
        line = text[start:end]
        new = fix_line(line)
        if new != line:
            edits.extend(_word_edits(start, line, new))
            pieces.append(text[pos:start])
            pieces.append(new)
            pos = end
    if not edits:
        return text, []
    pieces.append(text[pos:])
    return "".join(pieces), edits


# --- byte level -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecodedText:
    """What :func:`decode_bytes` made of some bytes.

    ``encoding`` is the encoding that was used (one of :data:`ENCODINGS`); ``confidence`` is
    1.0 when it was given or certain (valid UTF-8), else the share of words with non-ASCII
    letters that decode to Vietnamese syllables.
    """

    text: str
    encoding: str
    confidence: float = 1.0


def _decode_utf8_lenient_edges(data: bytes) -> str | None:
    """UTF-8 that may be cut mid-character at either end (a slice of a larger file): the cut
    characters become U+FFFD.  None if the bytes are not UTF-8 elsewhere."""
    head = 0
    while head < min(3, len(data)) and 0x80 <= data[head] <= 0xBF:
        head += 1
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data[head:], final=False)
    except UnicodeDecodeError:
        return None
    pending = decoder.getstate()[0]
    return "\ufffd" * bool(head) + text + "\ufffd" * bool(pending)


def _vietnamese_share(text: str) -> tuple[int, int]:
    """(words that are Vietnamese syllables, words that are not) among words with non-ASCII."""
    good = bad = 0
    for w in text.split():
        if w.isascii():
            continue
        if vietnamese_word(w):
            good += 1
        else:
            bad += 1
    return good, bad


def _decode_as(data: bytes, name: str, errors: str) -> str:
    if name == "utf-8":
        return data.decode("utf-8", errors)
    if name == "cp1258":
        return decode_cp1258(data, errors)
    if name in ("cp1252", "latin-1"):
        return data.decode(name, errors)
    if name == "viqr":
        return decode_viqr(data.decode("ascii", errors))
    text = decode_legacy(data, name)
    return restore_tcvn3_case(text) if name == "tcvn3" else text


def _looks_viqr(text: str) -> tuple[bool, float]:
    words = text.split()
    gains = losses = 0
    strong = STRONG["viqr"]
    for w in words:
        if not strong.search(w):
            continue
        if vietnamese_word(decode_viqr(w)):
            gains += 1
        else:
            losses += 1
    total = gains + losses
    return gains >= 2 and gains >= 2 * losses, (gains / total if total else 0.0)


#: Share of words with non-ASCII letters that must decode to Vietnamese syllables for a
#: Vietnamese 8-bit encoding to be chosen (clean 1 KB samples of news score 0.95 and more).
_MIN_SHARE = 0.8


def decode_bytes(data: bytes, encoding: str = "auto", *, errors: str = "strict") -> DecodedText:
    """Decode ``data`` and say how.

    ``encoding`` is one of :data:`ENCODINGS` (aliases such as "windows-1258", "abc",
    "vni-windows" are accepted) or ``"auto"`` (the default), which chooses:

    * a UTF-8 byte-order mark, or bytes that are valid UTF-8 (a character cut at either end is
      tolerated and becomes U+FFFD): ``"utf-8"``, or ``"viqr"`` when the text is ASCII written
      densely in VIQR;
    * otherwise the Vietnamese 8-bit encoding (cp1258, TCVN3, VNI, VISCII) under which most
      words decode to Vietnamese syllables;
    * otherwise (Western text) ``"cp1252"``, or ``"latin-1"`` if cp1252 cannot decode it.

    ``errors`` ("strict", "replace", "ignore") applies to bytes the chosen codec cannot
    decode, as in :meth:`bytes.decode`; the legacy tables decode every byte.

    >>> decode_bytes("Việt Nam".encode("utf-8"))
    DecodedText(text='Việt Nam', encoding='utf-8', confidence=1.0)
    >>> decode_bytes(b"Vi\\xd6t Nam v\\xb5 th\\xd5 gi\\xedi").encoding
    'tcvn3'
    """
    if isinstance(data, str):
        raise TypeError("decode_bytes takes bytes; for a str use fix_encoding()")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, not {type(data).__name__}")
    data = bytes(data)
    _check_errors(errors)
    name = _canonical(encoding, allow_auto=True)
    if name != "auto":
        return DecodedText(_decode_as(data, name, errors), name)

    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(data[len(codecs.BOM_UTF8):].decode("utf-8", errors), "utf-8")
    text = _decode_utf8_lenient_edges(data)
    if text is not None:
        if text.isascii():
            is_viqr, share = _looks_viqr(text)
            if is_viqr:
                return DecodedText(fix_encoding(text)[0], "viqr", share)
        return DecodedText(text, "utf-8")

    # Each Vietnamese 8-bit reading is scored by how many words with non-ASCII letters become
    # Vietnamese syllables; it must clearly beat the Western (cp1252) reading, in which French
    # "é" or Italian "è" are syllables too.
    western_good, western_bad = _vietnamese_share(data.decode("cp1252", "replace"))
    best: tuple[int, int, str, str, float] | None = None
    for cand in ("cp1258", "tcvn3", "vni", "viscii"):
        try:
            decoded = _decode_as(data, cand, "strict")
        except UnicodeDecodeError:
            continue
        good, bad = _vietnamese_share(decoded)
        share = good / (good + bad) if good + bad else 0.0
        if best is None or (good - bad, good) > best[:2]:
            best = (good - bad, good, cand, decoded, share)
    if (best is not None and best[1] >= 2 and best[4] >= _MIN_SHARE
            and best[0] > western_good - western_bad + 1):
        return DecodedText(best[3], best[2], round(best[4], 4))
    try:
        return DecodedText(data.decode("cp1252", "strict"), "cp1252", 0.0)
    except UnicodeDecodeError:
        return DecodedText(data.decode("latin-1"), "latin-1", 0.0)


# --- making damage ----------------------------------------------------------------------------

def encode_legacy(text: str, encoding: str, *, errors: str = "strict") -> bytes | str:
    """Encode Unicode ``text`` in ``encoding`` (one of :data:`ENCODINGS`).

    Returns bytes, except for ``"viqr"``, which is ASCII text and returned as str.  ``errors``
    says what to do with characters the encoding lacks ("strict" raises UnicodeEncodeError,
    "replace" writes "?", "ignore" drops them).  TCVN3 (VN3) has no toned capitals and writes
    them with the lowercase code, as ABC documents do; :func:`decode_bytes` and
    :func:`fix_encoding` restore the case where the context shows it.

    >>> encode_legacy("Việt Nam", "vni")
    b'Vie\\xe4t Nam'
    >>> encode_legacy("Việt Nam", "viqr")
    'Vie^.t Nam'
    """
    if not isinstance(text, str):
        raise TypeError(f"encode_legacy encodes a str, not {type(text).__name__}")
    _check_errors(errors)
    name = _canonical(encoding, allow_auto=False)
    if name == "viqr":
        return encode_viqr(text, errors)
    if name == "utf-8":
        return text.encode("utf-8", "surrogatepass" if errors == "strict" else errors)
    if name == "cp1258":
        return encode_cp1258(text, errors)
    if name in ("cp1252", "latin-1"):
        return unicodedata.normalize("NFC", text).encode(name, errors)
    return encode_legacy_bytes(text, name, errors)


_VIEW_NAMES = {"cp1252": "cp1252", "latin-1": "latin-1", "cp1258": "cp1258"}


def make_mojibake(text: str, encoding: str = "utf-8", *, view: str = "cp1252", layers: int = 1,
                  errors: str = "replace") -> str:
    """``text`` as it looks after being encoded in ``encoding`` and read back as ``view``
    ("cp1252", "latin-1" or "cp1258"; bytes the view leaves undefined show as C1 controls, as
    in browsers), ``layers`` times over (each further layer is UTF-8 read as ``view`` again).

    >>> make_mojibake("Việt")
    'Viá»‡t'
    >>> make_mojibake("Việt", "tcvn3")
    'ViÖt'
    """
    view_name = _canonical(view, allow_auto=False)
    if view_name not in _VIEW_NAMES:
        raise ValueError(f"view must be one of {', '.join(_VIEW_NAMES)}, not {view!r}")
    if layers < 1:
        raise ValueError(f"layers must be at least 1, not {layers}")
    if _canonical(encoding, allow_auto=False) == "viqr":
        raise ValueError("VIQR is already text: use encode_legacy(text, 'viqr')")
    encoded = encode_legacy(text, encoding, errors=errors)
    assert isinstance(encoded, bytes)
    out = decode_view(encoded, view_name)
    for _ in range(layers - 1):
        out = decode_view(out.encode("utf-8"), view_name)
    return out
