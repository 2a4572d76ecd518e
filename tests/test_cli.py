"""The command line, run as ``python -m vn_repair`` in a subprocess: stdout, stderr, exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

import vn_repair
from vn_repair.cli import WINDOW_BYTES
from vn_repair.edits import Edit, apply_edits

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_MODEL = Path(vn_repair.__file__).parent / "data" / "default-model.bin"
TIMEOUT = 120


def run(*args: str, stdin: bytes | None = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONIOENCODING="ascii", LC_ALL="C")  # the CLI must not depend on the locale
    return subprocess.run([sys.executable, "-m", "vn_repair", *args], input=stdin, capture_output=True,
                          timeout=TIMEOUT, env=env, cwd=cwd, check=False)


@pytest.fixture(scope="session")
def model_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Options that give the repair a language model: none when the embedded model is there,
    else a tiny one trained from the test fixture."""
    if DEFAULT_MODEL.is_file():
        return []
    from vn_repair import train

    out = tmp_path_factory.mktemp("model") / "tiny.bin"
    train.train_model([FIXTURES / "lm_tiny.txt"], out, order=3, min_counts=(1, 1, 1), min_unigram_count=1,
                      quant_bits=0, progress=False)
    return ["--model", str(out)]


def lines_of(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return result.stdout.decode("utf-8").splitlines()


# ------------------------------------------------------------------------------- basics


def test_stdin_to_stdout(model_args: list[str]) -> None:
    r = run(*model_args, stdin="Hoa\u0300 bi\u0300nh\n".encode())
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "Hoà bình\n"


def test_inline_text_and_tone_style(model_args: list[str]) -> None:
    r = run(*model_args, "--tone-style", "new", "-c", "hoà bình, thuỷ điện")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "hòa bình, thủy điện\n"


def test_repair_restores_dropped_letters(model_args: list[str]) -> None:
    r = run(*model_args, "-c", "Vi\u1ec7t Nam x\u00e2y dng \u0111\u1ea5t n\u01b0c")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode("utf-8") == "Việt Nam xây dựng đất nước\n"


def test_damage_rate_option() -> None:
    text = "Ban chỉ đo phòng chống thiên tai đã họp."
    # Nothing else in the text shows damage, so the valid word stays unless a rate is given.
    assert lines_of(run("-c", text)) == [text]
    assert lines_of(run("--damage-rate", "0.05", "-c", text)) == [text.replace("đo", "đạo")]
    bad = run("--damage-rate", "2", "-c", text)
    assert bad.returncode == 2 and b"damage_rate must be in (0, 1]" in bad.stderr


def test_a_bad_thread_count_is_an_error_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VN_REPAIR_THREADS", "two")
    bad = run("-c", "xin chao")
    assert bad.returncode == 2 and bad.stdout == b""
    assert b"VN_REPAIR_THREADS must be a whole number of at least 1, got 'two'" in bad.stderr


def test_files_are_concatenated_in_order_and_output_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_bytes("Vie\u0302\u0323t\n".encode())
    b.write_bytes(b"Nam")  # no final newline: kept as it is
    r = run("--no-restore", str(a), str(b), "-")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "Việt\nNam"


def test_normalize_command_does_not_restore() -> None:
    r = run("normalize", "--tone-style", "new", "-c", "Hoa\u0300 bình xây dng")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "Hòa bình xây dng\n"
    assert b"--model" not in run("normalize", "--help").stdout


def test_a_file_named_like_a_subcommand(tmp_path: Path) -> None:
    (tmp_path / "train").write_bytes("Hoa\u0300\n".encode())
    for args in (["repair", "--no-restore", "train"], ["--no-restore", "./train"]):
        r = run(*args, cwd=tmp_path)
        assert (r.returncode, r.stderr) == (0, b""), args
        assert r.stdout.decode("utf-8") == "Hoà\n"


def test_damage_subcommand_is_delegated() -> None:
    r = run("damage", "--kind", "strip", "-c", "Việt Nam")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "Viet Nam\n"


def test_version_and_help() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.decode().strip() == f"vn-repair {vn_repair.__version__}"
    r = run("--help")
    assert r.returncode == 0
    assert b"normalize" in r.stdout and b"--jsonl" in r.stdout
    # Every subcommand's help prints (a "%" in a help text once broke "damage --help").
    for sub in ("repair", "normalize", "train", "damage", "evaluate"):
        r = run(sub, "--help")
        assert (r.returncode, r.stderr) == (0, b""), sub
    assert b"10% of the remaining" in run("damage", "--help").stdout


# ------------------------------------------------------------------------------- errors


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    r = run(str(tmp_path / "nope.txt"))
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().count("\n") == 1
    assert r.stderr.decode().startswith("vn-repair: error: cannot open") and "nope.txt" in r.stderr.decode()


def test_bad_option_is_a_one_line_error() -> None:
    r = run("--tone-style", "sideways")
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and r.stderr.startswith(b"vn-repair: error:")
    r = run("--threshold", "1.5", "-c", "x")
    assert r.returncode == 2 and b"threshold" in r.stderr and r.stderr.count(b"\n") == 1
    r = run("-c", "x", "file.txt")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1


def test_bad_model_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"this is not a model at all, just some bytes")
    r = run("--model", str(bad), "-c", "xây dng")
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().count("\n") == 1 and "bad.bin" in r.stderr.decode()
    r = run("--model", str(tmp_path / "missing.bin"), "-c", "xây dng")
    assert r.returncode == 1 and "missing.bin" in r.stderr.decode()


