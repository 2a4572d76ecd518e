from hypothesis import given
from hypothesis import strategies as st

from vn_repair.tokenize import NUM, PUNCT, UNK, lm_sentences, tokenize


@given(st.text())
def test_lossless(text):
    tokens = tokenize(text)
    assert "".join(t.text for t in tokens) == text
    pos = 0
    for t in tokens:
        assert t.start == pos
        pos = t.end


def kinds(text):
    return [(t.text, t.kind) for t in tokenize(text) if t.kind != "space"]


def test_kinds():
    got = kinds("Vi?t Nam, V.I.Lenin TP.HCM a.b@x.com.vn https://x.vn/a.html. COVID-19 iPhone EmailPrintAa 3,5% ph\ufffd")
    assert got == [
        ("Vi?t", "word"), ("Nam", "word"), (",", "punct"), ("V.I.Lenin", "code"), ("TP.HCM", "code"),
        ("a.b@x.com.vn", "email"), ("https://x.vn/a.html", "url"), (".", "punct"), ("COVID", "word"),
        ("-", "punct"), ("19", "number"), ("iPhone", "code"), ("EmailPrintAa", "code"), ("3,5", "number"),
        ("%", "punct"), ("ph\ufffd", "word"),
    ]


def test_runs_of_placeholders_stay_inside_a_word():
    # cp1252 loses both ư and ớ of "Phước": one word with two placeholders, not three tokens.
    assert kinds("Ph??c và ng\ufffd?i") == [("Ph??c", "word"), ("và", "word"), ("ng\ufffd?i", "word")]


def test_question_mark_after_word_is_punctuation():
    assert kinds("Ai vậy?") == [("Ai", "word"), ("vậy", "word"), ("?", "punct")]


def test_lm_sentences_code_is_unk():
    assert lm_sentences("iPhone và https://x.vn") == [[UNK, "và", UNK]]


def test_lm_sentences():
    assert lm_sentences("Hoà bình, Friedrich Engels 1945. Xây dựng!\nthuỷ") == [
        ["hòa", "bình", PUNCT, "friedrich", "engels", NUM],
        ["xây", "dựng"],
        ["thủy"],
    ]
