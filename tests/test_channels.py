"""Damage beyond dropped letters: stripped text, placeholders, look-alikes (with the default model)."""

from __future__ import annotations

import pytest

import vn_repair
from vn_repair.channels import DropForms, build_index, damaged_forms, fold_modifier, lookalike_variants
from vn_repair.damage import damage_text
from vn_repair.lm import load_default_model


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


def test_drop_membership_agrees_with_the_drop_index():
    # The first pass asks DropForms what the drop index would answer, without building it.
    model = load_default_model()
    ids = [i for i, w in enumerate(model.vocab) if not w.startswith("<")][:3000]
    index = build_index(model.vocab, ids, ["drop"])
    forms = DropForms(model.vocab, ids)
    assert all(form in forms for form in index.forms())
    # Neighbours of the forms that are not forms: intact words, other deletions, other letters.
    others = {w for i in ids for w in (model.vocab[i], model.vocab[i][1:], model.vocab[i][:-1],
                                        model.vocab[i].replace("a", "o"))}
    for w in others:
        assert (w in forms) == (w in index), w
    assert 1 not in forms


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


# What a Windows program without best fit leaves of Vietnamese: cp1252 lacks đ, ư, ơ, ă and the
# U+1EA0 block, which become "?"; read back as UTF-8, its Latin-1 letters (à, ô, í) become U+FFFD.
CP1252 = (("Ng??i d\ufffdn ? ?\ufffdy ?\ufffd ??a ra \ufffd ki?n v? vi?c ??u t? x\ufffdy d?ng ???ng. Gi\ufffd "
          "v\ufffdng h\ufffdm nay th?p h?n h\ufffdm qua, v\ufffd sao gi\ufffd v\ufffdng th?p?"),
          ("Người dân ở đây đã đưa ra ý kiến về việc đầu tư xây dựng đường. Giá vàng hôm nay thấp "
          "hơn hôm qua, vì sao giá vàng thấp?"))


def test_code_page_damage_with_runs_of_placeholders():
    damaged, clean = CP1252
    # Placeholders run together ("??y", "???ng") and start words; a word alone can be all
    # placeholders ("?" for "ở"); U+FFFD is a letter cp1252 has (â, ã) and "?" one it lacks,
    # so "?\ufffd" is "đã" and not "để".  A word that holds a placeholder keeps its trailing
    # question mark ("th?p?").
    assert vn_repair.repair(damaged) == clean
    assert damage_text(clean, "cp1252-utf8", seed=1) == damaged  # what the simulator makes of it


def test_best_fit_folds_only_the_four_letters_it_keeps():
    # Windows best fit keeps đ, ư, ơ, ă as d, u, o, a and turns what else cp1252 lacks into "?";
    # the tone marks cp1252 has survive, so "bao" and "lá" are as written, not "báo" or "là".
    forms = dict(damaged_forms("được", frozenset({"placeholder", "bestfit"})))
    assert "du?c" in forms and "đu?c" in forms and "dươc" not in forms
    assert set(dict(damaged_forms("lá", frozenset({"bestfit"})))) == {"lá"}
    clean = "Giá nước ở đây tăng, báo chí đã đưa tin. Người dân lo lắng không biết bao giờ mới có nước sạch."
    damaged = damage_text(clean, "cp1252-bestfit", seed=1)
    assert damaged == "Giá nu?c ? dây tang, báo chí dã dua tin. Ngu?i dân lo l?ng không bi?t bao gi? m?i có nu?c s?ch."
    assert vn_repair.repair(damaged) == clean


def test_stripped_text_with_question_marks_is_not_best_fit():
    # No ư, ơ, ă, đ and a few "?" after non-words ("khong?") looked like best fit; but best fit
    # keeps à, ô, é, and stripped text has none.
    from vn_repair.config import Config
    from vn_repair.restore import get_restorer

    text = ("Ban co khoe khong? Hom nay troi dep qua, chung ta di choi duoc? Toi chua biet nua, nha "
            "truong? Con ban thi sao, co muon uong nuoc?")
    est = get_restorer(None).estimate(text, Config())
    assert not est.best_fit and est.stripped_lines == {0}
    # Nor placeholders: a "?" after a word without its marks is a question mark, and the word
    # before it is restored like the others.
    assert not est.placeholder
    assert vn_repair.repair(text).startswith("Bạn có khỏe không? Hôm nay trời đẹp quá, chúng ta đi chơi được? "
                                             "Tôi chưa biết nữa, nhà trường?")


