import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vn_repair.orthography import (
    compose,
    generate_syllables,
    is_valid_syllable,
    parse_syllable,
    set_tone_style,
    strip_marks,
    strip_tone,
    tone_spellings,
    tone_style_of,
)

ALL_NEW = generate_syllables("new")
ALL_OLD = generate_syllables("old")


def test_inventory_size_is_plausible():
    # Tens of thousands of legal spellings; the attested inventory is a few thousand of them.
    assert 12_000 < len(ALL_NEW) < 25_000
    assert len(ALL_NEW) == len(ALL_OLD)


@pytest.mark.parametrize("style", ["new", "old"])
def test_every_generated_syllable_parses_and_composes_back(style):
    for word in generate_syllables(style):
        syl = parse_syllable(word)
        assert syl is not None, word
        assert compose(syl, style) == word
        assert is_valid_syllable(word.upper())
        assert is_valid_syllable(unicodedata.normalize("NFD", word))


def test_tone_moves_keep_identity_over_inventory():
    for word in ALL_NEW:
        old = set_tone_style(word, "old")
        assert parse_syllable(old) == parse_syllable(word)
        assert set_tone_style(old, "new") == word
        assert strip_marks(old) == strip_marks(word)
        assert tone_spellings(word) == {word, old}


@pytest.mark.parametrize("word", ["dng", "đn", "bưc", "đng", "cng", "th", "hcm", "kan", "ghà",
                                  "ngà ", "cem", "quá1", "têt", "hoc", "gen", "xyz", "ka", "coa", "iên"])
def test_rejects_non_words(word):
    assert not is_valid_syllable(word)


@pytest.mark.parametrize("word", ["xây", "dựng", "chỉ", "đạo", "đảng", "bước", "địa", "phương", "người",
                                  "nghiêng", "quốc", "giếng", "gìn", "già", "giữa", "khuya", "thuở", "yêu",
                                  "ý", "kỹ", "kĩ", "quýt", "huỳnh", "khuỷu", "ngoằn", "oái", "ĐẢNG", "Việt"])
def test_accepts_words(word):
    assert is_valid_syllable(word)


def test_parse_parts():
    assert tuple(parse_syllable("người")) == ("ng", "", "ươ", "i", 1)
    assert tuple(parse_syllable("quốc")) == ("q", "u", "ô", "c", 2)
    assert tuple(parse_syllable("hoàng")) == ("h", "o", "a", "ng", 1)
    assert tuple(parse_syllable("thuỷ")) == ("th", "u", "y", "", 3)
    assert tuple(parse_syllable("giếng")) == ("gi", "", "iê", "ng", 2)


def test_stop_codas_take_only_sac_or_nang():
    assert is_valid_syllable("tết") and is_valid_syllable("tệt")
    for bad in ("tềt", "tểt", "tễt", "têt", "bàc", "hỏp"):
        assert not is_valid_syllable(bad), bad


@pytest.mark.parametrize(
    "old,new",
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("hoè", "hòe"), ("Hoà", "Hòa"), ("HOÀ", "HÒA"), ("khoá", "khóa"),
     ("loà", "lòa")],
)
def test_tone_styles(old, new):
    assert set_tone_style(old, "new") == new
    assert set_tone_style(new, "old") == old
    assert tone_style_of(old) == "old" and tone_style_of(new) == "new"


@pytest.mark.parametrize("word", ["hoàng", "quý", "quà", "thuế", "của", "giữa", "người", "Friedrich", "WTO"])
def test_tone_style_neutral_words_unchanged(word):
    assert set_tone_style(word, "new") == word == set_tone_style(word, "old")


def test_strip():
    assert strip_marks("Đường Việt Nam xây dựng") == "Duong Viet Nam xay dung"
    assert strip_marks(unicodedata.normalize("NFD", "Việt")) == "Viet"
    assert strip_tone("Việt Đảng") == "Viêt Đang"


def test_hunspell_syllables_valid_except_documented(shared):
    """Every syllable of the hunspell-vi list is valid but for loanwords, acronyms and rare variants."""
    expected_rejects = {
        # loanwords written against native spelling rules
        "basoi", "email", "gen", "gip", "gram", "internet", "intranet", "ka", "palăng", "ping", "tivi",
        "tout", "web", "xit", "v",
        # stop coda without sắc/nặng
        "têt",
        # qu followed by the glide o again: dialect spellings of "quàng", "quắt"
        "quoàng", "quoạng", "quoắt",
    }
    path = shared / "lexicons" / "hunspell-vi" / "syllables.txt"
    rejected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        w = unicodedata.normalize("NFC", line.strip())
        if w and not w.isupper() and w not in ("Telex", "Unicode", "Tp") and not is_valid_syllable(w):
            rejected.add(w)
    assert rejected == expected_rejects


syllables = st.sampled_from(ALL_NEW)


@given(syllables, st.sampled_from(["old", "new"]))
def test_parse_compose_identity(word, style):
    syl = parse_syllable(word)
    assert syl is not None
    assert parse_syllable(compose(syl, style)) == syl


@given(st.text())
def test_strip_idempotent(text):
    once = strip_marks(text)
    assert strip_marks(once) == once


@given(syllables, st.lists(st.booleans(), min_size=8, max_size=8))
def test_case_is_kept(word, mask):
    cased = "".join(c.upper() if m else c for c, m in zip(word, mask)) + word[len(mask):]
    moved = set_tone_style(cased, "old")
    assert [c.isupper() for c in moved] == [c.isupper() for c in cased]


def test_has_style_variant_catches_every_syllable_the_styles_write_apart():
    from vn_repair.orthography import has_style_variant

    for style, other in (("new", "old"), ("old", "new")):
        for word in generate_syllables(style):
            if set_tone_style(word, other) != word:
                assert has_style_variant(word), word
