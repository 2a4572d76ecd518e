"""Rebuild the legacy Vietnamese charmaps in ``vn_repair/data/`` from their published sources.

Run ``python -m vn_repair.encodings.build_tables`` (add ``--check`` to verify the shipped files
instead of writing them).  Rebuilding gives the same bytes.

Sources:

* TCVN3 and VISCII: the charmaps that GNU libc ships (``/usr/share/i18n/charmaps/TCVN5712-1.gz``
  and ``VISCII.gz``, Debian package ``locales``), which transcribe TCVN 5712:1993 (VN1, from
  which the VN3 subset is taken as the standard defines it) and RFC 1456 table 1 (VISCII 1.1).
* VNI-Windows: VNI Software's font encoding, which writes a letter as its ASCII base letter
  followed by one mark byte (or one byte for ơ ư đ and the marked i and ỵ).  The mark bytes are
  written out below, each with its cp1252 glyph, as VNI's keyboard table lists them.
* VIQR: RFC 1456 section 4 (the Viet-Std mnemonic convention): base letter, then the modifier
  ``(`` breve, ``^`` circumflex, ``+`` horn, then the tone ``'`` ``\\``` ``?`` ``~`` ``.``; ``dd`` and
  ``DD`` for đ and Đ.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import unicodedata
from pathlib import Path

__all__ = ["build_all", "main"]

DATA = Path(__file__).resolve().parents[1] / "data"
CHARMAPS = Path("/usr/share/i18n/charmaps")
DATA_VERSION = "1"

# The 12 vowel letters and the 5 tones; every marked Vietnamese letter is one of each.
BASES = "aăâeêioôơuưy"
TONES = ("", "\N{COMBINING GRAVE ACCENT}", "\N{COMBINING ACUTE ACCENT}", "\N{COMBINING HOOK ABOVE}",
         "\N{COMBINING TILDE}", "\N{COMBINING DOT BELOW}")


def vietnamese_letters() -> list[str]:
    """The 67 lowercase letters that carry a Vietnamese mark (60 toned vowels, ă â ê ô ơ ư, đ)
    followed by their 67 capitals: the repertoire every legacy table must cover."""
    lower = []
    for base in BASES:
        for tone in TONES:
            ch = unicodedata.normalize("NFC", base + tone)
            if ch != base or base not in "aeiouy":
                lower.append(ch)
    lower.append("đ")
    return lower + [c.upper() for c in lower]


def _read_glibc(name: str) -> dict[str, bytes]:
    path = CHARMAPS / f"{name}.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install Debian's 'locales' package to rebuild the tables")
    out: dict[str, bytes] = {}
    with gzip.open(path, "rt", encoding="ascii") as f:
        in_map = False
        for line in f:
            if line.startswith("CHARMAP"):
                in_map = True
                continue
            if line.startswith("END CHARMAP"):
                break
            if not in_map or not line.startswith("<U"):
                continue
            code, seq = line.split()[:2]
            ch = chr(int(code[2:-1], 16))
            out[ch] = bytes(int(x, 16) for x in seq.split("/x")[1:])
    return out


def _header(name: str, title: str, source: list[str]) -> list[str]:
    lines = [
        "# format: vn-repair-charmap 1",
        f"# data-version: {DATA_VERSION}",
        f"# name: {name}",
        f"# title: {title}",
    ]
    lines += [f"# source: {s}" for s in source]
    lines += [
        "# generated-by: python -m vn_repair.encodings.build_tables",
        "# columns: code point (hex) TAB bytes (hex, space separated) TAB use TAB character name",
        "# use: 'both' = encode and decode; 'decode' = accepted when decoding only",
    ]
    return lines


def _row(ch: str, seq: bytes, use: str) -> str:
    return f"{ord(ch):04X}\t{seq.hex(' ').upper()}\t{use}\t{unicodedata.name(ch)}"


def build_tcvn3() -> str:
    vn1 = _read_glibc("TCVN5712-1")
    letters = vietnamese_letters()
    vn3_capitals = set("ĂÂÊÔƠƯĐ")
    rows = [_row("\N{NO-BREAK SPACE}", vn1["\N{NO-BREAK SPACE}"], "both")]
    for ch in letters:
        seq = vn1[ch]
        if ch.islower() or ch in vn3_capitals:
            assert seq[0] >= 0xA0 and len(seq) == 1, (ch, seq)
            rows.append(_row(ch, seq, "both"))
        elif len(seq) == 1 and seq[0] >= 0xA0:
            # VN1 puts some toned capitals in A0..FF where VN3 has nothing; accept them when
            # decoding (files written with VN1-aware converters), never write them.
            rows.append(_row(ch, seq, "decode"))
    rows.sort(key=lambda r: (r.split("\t")[1], r))
    head = _header(
        "tcvn3",
        "TCVN 5712:1993 VN3 (TCVN3, ABC), with VN1 capitals in A0..FF accepted when decoding",
        [
            ("TCVN 5712:1993 'Cong nghe thong tin - Bo ma chuan 8-bit ky tu Viet dung trong trao doi thong tin'"
             " (Vietnam Standards and Quality Institute), tables VN1 and VN3;"),
            "positions as transcribed in GNU libc localedata/charmaps/TCVN5712-1 (ISO-IR-180).",
            "VN3 has no toned capitals: ABC fonts show them with an all-capitals font over the lowercase codes,",
            "so encoding writes a toned capital with its lowercase code.",
        ],
    )
    return "\n".join(head + rows) + "\n"


def build_viscii() -> str:
    table = _read_glibc("VISCII")
    letters = vietnamese_letters()
    rows = []
    for ch in letters:
        seq = table.get(ch)
        if seq is None:  # the seven letters VISCII shares with ASCII + Latin-1 are still listed
            raise AssertionError(f"VISCII lacks {ch!r}")
        use = "both"
        rows.append(_row(ch, seq, use))
    rows.sort(key=lambda r: (r.split("\t")[1], r))
    head = _header(
        "viscii",
        "VISCII 1.1 (RFC 1456 table 1)",
        [
            "RFC 1456 'Conventions for Encoding the Vietnamese Language: VISCII, VIQR' (Viet-Std, May 1993), table 1;",
            "positions as transcribed in GNU libc localedata/charmaps/VISCII.",
            "Six capitals sit on C0 control positions (02 05 06 14 19 1E); text-level repair ignores those.",
        ],
    )
    return "\n".join(head + rows) + "\n"


# VNI-Windows mark bytes, lowercase form (the capital form is the byte minus 0x20), with the
# cp1252 glyph each one shows as: the way VNI text looks when read as Western text.
VNI_TONE = {1: 0xF8, 2: 0xF9, 3: 0xFB, 4: 0xF5, 5: 0xEF}  # ø ù û õ ï
VNI_CIRCUMFLEX = {0: 0xE2, 1: 0xE0, 2: 0xE1, 3: 0xE5, 4: 0xE3, 5: 0xE4}  # â à á å ã ä
VNI_BREVE = {0: 0xEA, 1: 0xE8, 2: 0xE9, 3: 0xFA, 4: 0xFC, 5: 0xEB}  # ê è é ú ü ë
VNI_SINGLE = {"ơ": 0xF4, "ư": 0xF6, "đ": 0xF1}  # ô ö ñ
VNI_I = {1: 0xEC, 2: 0xED, 3: 0xE6, 4: 0xF3, 5: 0xF2}  # ì í æ ó ò
VNI_Y_DOT = 0xEE  # î: ỵ is one byte, the other toned y are y + tone byte


def _vni_lower(ch: str) -> bytes:
    decomposed = unicodedata.normalize("NFD", ch)
    tone = next((i for i, m in enumerate(TONES) if m and m in decomposed), 0)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES[1:]))
    if base == "đ":
        return bytes([VNI_SINGLE["đ"]])
    if base == "i" and tone:
        return bytes([VNI_I[tone]])
    if base == "y" and tone == 5:
        return bytes([VNI_Y_DOT])
    if base in VNI_SINGLE:
        return bytes([VNI_SINGLE[base]]) + (bytes([VNI_TONE[tone]]) if tone else b"")
    if base in "âêô":
        return base.translate({0xE2: "a", 0xEA: "e", 0xF4: "o"}).encode() + bytes([VNI_CIRCUMFLEX[tone]])
    if base == "ă":
        return b"a" + bytes([VNI_BREVE[tone]])
    return base.encode("ascii") + bytes([VNI_TONE[tone]])


def build_vni() -> str:
    rows = []
    for ch in vietnamese_letters():
        low = _vni_lower(ch.lower())
        # ASCII letters and VNI mark bytes both have their capital form 0x20 below.
        seq = low if ch.islower() else bytes(b - 0x20 for b in low)
        rows.append(_row(ch, seq, "both"))
    head = _header(
        "vni",
        "VNI-Windows (VNI Software Co., font encoding used with VNI-* fonts)",
        [
            "VNI Software Company, VNI-Windows font encoding as published with its fonts and keyboard driver:",
            "a base ASCII letter followed by one mark byte (e.g. e + E4 'a-umlaut' = e with circumflex and dot below),",
            "single bytes for o-horn F4, u-horn F6, d-stroke F1, toned i (EC ED E6 F3 F2) and y-dot-below EE;",
            "capitals use the same bytes minus 0x20.",
        ],
    )
    return "\n".join(head + rows) + "\n"


VIQR_TONE = {1: "`", 2: "'", 3: "?", 4: "~", 5: "."}
VIQR_MOD = {"ă": "a(", "â": "a^", "ê": "e^", "ô": "o^", "ơ": "o+", "ư": "u+", "đ": "dd"}


def _viqr_lower(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    tone = next((i for i, m in enumerate(TONES) if m and m in decomposed), 0)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES[1:]))
    return VIQR_MOD.get(base, base) + (VIQR_TONE[tone] if tone else "")


def build_viqr() -> str:
    rows = []
    for ch in vietnamese_letters():
        low = _viqr_lower(ch.lower())
        seq = low.upper() if ch.isupper() else low
        rows.append(_row(ch, seq.encode("ascii"), "both"))
    head = _header(
        "viqr",
        "VIQR, Vietnamese Quoted-Readable (RFC 1456 section 4)",
        [
            "RFC 1456 'Conventions for Encoding the Vietnamese Language: VISCII, VIQR' (Viet-Std, May 1993):",
            "base letter, then breve '(' circumflex '^' horn '+', then tone: acute ' grave ` hook ? tilde ~ dot below .;",
            "dd and DD stand for d-stroke; a backslash before a mark character keeps it literal.",
        ],
    )
    return "\n".join(head + rows) + "\n"


BUILDERS = {"tcvn3": build_tcvn3, "viscii": build_viscii, "vni": build_vni, "viqr": build_viqr}


def build_all() -> dict[str, str]:
    """Every charmap file's text, keyed by encoding name."""
    return {name: build() for name, build in BUILDERS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped files, write nothing")
    args = parser.parse_args(argv)
    status = 0
    for name, text in build_all().items():
        path = DATA / f"charmap-{name}.txt"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} differs from its rebuild", file=sys.stderr)
                status = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