def test_stripped_text_restores_acronyms_and_words_written_with_marks_that_are_no_syllable():
    # "HĐND", "ĐH", "ôtô", "Đắk Lắk" are units of the model but no syllables: stripped, they
    # were left as written, and lines full of them did not read as stripped at all.
    text = "Chu tich HDND tinh Dak Lak cho biet sinh vien DH Quoc gia di oto den truong."
    assert vn_repair.repair(text) == ("Chủ tịch HĐND tỉnh Đắk Lắk cho biết sinh viên ĐH Quốc gia đi ôtô đến "
                                      "trường.")
    # An acronym of a line with marks is as written.
    assert vn_repair.repair("Chủ tịch HDND tỉnh cho biết.") == "Chủ tịch HDND tỉnh cho biết."


def test_addresses_do_not_hide_a_stripped_line():
    # The parts of a URL or an e-mail address ("congty", "vn", "https") are no words of the
    # line: without them it reads as stripped, and the addresses stay as they are.
    text = "Lien he: info@congty.vn hoac goi 0912 345 678, website https://congty.vn/lien-he"
    assert vn_repair.repair(text) == ("Liên hệ: info@congty.vn hoặc gọi 0912 345 678, website "
                                      "https://congty.vn/lien-he")
    english = "Visit https://example.com for more info about our new product line"
    assert vn_repair.repair(english) == english


def test_a_question_mark_the_placeholder_channel_cannot_read_ends_the_word():
    # Placeholders inside words open the channel, and "tang?" and "gio?" are tried as words
    # with a lost last letter; none fits, so each "?" is a question mark.
    text = "Gia nu?c ? day tang? Nguoi dan khong biet bao gio moi co nuoc sach, den bao gio?"
    assert vn_repair.repair(text) == ("Giá nước ở đây tăng? Người dân không biết bao giờ mới có nước sạch, "
                                      "đến bao giờ?")


def test_a_lost_first_letter_takes_the_case_the_corpora_give_the_word():
    from vn_repair.restore import _next_case, get_restorer

    table = get_restorer(None).case_table
    assert ("ấn", "cap") in table and ("ông", "cap") not in table and ("ông", "low") not in table
    assert [_next_case("ông Nguyễn", 3), _next_case("ông nói", 3), _next_case("ông, bà", 3)] == ["cap", "low", "other"]
    # cp1252 read back as UTF-8: "ông" loses its ô, "Đà" its Đ; the next word is capitalised
    # either way, and the table tells the title from the name.
    clean = "Hôm qua, ông Nguyễn Văn A đã đến thăm thành phố Đà Nẵng và ở lại đó ba ngày."
    damaged = damage_text(clean, "cp1252-utf8", seed=1)
    assert damaged.startswith("H\ufffdm qua, \ufffdng Nguy?n V?n A ?\ufffd ??n th?m th\ufffdnh ph? ?\ufffd N?ng")
    assert vn_repair.repair(damaged) == clean


def test_stray_question_marks_in_a_long_text_open_no_channel():
    # Two "?x" (URL query strings) in 30,000 words are below the clean-text background: no
    # placeholder channel, and no best fit with its look-alikes either ("tho" stays "tho").
    from vn_repair.config import Config
    from vn_repair.restore import get_restorer

    para = "Ông già ngồi xem tivi cùng bà, dan tho cho ba nghe mãi không chán. "
    text = para * 2000 + "Xem https://example.com/index.php?id=3 và page.php?ref=x nhé."
    est = get_restorer(None).estimate(text, Config())
    assert not est.best_fit and not est.placeholder and not est.lookalike
    assert vn_repair.repair(text) == text


def test_code_page_split_tells_latin1_letters_from_the_others():
    from vn_repair.restore import _fits_code_page

    assert _fits_code_page("và", "v\ufffd") and not _fits_code_page("về", "v\ufffd")
    assert _fits_code_page("về", "v?") and not _fits_code_page("và", "v?")
    assert _fits_code_page("nước", "nu?c")  # best fit: ư → u
    assert _fits_code_page("hòa", "ho\ufffd")  # the old placement "hoà" fits


