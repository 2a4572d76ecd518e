"""The damage simulator: exact behaviour of each kind, reproducibility, and properties."""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vn_repair.damage import (
    LOOKALIKES,
    RATE_KINDS,
    SIMULATED_DAMAGE,
    add_arguments,
    damage_lines,
    damage_text,
    parse_kinds,
    run_cli,
)
from vn_repair.orthography import generate_syllables, is_valid_syllable, tone_style_of

ENCODING_KINDS = {"mojibake", "mojibake-latin1", "mojibake-cp1258", "mojibake-double", "tcvn3", "vni",
                  "viscii", "viqr"}
try:
    import vn_repair.encodings  # noqa: F401
    AVAILABLE_KINDS = sorted(SIMULATED_DAMAGE)
except ImportError:  # the encoding kinds need it; the others are tested all the same
    AVAILABLE_KINDS = sorted(set(SIMULATED_DAMAGE) - ENCODING_KINDS)
FIXTURE = Path(__file__).parent / "fixtures" / "vi_sentences.txt"
BLOCK = {chr(cp) for cp in range(0x1EA0, 0x1EFA)}
VI_MARKED = set("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
VI_MARKED |= {c.upper() for c in VI_MARKED}


@pytest.fixture(scope="module")
def sentences() -> str:
    return FIXTURE.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- exact behaviour

@pytest.mark.parametrize(("kind", "clean", "damaged"), [
    ("total", "củng cố niềm tin của thế hệ trẻ", "cng c nim tin ca th h tr"),
    ("total", "Ở ĐÂY CÓ ĐỦ", " ĐÂY CÓ Đ"),
    ("strip", "Đường Việt Nam xây dựng, năm 2024!", "Duong Viet Nam xay dung, nam 2024!"),
    ("strip", "Pokémon ở Ý", "Pokemon o Y"),
    ("nfd", "Việt", "Vie\u0323\u0302t"),  # canonical order: dot below first
    ("tone-flip", "hoà bình, thuỷ lợi, khoẻ", "hòa bình, thủy lợi, khỏe"),
    ("tone-flip", "Hòa THỦY khỏe", "Hoà THUỶ khoẻ"),
    ("tone-flip", "quý hoàng huỳnh hoạch thuở", "quý hoàng huỳnh hoạch thuở"),
    ("cp1252", "Thành phố Hồ Chí Minh", "Thành ph? H? Chí Minh"),
    ("cp1252-bestfit", "Nước ta năm nay, Đà Nẵng", "Nu?c ta nam nay, Dà N?ng"),
    ("cp1252-utf8", "Thành phố", "Th\ufffdnh ph?"),
])
def test_deterministic_kinds(kind: str, clean: str, damaged: str) -> None:
    assert damage_text(clean, kind) == damaged


@pytest.mark.parametrize(("kind", "clean", "damaged"), [
    ("mojibake", "Việt Nam", "Viá»‡t Nam"),
    ("mojibake-double", "Việt", "ViÃ¡Â»â€¡t"),
    ("tcvn3", "Việt Nam", "ViÖt Nam"),
    ("vni", "Việt Nam", "Vieät Nam"),
    ("viqr", "Việt Nam", "Vie^.t Nam"),
])
def test_encoding_kinds(kind: str, clean: str, damaged: str) -> None:
    pytest.importorskip("vn_repair.encodings")
    assert damage_text(clean, kind) == damaged


def test_encoding_kinds_keep_lines_and_tokens(sentences: str) -> None:
    pytest.importorskip("vn_repair.encodings")
    for kind in sorted(ENCODING_KINDS):
        out = damage_text(sentences, kind)
        assert out != sentences, kind
        assert [len(x.split(" ")) for x in out.split("\n")] == [len(x.split(" ")) for x in sentences.split("\n")]


def test_placeholder_every_letter_and_fffd() -> None:
    assert damage_text("Việt Nam đẹp", "placeholder", rate=1.0) == "Vi?t Nam đ?p"
    assert damage_text("Việt Nam", "placeholder", rate=1.0, placeholder="\ufffd") == "Vi\ufffdt Nam"
    # Only the U+1EA0..U+1EF9 block: à, ô, đ are outside it and stay.
    assert damage_text("và cô đi", "placeholder", rate=1.0) == "và cô đi"


def test_sparse_at_rate_one_is_total(sentences: str) -> None:
    assert damage_text(sentences, "sparse", rate=1.0) == damage_text(sentences, "total")


def test_drop_any_at_rate_one_removes_every_marked_letter() -> None:
    assert damage_text("Đà Nẵng ở miền Trung", "drop-any", rate=1.0) == " Nng  min Trung"


def test_ocr_is_total_then_lookalikes(sentences: str) -> None:
    out = damage_text(sentences, "ocr", seed=3)
    total = damage_text(sentences, "total")
    assert len(out) == len(total)
    changed = [(a, b) for a, b in zip(total, out) if a != b]
    marked = sum(1 for c in total if c in VI_MARKED)
    assert all(b in LOOKALIKES[a] for a, b in changed)
    assert 0.06 < len(changed) / marked < 0.14  # 10% of the remaining marked letters


def test_lookalikes_are_what_the_issue_lists() -> None:
    for clean, alike in [("ớ", "ó"), ("ớ", "ò"), ("ờ", "ò"), ("ư", "u"), ("ơ", "o"), ("ă", "a"),
                         ("â", "a"), ("ê", "e"), ("đ", "d"), ("ĩ", "ī"), ("ă", "ǎ"), ("ẻ", "ě"),
                         ("Ệ", "Ę"), ("Đ", "D")]:
        assert alike in LOOKALIKES[clean], (clean, alike)
    assert set(LOOKALIKES) == VI_MARKED
    for clean, options in LOOKALIKES.items():
        assert options and clean not in options
        assert all(len(o) == 1 for o in options)


@pytest.mark.parametrize("kind", ["sparse", "drop-any", "placeholder", "lookalike"])
def test_rate_is_the_per_letter_probability(kind: str, sentences: str) -> None:
    candidates = BLOCK if kind in ("sparse", "placeholder") else VI_MARKED
    n = sum(1 for c in sentences if c in candidates)
    rate = 0.2
    out = damage_text(sentences, kind, rate=rate, seed=11)
    if kind in ("sparse", "drop-any"):
        hit = len(sentences) - len(out)
    else:
        hit = sum(1 for a, b in zip(sentences, out) if a != b)
    # binomial: 4 standard deviations either side
    sd = (n * rate * (1 - rate)) ** 0.5
    assert abs(hit - n * rate) < 4 * sd


def test_strip_run_strips_one_run_of_words_in_long_lines() -> None:
    long_line = ("Một bà mẹ Anh bị phạt 80 USD vì đỗ ôtô chưa đầy 15 phút trong bãi đậu xe "
                 "của khách sạn để cho con bú.")
    short_line = "Đỗ xe cho con bú, bà mẹ Anh bị phạt gần 100 USD"
    text = "\n".join([long_line, short_line] * 200)
    out = damage_text(text, "strip-run", rate=0.5, seed=3).split("\n")
    stripped = damage_text(long_line, "strip")
    hit = 0
    for line in out[::2]:
        words, clean, plain = line.split(" "), long_line.split(" "), stripped.split(" ")
        changed = [i for i, (w, c) in enumerate(zip(words, clean)) if w != c]
        if changed:
            hit += 1
            # One run of 6 to 12 words, each stripped of its marks (words without marks in it,
            # "Anh" or "80", are unchanged); the words around it as they were.
            first, last = changed[0], changed[-1]
            assert last - first + 1 <= 12
            assert words[first : last + 1] == plain[first : last + 1]
            assert words[:first] + words[last + 1 :] == clean[:first] + clean[last + 1 :]
    assert out[1::2] == [short_line] * 200  # under 14 words: never touched
    assert 70 < hit < 130  # binomial(200, 0.5): about 7 standard deviations either side
    assert damage_text(long_line, "strip-run", rate=1.0, seed=1) != long_line


def test_sparse_drops_only_block_letters(sentences: str) -> None:
    out = damage_text(sentences, "sparse", rate=0.3, seed=5)
    assert re.sub(f"[{''.join(sorted(BLOCK))}]", "", sentences) == re.sub(
        f"[{''.join(sorted(BLOCK))}]", "", out)
    # what is left is a subsequence of the input, dropping block letters only
    it = iter(sentences)
    for ch in out:
        for src in it:
            if src == ch:
                break
            assert src in BLOCK
    assert all(src in BLOCK for src in it)


def test_lookalike_changes_each_letter_to_one_of_its_lookalikes(sentences: str) -> None:
    out = damage_text(sentences, "lookalike", rate=0.5, seed=2)
    assert len(out) == len(sentences)
    for a, b in zip(sentences, out):
        assert a == b or b in LOOKALIKES[a]


def test_combination_applies_in_order(sentences: str) -> None:
    both = damage_text(sentences, "total,strip")
    assert both == damage_text(damage_text(sentences, "total"), "strip")
    assert damage_text(sentences, ["strip", "total"]) == damage_text(sentences, "strip")


def test_chunks_come_out_as_in_the_whole_text(sentences: str) -> None:
    lines = sentences.split("\n")
    whole = list(damage_lines(lines, "sparse,lookalike", rate=0.3, seed=9))
    for start in (0, 1, 17, 150):
        part = list(damage_lines(lines[start:start + 40], "sparse,lookalike", rate=0.3, seed=9, start=start))
        assert part == whole[start:start + 40]
    with_ends = [line + "\n" for line in lines]
    assert [x.rstrip("\n") for x in damage_lines(with_ends, "sparse,lookalike", 0.3, 9)] == whole


def test_seed_changes_the_result(sentences: str) -> None:
    assert damage_text(sentences, "sparse", seed=1) != damage_text(sentences, "sparse", seed=2)


def test_kinds_are_checked() -> None:
    assert parse_kinds(" total , lookalike ") == ("total", "lookalike")
    with pytest.raises(ValueError, match="unknown damage kind.*'bogus'"):
        damage_text("x", "sparse,bogus")
    with pytest.raises(ValueError, match="no damage kind"):
        damage_text("x", "")
    with pytest.raises(ValueError, match="rate"):
        damage_text("x", "sparse", rate=1.5)
    with pytest.raises(ValueError, match="placeholder"):
        damage_text("x", "placeholder", placeholder=" ")
    with pytest.raises(TypeError, match="decode"):
        damage_text(b"Vi\xe1\xbb\x87t", "sparse")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="line 1 is bytes"):
        list(damage_lines(["ok", b"bytes"], "sparse"))  # type: ignore[list-item]


