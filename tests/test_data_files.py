"""The shipped word list is found (wheel or checkout), checks its header, and holds syllables."""

from vn_repair.data_files import load_wordlist, wordlist_path
from vn_repair.orthography import is_valid_syllable, set_tone_style


def test_wordlist_is_found_and_valid():
    assert wordlist_path().is_file()
    words = load_wordlist()
    assert len(words) > 5000
    assert words["của"] > words["đạo"] > 0
    for w in words:
        assert is_valid_syllable(w), w
        assert set_tone_style(w, "new") == w  # stored in "new" placement


def test_wordlist_header_is_checked(tmp_path, monkeypatch):
    import vn_repair.data_files as df

    bad = tmp_path / "wordlist.txt"
    bad.write_text("và\t10\n", encoding="utf-8")
    monkeypatch.setattr(df, "wordlist_path", lambda: bad)
    df.load_wordlist.cache_clear()
    try:
        import pytest

        with pytest.raises(ValueError, match="not a vn-repair-wordlist"):
            df.load_wordlist()
    finally:
        df.load_wordlist.cache_clear()


def test_shape_table_is_found_and_counts_how_words_are_written():
    from vn_repair.data_files import SHAPE_SYLLABLE_ROW, load_shape_table, shape_of

    table = load_shape_table()
    lower, title, upper = table[SHAPE_SYLLABLE_ROW]
    assert lower > title > upper > 0  # syllables: mostly lowercase
    assert table["km"][0] > table["km"][2] and table["tp"][2] > table["tp"][0]  # "km", but "TP"
    assert [shape_of(w) for w in ("mt", "Mt", "MT", "M", "m")] == [0, 1, 2, 1, 0]


def test_capitals_table_lists_syllables_written_in_capitals_unusually_often_or_rarely():
    from vn_repair.data_files import SHAPE_SYLLABLE_ROW, capitals_rate, load_capitals_table

    table = load_capitals_table()
    upper, seen = table[SHAPE_SYLLABLE_ROW]
    rate_all = upper / seen
    assert 0 < rate_all < 0.01  # syllables alone in capitals are rare
    assert capitals_rate(*table["ca"], rate_all) > 10 * rate_all  # "CA": công an
    assert capitals_rate(*table["của"], rate_all) < rate_all / 2
    assert "nam" not in table and "hà" not in table  # as often as syllables are, give or take twice