def test_placeholder_lines_are_not_taken_for_stripped_or_viqr():
    # Without any marked letter left, the line looked unaccented and its "?" like VIQR tone
    # marks ("i?" = ỉ); U+FFFD says it is neither.
    damaged, _clean = CP1252
    assert vn_repair.normalize(damaged) == damaged
    from vn_repair.config import Config
    from vn_repair.restore import get_restorer

    est = get_restorer(None).estimate(damaged, Config())
    assert not est.stripped_lines and est.code_page_split and not est.lookalike


def test_restored_words_take_the_tone_placement_their_damage_shows():
    from vn_repair.restore import _spelling

    # "ho?" and "ho" can only be "hoả" (old placement: the mark on the last letter), "h?a" and
    # "ha" only "hỏa"; a form that fits both takes the document's placement.
    assert _spelling("hỏa", "ho?", "new") == _spelling("hỏa", "Ho", "new") == "hoả"
    assert _spelling("hỏa", "h?a", "old") == _spelling("hỏa", "ha", "old") == "hỏa"
    assert _spelling("hỏa", "hoa", "old") == "hoả" and _spelling("hỏa", "hoa", "new") == "hỏa"
    assert vn_repair.repair("Vi?t Nam: v? ho? ho?n ở kho h\u00e0ng.") == "Việt Nam: vụ hoả hoạn ở kho hàng."
    # An explicit placement wins over what the damage shows.
    assert vn_repair.repair("Vi?t Nam: v? ho? ho?n ở kho h\u00e0ng.", tone_style="new") == \
        "Việt Nam: vụ hỏa hoạn ở kho hàng."


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


def test_a_name_whose_syllables_all_lost_their_first_letter_is_capitalised_whole():
    # cp1252 has neither Ấ nor Đ: "Ấn Độ" becomes "?n ??", and both capitals are gone.  The
    # name table says the pair is written capitalised; "điều động" is not a name, and a
    # neighbour whose own first letter is lost is not taken for a capitalised word.
    text = ("Thủ tướng ?n ?? đã đến thăm Hà Nội và ký nhiều văn bản. Sau đó ông đi ?à N?ng ng?m c?nh. "
            "Các ??n v? ?i?u ??ng l?c l??ng.")
    assert vn_repair.repair(text) == ("Thủ tướng Ấn Độ đã đến thăm Hà Nội và ký nhiều văn bản. Sau đó ông "
                                      "đi Đà Nẵng ngắm cảnh. Các đơn vị điều động lực lượng.")
    # A neighbour written in lowercase is no name: both stay lowercase.
    assert "đi đà nẵng ngắm" in vn_repair.repair(text.replace("?à N?ng", "?à n?ng"))


def test_a_first_letter_stripped_or_misread_keeps_the_case_it_is_written_in():
    # "d" for "đ", "a" for "â": the letter is there, and so is its case.  Only a first letter
    # that was lost ("nh" for "Ảnh", "?ng") leaves the case to the tables; here they would say
    # "Đảng Cộng hòa", "Đất Đỏ" (a place) and "Âu" (Europe).
    stripped = "Day la dieu da duoc thong nhat giua dang Cong hoa va dang Dan chu."
    assert vn_repair.repair(stripped) == "Đây là điều đã được thống nhất giữa đảng Cộng hòa và đảng Dân chủ."
    assert vn_repair.repair("Ho di vao con duong dat do cua thon.") == "Họ đi vào con đường đất đỏ của thôn."
    assert "Dự án công âu thuyền" in vn_repair.repair("Du an cong au thuyen 360 ty dong da duoc giai quyet.")


def test_a_sentence_after_an_opening_quote_starts_with_a_capital():
    assert vn_repair.repair('Ông nói: "??t n??c mình còn nghèo".').startswith('Ông nói: "Đất nước')


def test_the_stripped_line_screen_finds_the_unmarked_lines():
    from vn_repair import estimate

    forms = estimate.get_lexicon(None).stripped_forms
    text = ("Người dân Hà Nội đã quen với cảnh tắc đường vào giờ cao điểm.\n"
            "Viet Nam xay dung nen kinh te thi truong\n\nok\n"
            "Nhieu gia dinh chon song o ngoai thanh de tranh khoi bui.")
    assert estimate._stripped_lines(text.split("\n"), lambda: forms) == {1, 4}