def test_simulator_is_not_pathologically_slow(sentences: str) -> None:
    """About 7-10 MB/s on an idle machine (the aim is 5); the floor here only catches a blunder
    (one regex compile or one generator seeding per letter), since CI machines are shared."""
    import time

    text = sentences * 8
    mb = len(text.encode("utf-8")) / 1e6
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        damage_text(text, "sparse,lookalike", rate=0.05)
        best = min(best, time.perf_counter() - t)
    assert mb / best > 0.3


# ---------------------------------------------------------------------------- properties

_VI_ALPHABET = "".join(sorted(VI_MARKED)) + "aeiouyAEIOUYbcdghklmnpqrstvxBCDGHKLMNPQRSTVX"
vi_text = st.text(alphabet=st.sampled_from(_VI_ALPHABET + "  \n0123456789.,;:!?\"'()-/%"), max_size=200)
any_text = st.text(max_size=200)
kind_lists = st.lists(st.sampled_from(AVAILABLE_KINDS), min_size=1, max_size=3)
_PROTECTED = re.compile(r"[^ 0-9!-/:-@\[-`{-~\n]")  # delete all but space, digits, ASCII punctuation


def _skeleton(text: str, kinds: list[str]) -> str:
    out = _PROTECTED.sub("", text)
    if ENCODING_KINDS & set(kinds):  # these write letters as bytes or ASCII marks
        return ""
    if {"placeholder", "cp1252", "cp1252-bestfit", "cp1252-utf8"} & set(kinds):
        out = out.replace("?", "")  # these kinds write "?" for lost letters
    return out


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(vi_text, any_text), kinds=kind_lists, rate=st.floats(0, 1), seed=st.integers(0, 2**32))
def test_structure_is_kept(text: str, kinds: list[str], rate: float, seed: int) -> None:
    out = damage_text(text, kinds, rate, seed)
    assert out == damage_text(text, kinds, rate, seed)  # deterministic
    assert out.count("\n") == text.count("\n")
    assert [len(line.split(" ")) for line in out.split("\n")] == [len(line.split(" ")) for line in text.split("\n")]
    assert _skeleton(out, kinds) == _skeleton(text, kinds)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(vi_text, any_text), kinds=st.lists(st.sampled_from(sorted(RATE_KINDS)), min_size=1, max_size=3),
       seed=st.integers())
