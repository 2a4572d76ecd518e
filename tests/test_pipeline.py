"""The pipeline building block (one repairer per process and config, Series repair) and the
many-core line repairer (vn_repair.parallel)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading

import pytest

import vn_repair
from vn_repair import Config
from vn_repair import pipeline as pl
from vn_repair.parallel import READ_AHEAD, _start_pool, default_jobs, repair_chunk, repair_lines_parallel

# Decomposed (NFD) text: every engine, the NFC-only one of today included, must compose it.
NFD = "Hoa\u0300 bi\u0300nh"
NFC = "Hoà bình"


# --------------------------------------------------------------------------------------------
# get_repairer


def test_get_repairer_is_cached_per_config() -> None:
    a = pl.get_repairer()
    assert pl.get_repairer() is a
    assert pl.get_repairer(Config()) is a
    b = pl.get_repairer(tone_style="new")
    assert b is not a
    assert b.config == Config(tone_style="new")
    assert pl.get_repairer(Config(tone_style="new")) is b
    assert pl.get_repairer(Config(), tone_style="new") is b


def test_repairer_agrees_with_repair() -> None:
    cfg = Config(threshold=0.95)
    fix = pl.get_repairer(cfg)
    assert fix(NFD) == vn_repair.repair(NFD, cfg) == NFC
    explained = fix.explain(NFD)
    assert explained == vn_repair.repair_and_explain(NFD, cfg)
    assert vn_repair.apply_edits(NFD, explained.edits) == explained.text


def test_repairer_pickles_as_its_config() -> None:
    fix = pl.get_repairer(tone_style="old")
    clone = pickle.loads(pickle.dumps(fix))
    assert clone == fix and clone.config == Config(tone_style="old")


def test_load_count_counts_models_not_calls_or_configs() -> None:
    fix = pl.get_repairer(Config(threshold=0.8125))
    loads = pl.load_count()
    assert loads >= 1
    for _ in range(50):
        fix(NFD)
        pl.get_repairer(Config(threshold=0.8125))
    # Another config with the same model: a new repairer, no new load.
    assert pl.get_repairer(Config(threshold=0.8127, tone_style="new")) is not fix
    assert pl.load_count() == loads


def test_model_is_loaded_when_the_repairer_is_built(tmp_path) -> None:
    missing = str(tmp_path / "no-such-model.bin")
    # restore=False needs no model: nothing is loaded, so a bad path goes unnoticed.
    assert pl.get_repairer(restore=False, model=missing)(NFD) == NFC
    # Otherwise the model loads at once (in a worker's initializer, a spider's start), and a bad
    # path fails there rather than at the first record.
    with pytest.raises((FileNotFoundError, OSError, ValueError), match="no-such-model"):
        pl.get_repairer(model=missing)


def test_get_repairer_builds_once_under_threads() -> None:
    cfg = Config(threshold=0.8126)
    before = pl.load_count()
    got: list[pl.Repairer] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        got.append(pl.get_repairer(cfg))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)
    assert pl.load_count() - before <= 1


def test_bad_config_and_options_are_loud() -> None:
    with pytest.raises(TypeError, match="vn_repair.Config"):
        pl.get_repairer({"tone_style": "new"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown option"):
        pl.get_repairer(tone_sytle="new")
    with pytest.raises(ValueError, match="tone_style"):
        pl.get_repairer(tone_style="newest")


def test_frameworks_are_imported_only_by_their_own_modules() -> None:
    code = ("import sys, vn_repair, vn_repair.pipeline, vn_repair.parallel, vn_repair.integrations; "
            "print(sorted(m for m in ('pandas', 'scrapy', 'datatrove', 'pyspark', 'pyarrow') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# repair_series


def test_repair_series_keeps_index_name_dtype_and_missing() -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install vn-repair[pandas])")
    import numpy as np

    s = pd.Series([NFD, None, np.nan, "plain"], index=[10, 20, 30, 40], name="body", dtype=object)
    out = pl.repair_series(s)
    assert out.index.tolist() == [10, 20, 30, 40]
    assert out.name == "body" and out.dtype == object
    assert out[10] == NFC and out[40] == vn_repair.repair("plain")
    assert out[20] is None and isinstance(out[30], float) and np.isnan(out[30])
    assert s[10] == NFD, "the input Series must not be changed"


@pytest.mark.parametrize("dtype", ["string", "string[python]", "str"])
def test_repair_series_string_dtypes(dtype: str) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install vn-repair[pandas])")
    try:
        s = pd.Series([NFD, None], dtype=dtype)
    except TypeError:
        pytest.skip(f"this pandas has no {dtype!r} dtype")
    out = pl.repair_series(s, tone_style="keep")
    assert out.dtype == s.dtype
    assert out.iloc[0] == NFC
    assert out.isna().tolist() == [False, True]


def test_repair_series_rejects_non_text() -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install vn-repair[pandas])")
    with pytest.raises(TypeError, match="dtype int64"):
        pl.repair_series(pd.Series([1, 2]))
    with pytest.raises(TypeError, match="index 'b' is int"):
        pl.repair_series(pd.Series(["a", 3], index=["a", "b"], dtype=object))
    with pytest.raises(TypeError, match="pandas Series"):
        pl.repair_series([NFD])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# parallel


def _lines(n: int) -> list[str]:
    endings = ["\n", "\r\n", "\n", ""]
    return [f"{NFD} {i}{endings[i % 4]}" for i in range(n)]


def test_repair_chunk_keeps_lines_and_endings() -> None:
    lines = [NFD + "\n", "a\r\n", "two\nlines", "", "\n", "last"]
    out = repair_chunk(lines)
    assert len(out) == len(lines)
    assert out == [NFC + "\n", "a\r\n", "two\nlines", "", "\n", "last"]
    assert repair_chunk([]) == []


def test_parallel_same_output_for_every_jobs() -> None:
    lines = _lines(2003)
    one = list(repair_lines_parallel(lines, Config(), jobs=1, chunk_lines=97))
    two = list(repair_lines_parallel(iter(lines), Config(), jobs=2, chunk_lines=97))
    assert one == two
    assert len(one) == len(lines)
    assert one[:4] == [NFC + " 0\n", NFC + " 1\r\n", NFC + " 2\n", NFC + " 3"]


def test_parallel_reads_a_bounded_number_of_chunks_ahead() -> None:
    consumed = 0

    def source():
        nonlocal consumed
        for line in _lines(3000):
            consumed += 1
            yield line

    jobs, chunk = 2, 50
    produced = 0
    for _ in repair_lines_parallel(source(), None, jobs=jobs, chunk_lines=chunk):
        assert consumed - produced <= (READ_AHEAD * jobs + 1) * chunk
        produced += 1
    assert produced == consumed == 3000


def test_parallel_stops_early_and_raises_worker_errors() -> None:
    gen = repair_lines_parallel(_lines(10_000), None, jobs=2, chunk_lines=100)
    assert next(gen) == NFC + " 0\n"
    gen.close()  # must shut the pool down, not hang
    with pytest.raises(TypeError, match="bytes, not str"):
        list(repair_lines_parallel(["ok\n"] * 10 + [b"raw\n"], None, jobs=2, chunk_lines=3))


def test_parallel_argument_errors() -> None:
    with pytest.raises(ValueError, match="jobs"):
        repair_lines_parallel([], None, jobs=0)
    with pytest.raises(ValueError, match="chunk_lines"):
        repair_lines_parallel([], None, jobs=1, chunk_lines=0)
    with pytest.raises(TypeError, match="splitlines"):
        repair_lines_parallel("a whole text", None, jobs=1)
    assert default_jobs() >= 1


def _probe(_: object = None) -> tuple[int, int]:
    return os.getpid(), pl.load_count()


def _threads(_: object = None) -> str | None:
    return os.environ.get("VN_REPAIR_THREADS")


def test_parallel_workers_load_the_model_once() -> None:
    cfg = Config(threshold=0.85)
    pool = _start_pool(cfg, 2)
    try:
        list(pool.map(repair_chunk, [_lines(20)] * 40, [cfg] * 40))
        pairs = set(pool.map(_probe, range(40), chunksize=1))
        threads = set(pool.map(_threads, range(4), chunksize=1))
    finally:
        pool.shutdown()
    # The workers share the cores: one decoder thread each, unless the caller chose.
    assert threads == {os.environ.get("VN_REPAIR_THREADS", "1")}
    pids = {pid for pid, _ in pairs}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    # The initializer built the repairer; 40 chunks later no worker has loaded a second time.
    assert all(count == 1 for _, count in pairs), pairs