def _runs(text: str, stripped_lines: tuple[int, ...] = (), *args: object, **kwargs: object) -> list[str]:
    """The stripped runs ``estimate._stripped_runs`` finds in ``text``, as strings."""
    from vn_repair import estimate

    forms = estimate.get_lexicon(None).stripped_forms
    spans = estimate._stripped_runs(text, set(stripped_lines), lambda: forms, *args, **kwargs)  # type: ignore[arg-type]
    return [text[a:b] for a, b in spans]


def test_runs_of_unaccented_words_inside_a_line_with_marks():
    text = ("Bài viết rất hay, cam on tac gia rat nhieu vi da chia se.\n"
            # Six valid unaccented words in a row, none a non-word: clean Vietnamese.
            "Trong khi anh ta cho con đi học thì chị ấy ở nhà.\n"
            # An acronym, a name or a number neither ends a run nor counts in it; a word cut
            # by a marked letter ("thông") ends it.
            "Ông nói cam on tac UBND gia rat nhieu vi da thông tin.\n"
            "Viet Nam xay dung nen kinh te thi truong\n")
    assert _runs(text) == ["hay, cam on tac gia rat nhieu vi da chia se.", "cam on tac UBND gia rat nhieu vi da",
                           "Viet Nam xay dung nen kinh te thi truong"]
    # Lines stripped as a whole are left to the line screen.
    assert _runs(text, (3,)) == ["hay, cam on tac gia rat nhieu vi da chia se.", "cam on tac UBND gia rat nhieu vi da"]


def test_shorter_runs_when_asked_for():
    text = "Tôi đọc xong thay rat thich bài này, anh ta cho con."
    assert _runs(text) == []
    # Three words with a non-word among them; "anh ta cho con" has none.
    assert _runs(text, (), 3) == ["xong thay rat thich"]
    # A short run with one capitalised non-word is as likely a name: "Hat Chao Mai" (Thailand).
    assert _runs("Vườn quốc gia Hat Chao Mai ở tỉnh Trang.", (), 3) == []
    # A lone word must look Vietnamese: "nhieu", not "set" or "chat".
    assert _runs("Cảm ơn bạn nhieu lắm, nhớ set lịch và chat với sếp.", (), 1) == ["nhieu"]
    # ... and so must one of a run of two: "rat nhieu", not "hip hop".
    assert _runs("Cảm ơn rat nhieu, mình thích nhảy hip hop lắm.", (), 1) == ["rat nhieu,"]


def test_a_run_ends_at_quotation_marks_not_inside_a_word():
    text = "Anh ấy nói “cam on ban rat nhieu vi da giup do” rồi đi về nhà…cam on"
    assert _runs(text) == ["“cam on ban rat nhieu vi da giup do”"]


def test_a_run_goes_through_names_numbers_and_typographic_punctuation():
    text = "Ông cho biết gia dinh ong Phu nhan 30 trieu dong tu “quy ho tro” cua tinh."
    assert _runs(text) == ["gia dinh ong Phu nhan 30 trieu dong tu “quy ho tro” cua tinh."]
    # An English word (no syllable stripped) ends a run; a name or a number does not start one.
    assert _runs("Ông nói 30 ong Phu nhan duoc tien roi download ve may.") == ["ong Phu nhan duoc tien roi"]
    # Names and one word repeated are no run: a run of three needs two different lowercase words.
    assert _runs("Hệ thống siêu thị Co. opmart, Co. op Xtra, Co. op Food, Co. op Smiles cũng đang") == []
    assert _runs("Lọt vào Top 2000, Top 500, Top Under 50, Top 10 của năm.", (), 3) == []


def test_once_a_document_shows_runs_a_long_one_needs_no_non_word():
    # "phe binh cho rang de xay ra nhung" is eight valid syllables as written.
    text = "Giới phe binh cho rang de xay ra nhung vấn đề kể trên."
    assert _runs(text) == []
    assert _runs(text, (), 3, long_valid=True) == ["phe binh cho rang de xay ra nhung"]
    # Not where most words are capitalised, nor across a capital alone ("I").
    assert _runs('Hát "Do Re Mi Fa Sol La Si Do" hay.', (), 3, long_valid=True) == []
    assert _runs('Nói "so do I, he can go to the bank" rồi.', (), 3, long_valid=True) == []