def test_rate_zero_is_identity(text: str, kinds: list[str], seed: int) -> None:
    assert damage_text(text, kinds, 0.0, seed) == text


@settings(max_examples=100, deadline=None)
@given(text=vi_text)
def test_strip_leaves_no_marks(text: str) -> None:
    out = damage_text(unicodedata.normalize("NFC", text), "strip")
    assert not VI_MARKED & set(out)
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", out))


@settings(max_examples=100, deadline=None)
@given(text=vi_text)
def test_nfd_is_nfd(text: str) -> None:
    out = damage_text(text, "nfd")
    assert unicodedata.is_normalized("NFD", out)
    assert unicodedata.normalize("NFC", out) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("style", ["old", "new"])
def test_tone_flip_is_an_involution_on_every_syllable(style: str) -> None:
    syllables = generate_syllables(style)
    text = " ".join(syllables)
    once = damage_text(text, "tone-flip")
    assert damage_text(once, "tone-flip") == text
    for before, after in zip(syllables, once.split(" ")):
        assert is_valid_syllable(after)
        if before != after:
            assert tone_style_of(before) == style and tone_style_of(after) != style


# ---------------------------------------------------------------------------- CLI


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vn-repair damage")
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


def test_cli_inline_text(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert _cli(["-k", "strip", "-c", "Tiếng Việt"]) == 0
    assert capsysbinary.readouterr().out == b"Tieng Viet\n"
    assert _cli(["-k", "cp1252", "-c", "Thành phố"]) == 0  # UTF-8 out, whatever the locale
    assert capsysbinary.readouterr().out == "Thành ph?\n".encode()


def test_cli_streams_files_as_the_library_does(tmp_path: Path, sentences: str,
                                               capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(sentences.encode("utf-8"))
    assert _cli(["--kind", "sparse,placeholder", "--rate", "0.3", "--seed", "4", str(src)]) == 0
    expected = damage_text(sentences, "sparse,placeholder", 0.3, 4)
    assert capsysbinary.readouterr().out.decode("utf-8") == expected
    out = tmp_path / "out.txt"
    assert _cli(["--kind", "placeholder", "--placeholder", "fffd", "-r", "1", "-o", str(out), str(src)]) == 0
    assert out.read_text(encoding="utf-8") == damage_text(sentences, "placeholder", 1.0, placeholder="\ufffd")


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["-c", "x"]) == 2
    assert "--kind" in capsys.readouterr().err
    assert _cli(["-k", "nope", "-c", "x"]) == 2
    assert "unknown damage kind" in capsys.readouterr().err
    assert _cli(["-k", "strip", str(tmp_path / "missing.txt")]) == 1
    assert "cannot read" in capsys.readouterr().err
    src = tmp_path / "in.txt"
    src.write_text("x", encoding="utf-8")
    assert _cli(["-k", "strip", "-o", str(src), str(src)]) == 2
    assert "overwrite" in capsys.readouterr().err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Việt".encode("cp1258", "replace") + b"\xff")
    assert _cli(["-k", "strip", str(bad)]) == 1
    assert "not UTF-8" in capsys.readouterr().err


def test_module_cli(tmp_path: Path) -> None:
    """``python -m vn_repair damage`` end to end: UTF-8 in and out whatever the locale."""
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("vn_repair.__main__") is None:
        pytest.skip("python -m vn_repair is not wired in this checkout")
    env = {**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}
    src = tmp_path / "in.txt"
    src.write_bytes("Tiếng Việt\nhoà bình\n".encode())
    r = subprocess.run([sys.executable, "-m", "vn_repair", "damage", "--kind", "tone-flip", str(src)],
                       capture_output=True, timeout=60, env=env, check=False)
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "Tiếng Việt\nhòa bình\n"
    r = subprocess.run([sys.executable, "-m", "vn_repair", "damage", "--kind", "nope", "-c", "x"],
                       capture_output=True, timeout=60, env=env, check=False)
    assert r.returncode == 2 and b"unknown damage kind" in r.stderr and r.stdout == b""


def test_cli_lists_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(kind in out for kind in SIMULATED_DAMAGE)
