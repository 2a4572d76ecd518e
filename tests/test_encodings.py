"""Tests for vn_repair.encodings: tables (every entry, both directions), text-level repair of
mojibake and legacy encodings, byte-level detection, and text that must be left alone."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vn_repair.edits import apply_edits
from vn_repair.encodings import (
    ENCODINGS,
    DecodedText,
    _tables,
    decode_bytes,
    encode_legacy,
    fix_encoding,
    make_mojibake,
)
from vn_repair.encodings._codecs import decode_legacy, decode_legacy_text
from vn_repair.encodings.build_tables import build_all, vietnamese_letters
from vn_repair.orthography import generate_syllables, is_valid_syllable

LETTERS = vietnamese_letters()
BYTE_LEGACY = ("tcvn3", "vni", "viscii")

# Written for these tests (not corpus text).
VN = (
    "Hôm nay trời đẹp, chúng tôi đi dạo quanh hồ Hoàn Kiếm và uống cà phê.\n"
    "Nhiều người dân ở Đà Nẵng đã được hỗ trợ sau cơn bão số 9.\n"
    "Ông Nguyễn Văn Thưởng nói rằng kết quả này rất đáng khích lệ.\n"
    "Học sinh trường trung học phổ thông thi tốt nghiệp vào tháng sáu."
)
FOREIGN = {
    "fr": "Où est la bibliothèque ? Il a déjà mangé à côté du garçon, c'est très français.",
    "de": "Müller fährt über die Brücke nach Köln; schön, daß er früh ankommt.",
    "es": "El niño español comió piña en la montaña; ¿qué año es? Sí, señor.",
    "en": "Is it (really) fine? I'm sure it's o.k. e.g. see Fig. 3a. What do you say? Go.",
    "it": "È così perché la città è più bella di sera; però non è facile.",
    "pt": "São Paulo não é a capital; ações e informações são importantes.",
    "nordic": "Smørrebrød på Ærø, Åland og Tromsø er gode.",
}


# --- tables -----------------------------------------------------------------------------------

def test_views_agree_on_every_byte() -> None:
    for view in _tables.VIEWS:
        for b in range(256):
            ch = _tables.decode_view(bytes([b]), view)
            assert _tables.VIEW_TO_BYTE[ch] == b


def test_every_letter_is_in_every_table() -> None:
    assert len(LETTERS) == 134
    for name in ("tcvn3", "vni", "viscii", "viqr"):
        cm = _tables.charmap(name)
        missing = [c for c in LETTERS if c not in cm.encode and not (name == "tcvn3" and c.isupper())]
        assert not missing, (name, missing)


@pytest.mark.parametrize("name", BYTE_LEGACY)
def test_every_table_entry_both_directions(name: str) -> None:
    cm = _tables.charmap(name)
    for ch, seq in cm.encode.items():
        assert encode_legacy(ch, name) == seq, ch
        assert decode_legacy(seq, name) == ch, ch
        # In running text too (decode_bytes guesses TCVN3 capitals from context, so the
        # letter is put mid-sentence after a lowercase word).
        assert decode_bytes(b"xin " + seq, name).text == "xin " + ch, ch
    for seq, ch in cm.decode.items():
        assert decode_legacy(seq, name) == ch, seq
        if all(b >= 0x20 for b in seq):
            for view in _tables.VIEWS:
                assert decode_legacy_text(_tables.decode_view(seq, view), name) == ch, (seq, view)


def test_tcvn3_capitals_take_the_lowercase_code() -> None:
    # VN3 has no toned capitals; ABC documents store them with the lowercase code.
    assert encode_legacy("Ấ", "tcvn3") == encode_legacy("ấ", "tcvn3") == b"\xca"
    assert encode_legacy("Đ", "tcvn3") == b"\xa7"  # the seven untoned capitals have codes


def test_viqr_every_entry_both_directions() -> None:
    cm = _tables.charmap("viqr")
    for ch, seq in cm.encode.items():
        assert encode_legacy(ch, "viqr") == seq.decode("ascii")
        assert decode_bytes(seq, "viqr").text == ch


def test_cp1258_every_letter_both_directions() -> None:
    for ch in LETTERS:
        data = encode_legacy(ch, "cp1258")
        assert isinstance(data, bytes)
        assert decode_bytes(data, "cp1258").text == ch
        # Windows writes a letter cp1258 lacks as base + combining tone mark.
        assert unicodedata.normalize("NFC", data.decode("cp1258")) == ch


@pytest.mark.parametrize("name,iconv", [("tcvn3", "TCVN5712-1"), ("viscii", "VISCII")])
def test_tables_agree_with_glibc_iconv(name: str, iconv: str) -> None:
    if shutil.which("iconv") is None:
        pytest.skip("iconv is not installed")
    cm = _tables.charmap(name)
    chars = "".join(cm.encode)
    done = subprocess.run(["iconv", "-f", "UTF-8", "-t", iconv], input=chars.encode("utf-8"),
                          capture_output=True, timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip(f"iconv has no {iconv}: {done.stderr.decode(errors='replace')}")
    assert done.stdout == b"".join(cm.encode[c] for c in chars)


def test_shipped_tables_rebuild_identically() -> None:
    if not (_tables_dir := Path("/usr/share/i18n/charmaps")).is_dir() or not any(
            _tables_dir.glob("VISCII*")):
        pytest.skip("glibc charmaps (Debian package 'locales') are not installed")
    for name, text in build_all().items():
        path = Path(_tables.__file__).resolve().parents[1] / "data" / f"charmap-{name}.txt"
        assert path.read_text(encoding="utf-8") == text, name


def test_charmap_header_is_checked() -> None:
    good = Path(_tables.__file__).resolve().parents[1] / "data" / "charmap-vni.txt"
    text = good.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="not a 'vn-repair-charmap 1' file"):
        _tables._parse("vni", text.replace("vn-repair-charmap 1", "something else 7"))
    with pytest.raises(ValueError, match="names encoding"):
        _tables._parse("tcvn3", text)
    with pytest.raises(ValueError, match="4 tab-separated fields"):
        _tables._parse("vni", text + "00E0\t61\n")


# --- text level -------------------------------------------------------------------------------

EXAMPLES = {
    "utf-8 as cp1252": ("Viá»‡t Nam", "Việt Nam"),
    "utf-8 as latin-1": ("Viá»\x87t Nam", "Việt Nam"),
    "utf-8 as cp1258": ("NÄƒm nay lĂ\xa0 nÄƒm", "Năm nay là năm"),
    "double utf-8": ("ViÃ¡Â»â€¡t Nam", "Việt Nam"),
    "tcvn3": ("ViÖt Nam vµ thÕ giíi", "Việt Nam và thế giới"),
    "vni": ("Vieät Nam vaø theá giôùi", "Việt Nam và thế giới"),
    "viscii": ("Vi®t Nam và thª gi¾i", "Việt Nam và thế giới"),
    "viqr": ("Vie^.t Nam va` the^' gio+'i", "Việt Nam và thế giới"),
    "generic mojibake": ("Un cafÃ© Ã\xa0 la crÃ¨me, sâ€™il vous plaÃ®t", "Un café à la crème, s’il vous plaît"),
    "legacy, then mojibake": ("ViÃ–t Nam vÂµ thÃ• giÃ\xadi", "Việt Nam và thế giới"),
}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_fix_encoding_examples(kind: str) -> None:
    damaged, clean = EXAMPLES[kind]
    out, edits = fix_encoding(damaged)
    assert out == clean
    assert edits and all(e.kind == "encoding" for e in edits)
    assert apply_edits(damaged, edits) == out


@pytest.mark.parametrize("encoding", BYTE_LEGACY)
@pytest.mark.parametrize("view", _tables.VIEWS)
def test_legacy_through_each_view(encoding: str, view: str) -> None:
    out, edits = fix_encoding(make_mojibake(VN, encoding, view=view))
    assert out == VN
    assert apply_edits(make_mojibake(VN, encoding, view=view), edits) == VN


@pytest.mark.parametrize("view", _tables.VIEWS)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_mojibake_paths(view: str, layers: int) -> None:
    assert fix_encoding(make_mojibake(VN, view=view, layers=layers))[0] == VN


def test_legacy_text_stored_as_utf8_and_misread() -> None:
    damaged = make_mojibake(make_mojibake(VN, "tcvn3"), "utf-8")
    assert fix_encoding(damaged)[0] == VN


def test_viqr_round_trip_with_punctuation_and_escapes() -> None:
    text = "Hà Nội. Có phải không? Anh ấy nói: 'được'. Eddie \\ a.b (hoa)."
    encoded = encode_legacy(text, "viqr")
    assert isinstance(encoded, str) and encoded.isascii()
    assert fix_encoding(encoded)[0] == text


def test_mixed_document_line_by_line() -> None:
    lines = VN.split("\n")
    doc = "\n".join([
        lines[0],  # clean
        make_mojibake(lines[1], "tcvn3"),
        make_mojibake(lines[2], "vni"),
        make_mojibake(lines[3]),
        "Clean English line, untouched?",
        encode_legacy(lines[0], "viqr"),
        make_mojibake(lines[1], "viscii"),
    ])
    out, edits = fix_encoding(doc)
    assert out.split("\n") == [lines[0], lines[1], lines[2], lines[3], "Clean English line, untouched?",
                               lines[0], lines[1]]
    assert apply_edits(doc, edits) == out
    assert all(not (e.offset < len(lines[0])) for e in edits)  # the clean first line has no edit


def test_edits_are_trimmed_to_the_change() -> None:
    _, edits = fix_encoding("ViÖt Nam")
    assert [(e.offset, e.before, e.after) for e in edits] == [(2, "Ö", "ệ")]


def test_tcvn3_capitals_restored_from_context() -> None:
    text = "ĐẢNG CỘNG SẢN VIỆT NAM. Ấn Độ và Nhật Bản."
    assert fix_encoding(make_mojibake(text, "tcvn3"))[0] == text


# --- do no harm -------------------------------------------------------------------------------

def test_clean_vietnamese_is_returned_as_is() -> None:
    out, edits = fix_encoding(VN)
    assert out is VN and edits == []


@pytest.mark.parametrize("lang", sorted(FOREIGN))
def test_foreign_text_untouched(lang: str) -> None:
    text = FOREIGN[lang]
    assert fix_encoding(text) == (text, [])


@pytest.mark.parametrize("lang", sorted(FOREIGN))
def test_foreign_bytes_are_western(lang: str) -> None:
    text = FOREIGN[lang]
    got = decode_bytes(text.encode("cp1252"))
    assert (got.text, got.encoding) == (text, "utf-8" if text.isascii() else "cp1252")


def test_clean_vietnamese_with_symbols_untouched() -> None:
    text = "Nhiệt độ 35°C, diện tích 20 m², tỉ lệ 3 × 4 × 5, giá 10 € «Hà Nội» © 2017 – “được”…"
    assert fix_encoding(text) == (text, [])


def test_english_question_marks_and_parentheses_are_not_viqr() -> None:
    text = "Why me? Do you go? (a) See me. Let's go to the store, okay? I'm in. To be or not to be."
    assert fix_encoding(text) == (text, [])
    assert decode_bytes(text.encode("ascii")).encoding == "utf-8"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(generate_syllables("old") + generate_syllables("new")), min_size=1, max_size=25))
def test_clean_syllables_never_change(words: list[str]) -> None:
    text = " ".join(words)
    assert fix_encoding(text) == (text, [])
    assert fix_encoding(text.upper()) == (text.upper(), [])
    assert fix_encoding(text.capitalize()) == (text.capitalize(), [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(generate_syllables("new")), min_size=4, max_size=25),
       st.sampled_from(["tcvn3", "vni", "viscii", "utf-8"]))
def test_random_syllables_never_garbled(words: list[str], encoding: str) -> None:
    # Each word comes back as it was, stays as damaged (too little evidence on the line), or
    # becomes a Vietnamese syllable (a one-word line can read as Vietnamese in two encodings:
    # TCVN3 "boÏn" is "boẽn", as VNI it is "bọn"); never anything else.
    text = " ".join(words)
    damaged = make_mojibake(text, encoding)
    out = fix_encoding(damaged)[0]
    for original, bad, got in zip(text.split(), damaged.split(), out.split()):
        assert got in (original, bad) or is_valid_syllable(got)
    if len(words) >= 8 and encoding == "utf-8":
        assert out == text


# --- byte level -------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "cp1258", "tcvn3", "vni", "viscii", "viqr"])
def test_decode_bytes_auto_detects(encoding: str) -> None:
    data = encode_legacy(VN, encoding)
    raw = data.encode("ascii") if isinstance(data, str) else data
    got = decode_bytes(raw)
    assert isinstance(got, DecodedText)
    assert got.encoding == encoding
    assert got.text == VN
    assert 0.9 <= got.confidence <= 1.0


def test_decode_bytes_named_encoding_and_aliases() -> None:
    data = encode_legacy(VN, "vni")
    assert decode_bytes(data, "VNI-Windows").encoding == "vni"
    assert decode_bytes(encode_legacy(VN, "tcvn3"), "abc").text == VN
    assert decode_bytes(encode_legacy("Việt", "cp1258"), "windows-1258").text == "Việt"


def test_decode_bytes_bom_and_cut_utf8() -> None:
    data = VN.encode("utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + data) == DecodedText(VN, "utf-8")
    # "H\xc3\xb4m ... s\xc3\xa1u.": cut after the first byte of "ô" and of the last "á"
    got = decode_bytes(data[2:-3])
    assert got == DecodedText("\ufffd" + VN[2:-3] + "\ufffd", "utf-8")


def test_decode_bytes_latin1_when_cp1252_cannot() -> None:
    assert decode_bytes(b"caf\xe9 \x81").encoding == "latin-1"


def test_errors_policy() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_bytes(b"\x81", "cp1252")
    assert decode_bytes(b"a\x81", "cp1252", errors="replace").text == "a\ufffd"
    with pytest.raises(UnicodeEncodeError):
        encode_legacy("Việt 😀", "tcvn3")
    assert encode_legacy("Việt 😀", "tcvn3", errors="replace") == b"Vi\xd6t ?"
    assert encode_legacy("Việt 😀", "vni", errors="ignore") == b"Vie\xe4t "
    with pytest.raises(ValueError, match="errors must be one of"):
        decode_bytes(b"x", errors="bogus")


def test_bad_arguments_are_loud() -> None:
    with pytest.raises(TypeError, match="use decode_bytes"):
        fix_encoding(b"Vi\xd6t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="for a str use fix_encoding"):
        decode_bytes("Việt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown encoding 'koi8'"):
        decode_bytes(b"x", "koi8")
    with pytest.raises(ValueError, match="view must be"):
        make_mojibake("Việt", view="tcvn3")
    assert set(ENCODINGS) == {"utf-8", "cp1258", "cp1252", "latin-1", "tcvn3", "vni", "viscii", "viqr"}


# --- corpora (skipped without ../shared) -----------------------------------------------------

def test_no_false_detection_on_clean_corpora(shared: Path) -> None:
    text = (shared / "corpora" / "vietnews" / "dev.txt").read_text(encoding="utf-8")
    assert fix_encoding(text)[1] == []
    with gzip.open(shared / "corpora" / "viwiki" / "viwiki.txt.gz", "rt", encoding="utf-8") as f:
        wiki = f.read(3_000_000)
    assert fix_encoding(wiki)[1] == []


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "utf-8"])
def test_corpus_round_trip_sample(shared: Path, encoding: str) -> None:
    lines = (shared / "corpora" / "vietnews" / "dev.txt").read_text(encoding="utf-8").split("\n")[:400]
    total = exact = 0
    for line in lines:
        out = fix_encoding(make_mojibake(line, encoding))[0]
        for a, b in zip(line.split(), out.split()):
            if all(ch.isascii() or ch in LETTERS or ch.isalnum() for ch in a):
                total += 1
                exact += a == b
    assert exact / total >= 0.995


def test_placeholder_damage_in_unicode_text_is_not_viqr():
    # "?" for a lost letter next to Vietnamese letters: the restoration engine's job, not VIQR.
    text = "Ngư?i dân cu? tỉnh đã xây d?ng đ?t nư?c, và ông Nguy?n nói th? đó."
    assert fix_encoding(text) == (text, [])


def test_placeholder_damage_in_ascii_lines_is_not_viqr():
    # A line that lost every marked letter is ASCII, but "?" after a consonant ("d?n", "b?ng")
    # or another "?" ("ng??i") is no VIQR hook: a backtick or a hook after a vowel does not
    # make it VIQR ("bi?n" is "biến" that lost a letter, not "bỉn").
    for text in ("Cho bi?n `i` b?ng 0.", "Cho bi?n i b?ng 0.", "Nhi?u ng??i d?n"):
        assert fix_encoding(text) == (text, [])
    import vn_repair

    assert vn_repair.repair("Nhi?u ng??i d?n") == "Nhiều người dân"
    # Real VIQR keeps its reading where a "?" stands for a character it cannot write.
    assert fix_encoding("Ca'c thi' sinh dda~ dda(ng k?y' du+. thi")[0] == "Các thí sinh đã đăng k?ý dự thi"
    assert fix_encoding("Xem ta.i http://abc.com/view.php?id=5")[0] == "Xem tại http://abc.com/view.php?id=5"
