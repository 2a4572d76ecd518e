"""Scoring: hand-made triples with known counts, the evaluation run, and the CLI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from vn_repair.damage import damage_text
from vn_repair.evaluate import Scores, add_arguments, evaluate, run_cli, run_evaluation

FIXTURE = Path(__file__).parent / "fixtures" / "vi_sentences.txt"

# Line 1: "Việt" and "dựng" restored, "ở" vanished and missed, "rất" wrongly fixed, the clean
# "đây" broken, and a word inserted into the double space (broken too).
# Line 2: "Nội" restored; the repair re-spaced the line (an extra " ." token), so it is realigned
# and the token before the insertion counts as broken.
# Line 3: untouched.
CLEAN = "Việt Nam xây dựng ở đây  rất nhanh\nHà Nội mùa thu\nMột dòng sạch."
DAMAGED = "Vit Nam xây dng  đây  rt nhanh\nHà Ni mùa thu\nMột dòng sạch."
REPAIRED = "Việt Nam xây dựng  đấy ạ rát nhanh\nHà Nội mùa thu .\nMột dòng sạch."


@pytest.fixture(scope="module")
def scores() -> Scores:
    return evaluate(CLEAN, DAMAGED, REPAIRED)


def test_hand_made_counts(scores: Scores) -> None:
    assert scores.lines == 3
    assert scores.clean_tokens == 8 + 4 + 3
    assert scores.damaged_tokens == 5
    assert scores.restored == 3
    assert scores.wrong_fixes == 1
    assert scores.missed == 1
    assert scores.undamaged_tokens == 4 + 3 + 3
    assert scores.broken == 3
    assert scores.changed_tokens == 5 + 2
    assert scores.realigned_lines == 1
    assert scores.errors_before == 5
    assert scores.errors_after == 5


def test_hand_made_rates(scores: Scores) -> None:
    assert scores.recall == pytest.approx(3 / 5)
    assert scores.wrong_fix_rate == pytest.approx(1 / 5)
    assert scores.missed_rate == pytest.approx(1 / 5)
    assert scores.broken_per_10k == pytest.approx(3 / 10 * 1e4)
    assert scores.precision == pytest.approx(3 / 7)
    assert scores.error_reduction == pytest.approx(0.0)
    assert scores.damage_rate == pytest.approx(5 / 15)


def test_hand_made_breakdown(scores: Scores) -> None:
    cats = dict(scores.breakdown)
    assert list(cats) == ["vanished", "non-word", "valid-word", "empty"]
    assert (cats["vanished"].damaged, cats["vanished"].missed) == (1, 1)
    assert (cats["non-word"].damaged, cats["non-word"].restored, cats["non-word"].wrong) == (3, 2, 1)
    # "Ni" is a syllable; "đây" and "thu" were broken
    assert (cats["valid-word"].damaged, cats["valid-word"].restored, cats["valid-word"].broken) == (1, 1, 2)
    assert cats["empty"].broken == 1


def test_error_patterns_name_the_tokens(scores: Scores) -> None:
    found = {(e.outcome, e.clean, e.damaged, e.repaired, e.line, e.index) for e in scores.errors}
    assert found == {
        ("missed", "ở", "", "", 1, 4),
        ("wrong", "rất", "rt", "rát", 1, 7),
        ("broken", "đây", "đây", "đấy", 1, 5),
        ("broken", "", "", "ạ", 1, 6),
        ("broken", "thu", "thu", "thu .", 2, 3),
    }
    assert [e.outcome for e in scores.top_errors(None)] == ["broken"] * 3 + ["wrong", "missed"]


def test_error_patterns_are_grouped_and_counted() -> None:
    clean = "của họ\ncủa tôi\ncủa ai"
    damaged = "ca họ\nca tôi\nca ai"
    s = evaluate(clean, damaged, damaged)
    (only,) = s.errors
    assert (only.outcome, only.category, only.count, only.line, only.index) == ("missed", "valid-word", 3, 1, 0)


@pytest.mark.parametrize(("clean", "damaged", "category"), [
    ("Việt", "Vi?t", "placeholder"),
    ("Việt", "Vi\ufffdt", "placeholder"),
    ("phố?", "ph??", "placeholder"),
    ("“Việt”", "\"Việt\"", "punctuation"),
    ("của", "ca", "valid-word"),
    ("dựng,", "dng,", "non-word"),
    ("Friedrich", "Friedrch", "other"),
    ("ở", "", "vanished"),
])
def test_damaged_token_categories(clean: str, damaged: str, category: str) -> None:
    (name, counts), = evaluate(clean, damaged, clean).breakdown
    assert (name, counts.damaged, counts.restored) == (category, 1, 1)


def test_clean_everywhere_has_no_rates() -> None:
    s = evaluate("một hai ba\n", "một hai ba\n", "một hai ba\n")
    assert (s.lines, s.clean_tokens, s.undamaged_tokens, s.damaged_tokens) == (1, 3, 3, 0)
    assert s.recall is None and s.error_reduction is None and s.broken_per_10k == 0.0


def test_negative_error_reduction_when_repair_makes_it_worse() -> None:
    s = evaluate("a b c d", "a b c x", "y z c x")
    assert (s.damaged_tokens, s.missed, s.broken) == (1, 1, 2)
    assert s.error_reduction == pytest.approx(1 - 3 / 1)


def test_line_counts_must_match() -> None:
    with pytest.raises(ValueError, match="line counts differ: clean 2, damaged 2, repaired 1"):
        evaluate("a\nb", "a\nb", "a b")
    with pytest.raises(TypeError, match="repaired must be str"):
        evaluate("a", "a", b"a")  # type: ignore[arg-type]


def test_realignment_of_a_deleted_and_a_split_token() -> None:
    s = evaluate("xe ôtô chạy nhanh", "xe ôtô chy nhanh", "xe ô tô chạy nhanh .")
    # "ôtô" split in two is broken, "chạy" restored, "nhanh" followed by an inserted "." broken
    assert s.realigned_lines == 1
    assert (s.restored, s.broken) == (1, 2)
    assert {(e.clean, e.repaired) for e in s.errors} == {("ôtô", "ô tô"), ("nhanh", "nhanh .")}
    s = evaluate("a b c d", "a b c d", "a c d")
    assert (s.broken, s.errors[0].clean, s.errors[0].repaired) == (1, "b", "")
    s = evaluate("a b", "a b", "x y a b")
    assert (s.broken, s.errors[0].clean, s.errors[0].repaired) == (1, "a", "x y a")


def test_to_dict_and_table(scores: Scores) -> None:
    d = scores.to_dict(max_errors=1)
    json.dumps(d)
    assert d["restored"] == 3 and d["recall"] == pytest.approx(0.6)
    assert d["breakdown"]["non-word"]["restored"] == 2
    assert len(d["errors"]) == 3  # one per outcome
    assert "errors" not in scores.to_dict()
    table = scores.format_table()
    assert "recall 60.00%" in table and "realigned lines" in table and "non-word" in table


# ---------------------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def sentences() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def test_run_with_identity_and_oracle(sentences: str) -> None:
    nothing = run_evaluation(sentences, "sparse", 0.1, 1, repair_fn=lambda text: text)
    assert nothing.scores.damaged_tokens > 100
    assert nothing.scores.missed == nothing.scores.damaged_tokens
    assert nothing.scores.error_reduction == 0.0
    damaged = damage_text(sentences, "sparse", 0.1, 1)
    oracle = run_evaluation(sentences, "sparse", 0.1, 1,
                            repair_fn=lambda text: sentences if text == damaged else text)
    assert oracle.scores.recall == 1.0 and oracle.scores.error_reduction == 1.0
    assert oracle.scores.broken == 0


def test_run_uses_the_library_repair(sentences: str) -> None:
    """NFD damage is undone by the NFC step, whatever the engine does besides."""
    report = run_evaluation(sentences, "nfd", clean_run=True)
    assert report.scores.damaged_tokens > 1000
    assert report.scores.restored >= report.scores.damaged_tokens - report.scores.wrong_fixes
    assert report.repair_seconds > 0 and report.mb_per_s and report.input_mb > 0.01
    assert report.clean_scores is not None and isinstance(report.clean_identical, bool)
    assert report.config is not None and report.config["nfc"] is True
    d = report.to_dict()
    json.dumps(d)
    assert d["kinds"] == ["nfd"] and d["clean_run"]["changes_per_10k"] is not None
    assert "error reduction" in report.format_table(show=3)


# ---------------------------------------------------------------------------- CLI


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vn-repair evaluate")
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


def test_cli_scores_a_given_triple(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    paths = {}
    for name, text in (("clean", CLEAN), ("damaged", DAMAGED), ("repaired", REPAIRED)):
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_bytes(text.encode("utf-8"))
    argv = ["--clean", str(paths["clean"]), "--damaged", str(paths["damaged"]),
            "--repaired", str(paths["repaired"])]
    assert _cli([*argv, "--json", "--show", "2"]) == 0
    d = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert (d["scores"]["restored"], d["scores"]["broken"], d["scores"]["missed"]) == (3, 3, 1)
    assert {e["clean"] for e in d["scores"]["errors"]} >= {"ở", "rất", "đây"}
    assert _cli([*argv, "--show", "5"]) == 0
    table = capsysbinary.readouterr().out.decode("utf-8")
    assert "'rất'" in table and "'rát'" in table and "1:7" in table
    assert _cli([*argv, "--limit-lines", "1", "--json"]) == 0
    assert json.loads(capsysbinary.readouterr().out)["scores"]["lines"] == 1


def test_cli_simulates_damage(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    saved = tmp_path / "damaged.txt"
    assert _cli(["--clean", str(FIXTURE), "--damage", "nfd", "--json", "--limit-lines", "50",
                 "--save-damaged", str(saved), "--threshold", "0.95"]) == 0
    d = json.loads(capsysbinary.readouterr().out)
    assert d["scores"]["lines"] == 50 and d["scores"]["damaged_tokens"] > 100
    assert d["config"]["threshold"] == 0.95
    clean50 = "\n".join(FIXTURE.read_text(encoding="utf-8").split("\n")[:50])
    assert saved.read_text(encoding="utf-8") == damage_text(clean50, "nfd")


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["--clean", str(FIXTURE), "--damage", "sparse", "--repaired", str(FIXTURE)]) == 2
    assert "--repaired needs --damaged" in capsys.readouterr().err
    assert _cli(["--clean", str(tmp_path / "nope.txt"), "--damage", "sparse"]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert _cli(["--clean", str(FIXTURE), "--damage", "sparse,zap"]) == 2
    assert "unknown damage kind" in capsys.readouterr().err
    assert _cli(["--clean", str(FIXTURE), "--damage", "sparse", "--damage-kinds", "zap"]) == 2
    assert "zap" in capsys.readouterr().err
    assert _cli(["--clean", str(FIXTURE), "--damage", "sparse", "--save-repaired", str(FIXTURE)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert _cli(["--clean", str(FIXTURE), "--damage", "sparse", "--model", str(tmp_path / "no.bin")]) == 1
    assert "no.bin" in capsys.readouterr().err


def test_module_cli() -> None:
    """``python -m vn_repair evaluate`` end to end, JSON on stdout."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("vn_repair.__main__") is None:
        pytest.skip("python -m vn_repair is not wired in this checkout")
    r = subprocess.run([sys.executable, "-m", "vn_repair", "evaluate", "--clean", str(FIXTURE), "--damage", "nfd",
                        "--limit-lines", "20", "--json"], capture_output=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["scores"]["lines"] == 20 and d["scores"]["recall"] == 1.0 and d["kinds"] == ["nfd"]


def test_dev_corpus_pipeline(shared: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """The real dev text goes through damage, repair and scoring (first 300 lines, to stay fast)."""
    dev = shared / "corpora" / "vietnews" / "dev.txt"
    assert _cli(["--clean", str(dev), "--damage", "sparse", "--rate", "0.05", "--json",
                 "--limit-lines", "300"]) == 0
    d = json.loads(capsysbinary.readouterr().out)
    s = d["scores"]
    assert s["lines"] == 300 and s["clean_tokens"] > 5000
    assert s["restored"] + s["wrong_fixes"] + s["missed"] == s["damaged_tokens"] > 50


def test_cli_wraps_the_clean_text_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("Ban chỉ đạo yêu cầu các tỉnh tập trung xây dựng nông thôn mới và bảo đảm an toàn "
                     "thực phẩm cho người dân.\n", encoding="utf-8")
    out = tmp_path / "damaged.txt"
    assert _cli(["--clean", str(clean), "--damage", "total", "--wrap", "30",
                     "--save-damaged", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) > 3 and all(len(line) <= 30 for line in lines)
    assert "wrapped at 30 columns" in capsys.readouterr().out
    assert _cli(["--clean", str(clean), "--damage", "total", "--wrap", "5"]) == 2
    assert _cli(["--clean", str(clean), "--damaged", str(out), "--wrap", "30"]) == 2


def test_cli_repairs_each_line_alone_with_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "chỉ đo" alone reads as clean; beside a line that shows damage it is repaired.  With
    # --per-line each line is its own document, so it stays.
    clean = tmp_path / "clean.txt"
    clean.write_text("Ông là trưởng ban chỉ đạo.\nBan chỉ đạo xây dựng nông thôn mới.\n", encoding="utf-8")
    damaged = tmp_path / "damaged.txt"
    damaged.write_text("Ông là trưởng ban chỉ đo.\nBan chỉ đo xây dng nông thôn mới.\n", encoding="utf-8")
    assert _cli(["--clean", str(clean), "--damaged", str(damaged), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert _cli(["--clean", str(clean), "--damaged", str(damaged), "--json", "--per-line"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert whole["scores"]["restored"] == 3 and alone["scores"]["restored"] == 2
    assert alone["source"].endswith("each line a document")
    # Wrapped lines alone are pieces of sentences; a given repair has nothing to repair.
    assert _cli(["--clean", str(clean), "--damage", "total", "--wrap", "30", "--per-line"]) == 2
    assert _cli(["--clean", str(clean), "--damaged", str(damaged), "--repaired", str(damaged), "--per-line"]) == 2
    with pytest.raises(ValueError, match="per_line"):
        run_evaluation(clean.read_text(encoding="utf-8"), "total", repair_fn=str, per_line=True)
