"""Damage beyond dropped letters: stripped text, placeholders, look-alikes (with the default model)."""

from __future__ import annotations

import pytest

import vn_repair
from vn_repair.channels import build_index, damaged_forms, fold_modifier, lookalike_variants


def test_lookalike_variants_cover_the_ocr_confusions():
    assert set(lookalike_variants("ớ")) >= {"ó", "ò", "ơ"}
    assert lookalike_variants("ư") == ("u",)
    assert lookalike_variants("đ") == ("d",)
    assert "a" in lookalike_variants("â") and "ă" in lookalike_variants("â")
    assert fold_modifier("ậ") == "ạ" and fold_modifier("Đ") == "D"


def test_damaged_forms_count_events():
    forms = dict(damaged_forms("người", frozenset({"drop"})))
    assert forms["ngưi"] == (0, 1, 1, 0, 0, 0)  # ư kept, ờ dropped
    index = build_index(["<unk>", "người", "ngồi"], [1, 2], ["drop", "placeholder"])
    ids, _ = index.lookup("ngư?i")
    assert list(ids) == [1]


@pytest.mark.parametrize("damaged,clean", [
    ("Viet Nam xay dung nen kinh te thi truong", "Việt Nam xây dựng nền kinh tế thị trường"),
    ("Vi?t Nam", "Việt Nam"),
    ("Vi\ufffdt Nam", "Việt Nam"),
    ("Ngư?i dân", "Người dân"),  # what cp1258 with errors replaced makes of "Người dân"
    ("Ngư?i dân Vi?t Nam đang xây d?ng đ?t nư?c.", "Người dân Việt Nam đang xây dựng đất nước."),
    ("Thành ph? H? Chí Minh là thành ph? l?n nh?t nu?c ta.", "Thành phố Hồ Chí Minh là thành phố lớn nhất nước ta."),
    ("Nu?c ta nam nay", "Nước ta năm nay"),  # cp1252 "best fit"
    ("Th\ufffdnh ph?", "Thành phố"),  # cp1252 read back as UTF-8
    ("Nhà nưóc và nhân dân cùng xây dựng đất nưóc.", "Nhà nước và nhân dân cùng xây dựng đất nước."),
])
def test_issue_examples(damaged, clean):
    assert vn_repair.repair(damaged) == clean


def test_question_marks_stay_question_marks():
    text = "Ai vậy? Tôi không biết. Sao thế? Có phải ông Nam không?"
    assert vn_repair.repair(text) == text


def test_mixed_document_repairs_only_the_stripped_paragraph():
    clean_para = "Ông ấy đang ở nhà với gia đình sau một tuần làm việc."
    stripped = "Chinh phu Viet Nam xay dung nen kinh te thi truong dinh huong xa hoi chu nghia."
    restored = "Chính phủ Việt Nam xây dựng nền kinh tế thị trường định hướng xã hội chủ nghĩa."
    text = f"{clean_para}\n{stripped}\n{clean_para}"
    result = vn_repair.repair_and_explain(text)
    assert result.text == f"{clean_para}\n{restored}\n{clean_para}"
    first, last = text.index("\n"), text.rindex("\n")
    assert all(first < e.offset < last for e in result.edits)
    assert {e.kind for e in result.edits} == {"stripped"}


def test_ocr_mix_in_a_damaged_document():
    # Total loss of the U+1EA0 block plus a few look-alikes, as an OCR engine leaves a page.
    damaged = "Cuc sng ca ngưi dân đã n đnh tr li, nhiu gia đình đã có vic làm và thu nhp n đinh hơn trưóc."
    out = vn_repair.repair(damaged)
    assert out.startswith("Cuộc sống của người dân đã ổn định trở lại, nhiều gia đình đã có việc làm")
    assert "trước" in out