def test_invalid_utf8_names_the_file_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes("Việt Nam\n".encode() + b"abc \xff\xfe def\n")
    r = run("--no-restore", str(path))
    assert r.returncode == 1
    message = r.stderr.decode()
    assert message.count("\n") == 1
    offset = len("Việt Nam\n".encode()) + 4
    assert f"in.txt: invalid UTF-8 at byte {offset} (line 2)" in message
    assert "--errors" in message


def test_surrogateescape_passes_undecodable_bytes_through(tmp_path: Path) -> None:
    data = b"abc \xff\xfe def\nxin ch\xc3\xa0o \xc3 b\xe1\xba\xa1n\n"
    r = run("--no-restore", "--errors", "surrogateescape", stdin=data)
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout == data
    # Where something is repaired, only that changes.
    nfd = "Hoa\u0300".encode()
    r = run("--no-restore", "--errors", "surrogateescape", stdin=b"\xff " + nfd + b" \xfe\n")
    assert r.stdout == b"\xff " + "Hoà".encode() + b" \xfe\n"


def test_errors_replace_writes_replacement_characters() -> None:
    r = run("--no-restore", "--errors", "replace", stdin=b"abc \xff def\n")
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "abc \ufffd def\n"


def test_output_never_overwrites_an_input(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes("Hoa\u0300\n".encode())
    for args in (["-o", str(path), str(path)], ["-o", str(path)]):
        r = subprocess.run([sys.executable, "-m", "vn_repair", "--no-restore", *args], stdin=path.open("rb"),
                           capture_output=True, timeout=TIMEOUT, check=False)
        assert r.returncode == 2
        assert r.stderr.decode().count("\n") == 1 and "refusing to overwrite" in r.stderr.decode()
        assert path.read_bytes() == "Hoa\u0300\n".encode()


def test_output_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    r = run("--no-restore", "-o", str(out), stdin="Hoa\u0300\n".encode())
    assert (r.returncode, r.stderr, r.stdout) == (0, b"", b"")
    assert out.read_bytes() == "Hoà\n".encode()
    # A failed run leaves the old output and no temporary file behind.
    r = run("--no-restore", "-o", str(out), stdin=b"ok\n\xff\n")
    assert r.returncode == 1
    assert out.read_bytes() == "Hoà\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# ------------------------------------------------------------------------------ explain


def test_explain_edits_reproduce_the_output(tmp_path: Path) -> None:
    text = ("Hoa\u0300 bi\u0300nh, thuỷ điện līnh vực\n"
            "\ufeffkhông có gì\r\n"
            "VIĘT NAM nướс\n"
            "dòng cuối hoà")
    path = tmp_path / "in.txt"
    path.write_bytes(text.encode())
    options = ["--no-restore", "--tone-style", "new"]
    plain = run(*options, str(path))
    explained = run(*options, "--explain", str(path))
    assert plain.returncode == explained.returncode == 0
    output = plain.stdout.decode("utf-8")
    records = [json.loads(line) for line in explained.stdout.decode("utf-8").splitlines()]
    assert records and all(set(r) == {"file", "line", "offset", "before", "after", "kind", "confidence"}
                           for r in records)
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    edits = [Edit(line_starts[r["line"] - 1] + r["offset"], r["before"], r["after"], r["kind"], r["confidence"])
             for r in records]
    assert apply_edits(text, edits) == output
    assert {r["kind"] for r in records} >= {"nfc", "tone-style", "look-alike", "invisible"}


def test_explain_on_a_line_longer_than_a_window() -> None:
    unit = "Vie\u0302\u0323t Nam hoà bình "
    text = unit * (WINDOW_BYTES * 5 // 4 // len(unit)) + "\nkết thúc hoà\n"
    plain = run("--no-restore", "--tone-style", "new", stdin=text.encode())
    explained = run("--no-restore", "--tone-style", "new", "--explain", stdin=text.encode())
    output = plain.stdout.decode("utf-8")
    # Cut into pieces at whitespace, the line is normalized as a whole would be.
    assert output == unicodedata.normalize("NFC", text).replace("hoà", "hòa")
    line_starts = [0, len(text.split("\n")[0]) + 1]
    edits = [Edit(line_starts[r["line"] - 1] + r["offset"], r["before"], r["after"], r["kind"])
             for r in map(json.loads, explained.stdout.decode("utf-8").splitlines())]
    assert apply_edits(text, edits) == output


# -------------------------------------------------------------------------------- JSONL


def test_jsonl_repairs_named_fields_and_keeps_everything_else(tmp_path: Path) -> None:
    records = [
        '{"id": 1, "title": "Hoa\\u0300 bi\\u0300nh", "body": "Vie\u0302\u0323t Nam", "tags": ["Hoa\\u0300"], "x": 1.5}',
        '{"id":2,"body":"thuỷ điện","meta":{"src":"báo"}}',
        '{"id": 3, "body": "đã sạch"}',
        '[1, 2]',
        '',
        '{"id": 4, "body": null}',
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(("\n".join(records) + "\n").encode())
    r = run("--no-restore", "--tone-style", "new", "--jsonl", "--field", "body", "--field", "title", str(path))
    assert (r.returncode, r.stderr) == (0, b"")
    out = r.stdout.decode("utf-8").split("\n")
    assert out[-1] == "" and len(out) == len(records) + 1
    first = json.loads(out[0])
    assert list(first) == ["id", "title", "body", "tags", "x"]  # key order kept
    assert first == {"id": 1, "title": "Hòa bình", "body": "Việt Nam", "tags": ["Hoa\u0300"], "x": 1.5}
    assert "Hòa bình" in out[0]  # non-ASCII written as is, not escaped
    assert out[1] == '{"id":2,"body":"thủy điện","meta":{"src":"báo"}}'  # compact stays compact
    assert out[2:6] == records[2:6]  # nothing to repair: the line comes back byte for byte


def test_jsonl_invalid_record_is_reported_or_passed(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes('{"t": "Hoa\u0300"}\n{"t": oops}\n{"t": "x"}\n'.encode())
    r = run("--no-restore", "--jsonl", "--field", "t", str(path))
    assert r.returncode == 1
    assert r.stderr.decode().count("\n") == 1 and "in.jsonl:2: not valid JSON" in r.stderr.decode()
    r = run("--no-restore", "--jsonl", "--field", "t", "--jsonl-invalid", "pass", str(path))
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == '{"t": "Hoà"}\n{"t": oops}\n{"t": "x"}\n'


def test_jsonl_needs_a_field() -> None:
    r = run("--jsonl", stdin=b"{}\n")
    assert r.returncode == 2 and b"--field" in r.stderr


# ------------------------------------------------------------------- streams and signals


def _big_file(path: Path, megabytes: float) -> None:
    line = ("Hà Nội xây dựng đất nước, thuỷ điện và các địa phương khác trong cả nước. " * 2 + "\n").encode()
    with path.open("wb") as f:
        for _ in range(int(megabytes * 1e6 / len(line))):
            f.write(line)


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    _big_file(path, 8)
    proc = subprocess.Popen([sys.executable, "-m", "vn_repair", "--no-restore", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    code = proc.wait(timeout=TIMEOUT)
    assert first.startswith("Hà Nội".encode())
    assert err == b""
    assert code in (0, 141)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc for the peak RSS")
def test_memory_stays_flat_on_a_large_input(tmp_path: Path) -> None:
    # The peak resident size (VmHWM: ru_maxrss would carry over the parent's across exec) after
    # repairing a small and a large file: the same, give or take, however large the input.
    code = (
        "import sys\n"
        "sys.argv = ['vn-repair', '--no-restore', '-o', sys.argv[2], sys.argv[1]]\n"
        "from vn_repair.cli import main\n"
        "rc = main()\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]) // 1024)\n"
        "sys.exit(rc)\n"
    )
    peaks = []
    for megabytes in (1, 40):
        path = tmp_path / f"big{megabytes}.txt"
        _big_file(path, megabytes)
        r = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "out.txt")], capture_output=True,
                           timeout=TIMEOUT, check=False)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "out.txt").stat().st_size == path.stat().st_size
        peaks.append(int(r.stdout))
    # Reading 40 MB at once would add well over 80 MB (bytes plus str).
    assert peaks[1] < peaks[0] + 20, peaks


def test_keyboard_interrupt_exits_130_quietly() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python then leaves it ignored: the
    # child restores Python's own handler first, whatever this test run inherited.
    code = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "sys.argv = ['vn-repair', '--no-restore']; runpy.run_module('vn_repair', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(b"xin ch\xc3\xa0o\n")
    proc.stdin.flush()
    time.sleep(2)  # let it start and block reading
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130
    assert err == b""


def test_jobs_give_the_same_output_as_one_process(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    lines = [f"dòng {i}: Hoa\u0300 bình, thuỷ điện līnh vực\n" for i in range(1000)]
    path.write_bytes("".join(lines).encode())
    one = run("--no-restore", "--tone-style", "new", str(path))
    two = run("--no-restore", "--tone-style", "new", "--jobs", "2", str(path))
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    assert one.stdout.decode("utf-8").splitlines()[3] == "dòng 3: Hòa bình, thủy điện lĩnh vực"


# ------------------------------------------------------------------------------ encodings


def test_input_encoding_auto_detects_a_legacy_encoding(tmp_path: Path) -> None:
    encodings = pytest.importorskip("vn_repair.encodings")
    text = "Việt Nam và thế giới, xây dựng đất nước\nnhững người dân của thành phố\n"
    path = tmp_path / "tcvn.txt"
    path.write_bytes(encodings.encode_legacy(text, "tcvn3"))
    r = run("--no-restore", "--input-encoding", "auto", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode("utf-8") == text
    assert "tcvn3" in r.stderr.decode() and "tcvn.txt" in r.stderr.decode()
    r = run("--no-restore", "--input-encoding", "vni", stdin=encodings.encode_legacy(text, "vni"))
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == text
    r = run("--input-encoding", "ebcdic", "-c", "x")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
