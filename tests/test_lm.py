"""The n-gram language model: training, file format, queries, and the embedded default model."""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from vn_repair import lm, train
from vn_repair.lm import ModelFormatError, NgramModel
from vn_repair.tokenize import lm_sentences

FIXTURE = Path(__file__).parent / "fixtures" / "lm_tiny.txt"
SHARED = Path(os.environ.get("VN_REPAIR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DEFAULT_MODEL = Path(lm.__file__).parent / "data" / lm.DEFAULT_MODEL_NAME


def _train(tmp_path: Path, name: str = "m.bin", **kw: object) -> tuple[NgramModel, Path]:
    out = tmp_path / name
    opts: dict[str, object] = {
        "order": 3, "min_unigram_count": 1, "min_other_count": 1, "quant_bits": 0, "progress": False,
    }
    opts.update(kw)
    if "min_counts" not in opts:
        opts["min_counts"] = (1,) * int(opts["order"])  # type: ignore[call-overload]
    train.train_model([FIXTURE], out, **opts)  # type: ignore[arg-type]
    return NgramModel.load(out), out


def _contexts(model: NgramModel) -> list[list[int]]:
    """Contexts to test: sentence start, seen histories, and random (mostly unseen) ones."""
    width = model.order - 1
    seen = [model.ids(s) for s in lm_sentences(FIXTURE.read_text(encoding="utf-8"))[:6]]
    ctxs = [[model.bos_id] * width]
    for s in seen:
        if len(s) >= width:
            ctxs.append(list(s[:width]))
    rng = np.random.default_rng(1)
    ctxs += [list(rng.integers(0, len(model.vocab), width)) for _ in range(8)]
    ctxs.append([model.eos_id] * width)
    return ctxs


# ------------------------------------------------------------------------- units


TRICKY = (
    "Ông Nguyễn Văn A nói: \"Tôi đồng ý.\" Rồi ông đi.\n"
    "Giá tăng 1,5% (so với 2019)... Tại sao?! Vì TP.HCM, V.I.Lenin và iPhone 12 — xem www.x.vn.\n"
    "  , ; - ( ) \n\n"
    "hoà bình, thuỷ lợi, HOÀ BÌNH; e-mail: ai@vi.du.vn … kết thúc\r\n"
    "Vi?t Nam và Vi\N{REPLACEMENT CHARACTER}t Nam\u2028dòng mới\n"
)


def _decode(coder: train._UnitCoder, ids: np.ndarray) -> list[list[str]]:
    sents: list[list[str]] = []
    for i in ids.tolist():
        if i == 1:
            sents.append([])
        elif i != 2:
            sents[-1].append(coder.units[i])
    return sents


@pytest.mark.parametrize("text", [FIXTURE.read_text(encoding="utf-8"), TRICKY, "", "...", "a", "\n\n"])
def test_training_units_equal_lm_sentences(text: str) -> None:
    # The trainer's cached tokenizer must give exactly the decoder's units.
    coder = train._UnitCoder()
    assert _decode(coder, coder.encode(text)) == lm_sentences(text)
    assert _decode(coder, coder.encode(text)) == lm_sentences(text)  # warm cache too


# ------------------------------------------------------------------------- normalization


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distributions_sum_to_one(tmp_path: Path, order: int) -> None:
    model, _ = _train(tmp_path, order=order)
    V = len(model.vocab)
    words = np.arange(V, dtype=np.int32)
    for ctx in _contexts(model):
        c = np.tile(np.asarray(ctx, dtype=np.int32), (V, 1)).reshape(V, order - 1)
        total = float(np.sum(10.0 ** model.log10_prob_batch(c, words).astype(np.float64)))
        assert abs(total - 1.0) < 1e-6, (ctx, total)


def test_pruned_and_quantized_model_stays_normalized(tmp_path: Path) -> None:
    # Backoff weights are recomputed from the stored (8-bit) values, so pruning and quantizing
    # keep every distribution proper up to the quantization of the backoff weights.
    model, _ = _train(tmp_path, order=3, min_counts=(1, 2, 2), quant_bits=8)
    assert model.quantized and model.counts[1] < 200
    V = len(model.vocab)
    words = np.arange(V, dtype=np.int32)
    for ctx in _contexts(model):
        c = np.tile(np.asarray(ctx, dtype=np.int32), (V, 1))
        total = float(np.sum(10.0 ** model.log10_prob_batch(c, words).astype(np.float64)))
        assert abs(total - 1.0) < 1e-3, (ctx, total)


def test_entropy_pruning_fits_the_budget_and_stays_normalized(tmp_path: Path) -> None:
    full, full_path = _train(tmp_path, "full.bin", order=3, quant_bits=8)
    small, small_path = _train(tmp_path, "small.bin", order=3, quant_bits=8, size_budget_mb=0.0065)
    assert small_path.stat().st_size < full_path.stat().st_size
    assert small.counts[1] < full.counts[1] and small.counts[2] < full.counts[2]
    assert small.header["size_budget_mb"] == 0.0065
    V = len(small.vocab)
    words = np.arange(V, dtype=np.int32)
    for ctx in _contexts(small):
        c = np.tile(np.asarray(ctx, dtype=np.int32), (V, 1))
        total = float(np.sum(10.0 ** small.log10_prob_batch(c, words).astype(np.float64)))
        assert abs(total - 1.0) < 1e-3, (ctx, total)


def _reference_kn(sentences: list[list[str]], order: int) -> dict[tuple[str, ...], float]:
    """Interpolated modified Kneser-Ney written the obvious way, with dictionaries: P(w | h)
    for every n-gram h w seen in ``sentences`` (unpruned), same conventions as the trainer."""
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for s in sentences:
        seq = ["<s>", *s, "</s>"]
        for n in range(1, order + 1):
            for i in range(len(seq) - n + 1):
                counts[n][tuple(seq[i : i + n])] += 1
    vocab = {g[0] for g in counts[1]} | set(train.SPECIALS)
    adj: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    for n in range(1, order + 1):
        if n == order:
            adj[n] = {g: float(c) for g, c in counts[n].items()}
            continue
        left: Counter[tuple[str, ...]] = Counter(g[1:] for g in counts[n + 1])
        adj[n] = {g: float(c if g[0] == "<s>" else left[g]) for g, c in counts[n].items()}
    adj[1].pop(("<s>",), None)

    def discounts(values: list[float]) -> tuple[float, float, float]:
        t = [sum(1 for v in values if v == i) for i in range(1, 5)]
        y = t[0] / (t[0] + 2 * t[1])
        out = []
        for k, fb in zip(range(1, 4), (0.5, 1.0, 1.5)):
            d = k - (k + 1) * y * t[k] / t[k - 1] if t[k - 1] else fb
            out.append(d if 0 < d < k else fb)
        return out[0], out[1], out[2]

    prob: dict[tuple[str, ...], float] = {}
    D = discounts(list(adj[1].values()))
    d = lambda a, D: 0.0 if a == 0 else D[min(int(a), 3) - 1]
    total = sum(adj[1].values())
    gamma0 = sum(d(a, D) for a in adj[1].values()) / total
    for w in vocab - {"<s>"}:
        a = adj[1].get((w,), 0.0)
        prob[(w,)] = (a - d(a, D)) / total + gamma0 / (len(vocab) - 1)
    for n in range(2, order + 1):
        D = discounts(list(adj[n].values()))
        by_ctx: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for g in adj[n]:
            by_ctx[g[:-1]].append(g)
        for grams in by_ctx.values():
            S = sum(adj[n][g] for g in grams)
            gamma = sum(d(adj[n][g], D) for g in grams) / S
            for g in grams:
                prob[g] = (adj[n][g] - d(adj[n][g], D)) / S + gamma * prob[g[1:]]
    return prob


@pytest.mark.parametrize("order", [2, 3])
def test_matches_reference_kneser_ney(tmp_path: Path, order: int) -> None:
    model, _ = _train(tmp_path, order=order)
    sentences = lm_sentences(FIXTURE.read_text(encoding="utf-8"))
    ref = _reference_kn(sentences, order)
    grams = sorted(g for g in ref if len(g) == order)
    ctx = np.array([[model.word_id(x) for x in g[:-1]] for g in grams], dtype=np.int32)
    words = model.ids([g[-1] for g in grams])
    got = model.log10_prob_batch(ctx, words)
    want = np.log10([ref[g] for g in grams])
    np.testing.assert_allclose(got, want, atol=1e-5)


# ------------------------------------------------------------------------- file format


def test_vocabulary_keeps_syllables_and_frequent_other_words(tmp_path: Path) -> None:
    # Every syllable seen often enough is a candidate for the decoder; other words ("john")
    # only when frequent enough, else they are <unk>.
    model, _ = _train(tmp_path, min_unigram_count=2, min_other_count=2)
    assert model.word_id("chúng") != model.unk_id
    assert model.word_id("john") == model.unk_id  # seen once
    assert model.word_id("hoàn") == model.unk_id  # a syllable seen once
    assert model.vocab[:5] == list(train.SPECIALS)
    model, _ = _train(tmp_path, min_unigram_count=1, min_other_count=1)
    assert model.word_id("john") != model.unk_id and model.word_id("hoàn") != model.unk_id
    with pytest.raises(ValueError, match="max_vocab"):
        _train(tmp_path, max_vocab=50)


def test_save_load_round_trip_and_deterministic_training(tmp_path: Path) -> None:
    model, path = _train(tmp_path, order=3, quant_bits=8, min_counts=(1, 1, 2))
    data = path.read_bytes()
    assert model.to_bytes() == data
    model.save(tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == data
    again = NgramModel.load(tmp_path / "copy.bin")
    assert again.vocab == model.vocab and again.counts == model.counts
    for name, arr in model._arrays.items():
        np.testing.assert_array_equal(arr, again._arrays[name])
    _, path2 = _train(tmp_path, "again.bin", order=3, quant_bits=8, min_counts=(1, 1, 2))
    assert hashlib.sha256(path2.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_header_describes_the_model(tmp_path: Path) -> None:
    model, _ = _train(tmp_path, order=2)
    h = model.header
    assert h["format"] == lm.FORMAT_NAME and h["format_version"] == lm.FORMAT_VERSION
    assert h["data_version"] == train.DATA_VERSION and h["order"] == 2 and h["log_base"] == 10
    assert h["vocab_size"] == len(model.vocab) and h["counts"] == model.counts
    assert [s["name"] for s in h["sources"]] == ["fixtures/lm_tiny.txt"]
    assert h["sources"][0]["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()


def test_bad_model_files_are_named_in_errors(tmp_path: Path) -> None:
    _, path = _train(tmp_path, order=2)
    data = path.read_bytes()
    cases = {
        "magic.bin": b"NOTAMODEL" + data[9:],
        "short.bin": data[:10],
        "truncated.bin": data[: len(data) // 2],
        "version.bin": data.replace(b'"format_version":1', b'"format_version":9'),
    }
    for name, blob in cases.items():
        bad = tmp_path / name
        bad.write_bytes(blob)
        with pytest.raises(ModelFormatError, match=str(bad).replace(".", r"\.")):
            NgramModel.load(bad)
    with pytest.raises(OSError, match="missing.bin"):
        NgramModel.load(tmp_path / "missing.bin")


# ------------------------------------------------------------------------- queries


def _slow_log10_prob(model: NgramModel, ctx: list[int], w: int) -> float:
    """Backoff lookup walking the tables one n-gram at a time (the obvious way)."""
    a = model._arrays

    def value(name: str, row: int) -> float:
        v = a[name][row]
        return float(a[name + "_codebook"][v]) if model.quantized else float(v)

    def children(k: int) -> dict[int, tuple[int, int]]:
        """Rows of the order-k table, per parent row in the order k-1 table."""
        parents = [i for i, bit in enumerate(np.unpackbits(a[f"parent_{k - 1}"])[: model.counts[k - 2]]) if bit]
        starts = [i for i, bit in enumerate(np.unpackbits(a[f"first_{k}"])[: model.counts[k - 1]]) if bit]
        ends = starts[1:] + [model.counts[k - 1]]
        assert len(parents) == len(starts)
        return dict(zip(parents, zip(starts, ends)))

    tables = {k: children(k) for k in range(2, model.order + 1)}

    def row_of(gram: list[int]) -> int | None:
        row = gram[0]
        for k in range(2, len(gram) + 1):
            lo, hi = tables[k].get(row, (0, 0))
            words = a[f"words_{k}"][lo:hi].tolist()
            if gram[k - 1] not in words:
                return None
            row = lo + words.index(gram[k - 1])
        return row

    for k in range(len(ctx) + 1, 0, -1):
        hist = ctx[len(ctx) - (k - 1) :] if k > 1 else []
        row = row_of(hist + [w])
        if row is not None:
            lp = float(a["uni_logp"][w]) if k == 1 else value(f"logp_{k}", row)
            for j in range(k, len(ctx) + 1):  # backoff weights of the longer histories
                h = ctx[len(ctx) - j :]
                hr = row_of(h)
                if hr is not None:
                    lp += float(a["uni_bow"][hr]) if j == 1 else value(f"bow_{j}", hr)
            return lp
    raise AssertionError("unigram always found")


@pytest.mark.parametrize("order,quant", [(2, 0), (3, 8), (4, 0)])
def test_batch_agrees_with_slow_lookup(tmp_path: Path, order: int, quant: int) -> None:
    model, _ = _train(tmp_path, order=order, quant_bits=quant, min_counts=(1,) + (1,) * (order - 1))
    rng = np.random.default_rng(7)
    sents = [model.ids(s) for s in lm_sentences(FIXTURE.read_text(encoding="utf-8"))]
    ctxs, words = [], []
    for s in sents:  # seen n-grams
        padded = [model.bos_id] * (order - 1) + list(s)
        for i in range(len(s)):
            ctxs.append(padded[i : i + order - 1])
            words.append(s[i])
    for _ in range(300):  # random, mostly unseen
        ctxs.append(list(rng.integers(0, len(model.vocab), order - 1)))
        words.append(int(rng.integers(0, len(model.vocab))))
    got = model.log10_prob_batch(np.array(ctxs, dtype=np.int32).reshape(-1, order - 1), np.array(words, np.int32))
    want = [_slow_log10_prob(model, list(map(int, c)), w) for c, w in zip(ctxs, words)]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_lower_order_query_is_the_backoff_distribution(tmp_path: Path) -> None:
    # ``</s>`` is never a stored context, so an order-3 query whose oldest word is ``</s>``
    # backs off to the bigram without penalty: exactly the order-2 query.
    model, _ = _train(tmp_path, order=3, min_counts=(1, 1, 1))
    rng = np.random.default_rng(3)
    sents = [model.ids(s) for s in lm_sentences(FIXTURE.read_text(encoding="utf-8"))]
    prev = np.array([s[i] for s in sents for i in range(len(s) - 1)] + list(rng.integers(0, 50, 50)), np.int32)
    words = np.array([s[i + 1] for s in sents for i in range(len(s) - 1)] + list(rng.integers(0, 50, 50)), np.int32)
    padded = np.stack([np.full(len(prev), model.eos_id, np.int32), prev], axis=1)
    np.testing.assert_array_equal(model.log10_prob_batch(prev[:, None], words, order=2),
                                  model.log10_prob_batch(padded, words))
    np.testing.assert_array_equal(model.log10_prob_batch(np.zeros((len(words), 0), np.int32), words, order=1),
                                  model.unigram_log10[words].astype(np.float32))
    with pytest.raises(ValueError, match="order must be"):
        model.log10_prob_batch(padded, words, order=4)
    with pytest.raises(ValueError, match="shape"):
        model.log10_prob_batch(padded, words, order=2)


def _queries(model: NgramModel, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram of the fixture, then random (mostly unseen) contexts and words."""
    order = model.order
    rng = np.random.default_rng(seed)
    ctxs, words = [], []
    for s in (model.ids(s) for s in lm_sentences(FIXTURE.read_text(encoding="utf-8"))):
        padded = [model.bos_id] * (order - 1) + list(s) + [model.eos_id]
        for i in range(len(s) + 1):
            ctxs.append(padded[i : i + order - 1])
            words.append(padded[i + order - 1])
    for _ in range(2000):
        ctxs.append(list(rng.integers(0, len(model.vocab), order - 1)))
        words.append(int(rng.integers(0, len(model.vocab))))
    return np.array(ctxs, dtype=np.int32).reshape(-1, order - 1), np.array(words, dtype=np.int32)


@pytest.mark.parametrize("pure", ["1", "0"])
@pytest.mark.parametrize("order,quant", [(2, 0), (3, 8), (4, 0)])
def test_small_batches_need_no_search_keys(tmp_path: Path, order: int, quant: int, pure: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # A small batch is answered from the bit vectors (rank, select, a binary search in the
    # parent's group) without building the keys; big batches use the keys.  Both must agree.
    # The same with and without the compiled module (whose tables replace the keys).
    monkeypatch.setenv("VN_REPAIR_PURE_PYTHON", pure)
    _, path = _train(tmp_path, order=order, quant_bits=quant, min_counts=(1,) + (1,) * (order - 1))
    lazy, keyed = NgramModel.load(path), NgramModel.load(path).prepare()
    ctx, w = _queries(lazy, seed=11)
    assert len(w) < lm._SMALL_BUDGET
    for start in range(0, len(w), 1000):
        part = slice(start, start + 1000)
        np.testing.assert_array_equal(lazy.log10_prob_batch(ctx[part], w[part]),
                                      keyed.log10_prob_batch(ctx[part], w[part]))
    assert not lazy._keys


@pytest.mark.usefixtures("compiled_module")
@pytest.mark.parametrize("order,quant", [(2, 0), (3, 8), (4, 0), (4, 8)])
def test_compiled_queries_equal_numpy_bit_for_bit(tmp_path: Path, order: int, quant: int) -> None:
    # The C module adds the same float32 values in the same order as the numpy code: equal,
    # not close, at every order a query may stop at, on an empty top level too.
    for min_top in (1, 1000):
        model, _ = _train(tmp_path, order=order, quant_bits=quant, min_counts=(1,) * (order - 1) + (min_top,))
        assert model.prepare().compiled
        ctx, w = _queries(model, seed=order + quant)
        for top in range(1, order + 1):
            c = np.ascontiguousarray(ctx[:, order - top :])
            np.testing.assert_array_equal(model.log10_prob_batch(c, w, order=top),
                                          model._log10_prob_numpy(c, w, top))


@pytest.mark.usefixtures("compiled_module")
def test_compiled_queries_on_the_default_model() -> None:
    model = lm.load_default_model()
    rng = np.random.default_rng(5)
    sents = [model.ids(s) for s in lm_sentences(FIXTURE.read_text(encoding="utf-8"))]
    ids = np.concatenate(sents)
    # Windows of real text (mostly stored n-grams), and random ids.
    starts = rng.integers(0, len(ids) - 4, 3000)
    win = np.stack([ids[starts + j] for j in range(4)], axis=1).astype(np.int32)
    win = np.concatenate([win, rng.integers(0, len(model.vocab), (3000, 4)).astype(np.int32)])
    assert model.compiled
    np.testing.assert_array_equal(model.log10_prob_batch(win[:, :3], win[:, 3]),
                                  model._log10_prob_numpy(win[:, :3], win[:, 3], 4))


@pytest.mark.usefixtures("compiled_module")
def test_compiled_tables_check_the_file(tmp_path: Path) -> None:
    _, path = _train(tmp_path, order=3, quant_bits=8)
    model = NgramModel.load(path)
    arrays = dict(model._arrays)
    # A group without a parent: the bit vectors disagree.
    bits = np.unpackbits(arrays["first_3"], count=model.counts[2])
    bits[np.flatnonzero(bits == 0)[-1]] = 1
    broken = NgramModel(model.header, dict(arrays, first_3=np.packbits(bits)), str(path))
    with pytest.raises(ModelFormatError, match="do not match"):
        broken.prepare()
    # A code outside its codebook.
    book = arrays["logp_2_codebook"][:3]
    short = NgramModel(model.header, dict(arrays, logp_2_codebook=book), str(path))
    assert short.prepare().compiled
    ctx, w = _queries(short, seed=1)
    with pytest.raises(ModelFormatError, match="codebook"):
        short.log10_prob_batch(ctx, w)


def test_tables_of_the_wrong_size_or_shape_are_refused(tmp_path: Path) -> None:
    # Checked at load, so that neither numpy nor the compiled module reads past an array.
    model, path = _train(tmp_path, order=3, quant_bits=8)
    arrays = dict(model._arrays)
    with pytest.raises(ModelFormatError, match="uni_bow has 10 entries"):
        NgramModel(model.header, dict(arrays, uni_bow=arrays["uni_bow"][:10]), str(path))
    with pytest.raises(ModelFormatError, match="2 dimensions"):
        NgramModel(model.header, dict(arrays, logp_3=arrays["logp_3"][:, None]), str(path))


@pytest.mark.usefixtures("compiled_module")
def test_the_compiled_module_checks_what_it_reads(tmp_path: Path) -> None:
    # Called directly, past lm.py's checks: errors, not reads out of bounds.
    model, _ = _train(tmp_path, order=3, quant_bits=8)
    uni, ubow, levels = model.compiled_tables()
    ctx = np.array([[model.bos_id, model.bos_id]], dtype=np.int32)
    out = np.empty(1, dtype=np.float32)
    for bad in (-1, len(model.vocab)):
        with pytest.raises(ValueError, match="outside the vocabulary"):
            lm._speedups.query(ctx, np.array([bad], dtype=np.int32), 2, uni, ubow, levels, out)
    short = ((levels[0][0][:-5], *levels[0][1:]), levels[1])
    with pytest.raises(lm._speedups.ModelDataError, match="order-2 tables do not fit"):
        lm._speedups.query(ctx, np.array([1], dtype=np.int32), 2, uni, ubow, short, out)
    no_logp = (levels[0], (*levels[1][:2], None, None, *levels[1][4:]))
    with pytest.raises(lm._speedups.ModelDataError, match="order-3 tables do not fit"):
        lm._speedups.query(ctx, np.array([1], dtype=np.int32), 2, uni, ubow, no_logp, out)
    with pytest.raises(ValueError, match="shapes do not match"):
        lm._speedups.fb_chain(np.empty(0), np.empty(0), 2**61, 1, 1, np.empty(0))
    with pytest.raises(ValueError, match="needs a model with context"):
        lm._speedups.singles(np.zeros(1, np.int32), np.zeros(1), np.ones(1, np.int32), np.zeros(0, np.int32), 2.3,
                             uni, ubow, (), np.zeros(1, np.int32), np.zeros(1))
    with pytest.raises(ValueError, match="trigram or 4-gram"):  # before any buffer is taken
        lm._speedups.clusters(np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0),
                              np.zeros(len(uni)), 4, 0.001, 0, 0, 2.3, (uni, ubow, levels), (uni, ubow, levels[:1]),
                              np.zeros(0, np.int32), np.zeros(0), 1)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        lm._speedups.clusters(np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0),
                              np.zeros(len(uni)), 4, 0.001, 0, 0, 2.3, (uni, ubow, levels), (uni, ubow, levels),
                              np.zeros(0, np.int32), np.zeros(0), 0)


def test_decoder_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from vn_repair.config import MAX_DECODER_THREADS, decoder_threads

    for unset in (None, "", " "):
        if unset is None:
            monkeypatch.delenv("VN_REPAIR_THREADS", raising=False)
        else:
            monkeypatch.setenv("VN_REPAIR_THREADS", unset)
        assert 1 <= decoder_threads() <= MAX_DECODER_THREADS
    monkeypatch.setenv("VN_REPAIR_THREADS", "7")
    assert decoder_threads() == 7
    monkeypatch.setenv("VN_REPAIR_THREADS", "99999999999999999999999")
    assert decoder_threads() == 16  # the module's most
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv("VN_REPAIR_THREADS", bad)
        with pytest.raises(ValueError, match="VN_REPAIR_THREADS must be a whole number"):
            decoder_threads()


def test_pure_python_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # VN_REPAIR_PURE_PYTHON=1 sends every query to numpy, with the same answers.
    model, path = _train(tmp_path, order=3)
    monkeypatch.setenv("VN_REPAIR_PURE_PYTHON", "1")
    pure = NgramModel.load(path)
    assert not pure.compiled
    ctx, w = _queries(pure, seed=2)
    np.testing.assert_array_equal(pure.log10_prob_batch(ctx, w), model.log10_prob_batch(ctx, w))


def test_small_batches_on_an_empty_level(tmp_path: Path) -> None:
    # A top level pruned to nothing: small lookups find nothing there, as keyed ones do.
    _, path = _train(tmp_path, order=3, min_counts=(1, 1, 1000))
    lazy, keyed = NgramModel.load(path), NgramModel.load(path).prepare()
    assert lazy.counts[2] == 0
    ctx = np.array([[lazy.word_id("tôi"), lazy.word_id("là")]], dtype=np.int32)
    w = np.array([lazy.word_id("người")], dtype=np.int32)
    np.testing.assert_array_equal(lazy.log10_prob_batch(ctx, w), keyed.log10_prob_batch(ctx, w))


def test_prepare_builds_the_tables_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, path = _train(tmp_path, order=3)
    lazy = NgramModel.load(path)
    assert model.prepare() is model
    if model.compiled:
        assert not model._keys and model._compiled
        monkeypatch.setenv("VN_REPAIR_PURE_PYTHON", "1")
        pure = NgramModel.load(path)
        assert not pure.compiled and pure.prepare() is pure
        assert sorted(pure._keys) == [2, 3]
    else:
        assert sorted(model._keys) == [2, 3]
    ctx = np.array([[lazy.bos_id, lazy.word_id("chúng")]], dtype=np.int32)
    w = model.ids(["tôi"])
    assert lazy.log10_prob_batch(ctx, w)[0] == model.log10_prob_batch(ctx, w)[0]


def test_string_api(tmp_path: Path) -> None:
    model, _ = _train(tmp_path, order=3)
    assert model.word_id("hòa") == model.word_id("hoà") == model.word_id("Hoà") != model.unk_id
    assert model.word_id("Friedrich") == model.unk_id
    assert model.vocab[model.word_id("chúng")] == "chúng"
    assert model.ids(["chúng", "tôi"]).dtype == np.int32
    # A likely continuation beats an unlikely one, and the scores add up.
    assert model.log10_prob("tôi", ["chúng"]) > model.log10_prob("cá", ["chúng"])
    s = ["chúng", "tôi", "đi"]
    by_hand = (
        model.log10_prob("chúng", [])
        + model.log10_prob("tôi", ["chúng"])
        + model.log10_prob("đi", ["chúng", "tôi"])
        + model.log10_prob("</s>", ["tôi", "đi"])
    )
    assert model.score_sentence(s) == pytest.approx(by_hand, abs=1e-5)
    assert model.score_sentence(s) > model.score_sentence(["đi", "tôi", "chúng"])
    assert model.perplexity([s]) == pytest.approx(10 ** (-model.score_sentence(s) / 4), rel=1e-5)
    assert model.score_sentence(s, bos=False, eos=False) == pytest.approx(
        float(model.unigram_log10[model.word_id("chúng")])
        + model.log10_prob("tôi", ["</s>", "chúng"])
        + model.log10_prob("đi", ["chúng", "tôi"]),
        abs=1e-5,
    )
    assert model.unigram_log10[model.bos_id] == lm.LOG10_ZERO
    with pytest.raises(ValueError, match="shape"):
        model.log10_prob_batch(np.zeros((2, 1), np.int32), np.zeros(2, np.int32))
    with pytest.raises(ValueError, match="outside"):
        model.log10_prob_batch(np.zeros((1, 2), np.int32), np.array([len(model.vocab)], np.int32))


# ------------------------------------------------------------------------- training CLI


def test_cli_trains_and_refuses_dev_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    out = tmp_path / "cli.bin"
    args = parser.parse_args([str(FIXTURE), "-o", str(out), "--order", "2", "--min-counts", "1,1",
                              "--min-unigram-count", "1"])
    assert train.run_cli(args) == 0
    assert NgramModel.load(out).order == 2
    assert "wrote" in capsys.readouterr().err  # progress display on stderr
    dev = tmp_path / "dev.txt"
    dev.write_text("một hai ba\n", encoding="utf-8")
    assert train.run_cli(parser.parse_args([str(dev), "-o", str(tmp_path / "x.bin")])) == 1
    assert "dev.txt" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args([str(FIXTURE), "-o", "x", "--min-counts", "1,a"])


# ------------------------------------------------------------------------- default model


needs_default = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"{DEFAULT_MODEL} not built")


@needs_default
def test_default_model_loads_fast_and_is_sane() -> None:
    t = time.perf_counter()
    model = NgramModel.load(DEFAULT_MODEL)
    assert time.perf_counter() - t < 0.3
    assert lm.load_default_model() is lm.load_default_model()
    assert DEFAULT_MODEL.stat().st_size <= 30_000_000
    h = model.header
    names = {s["name"] for s in h["sources"]}
    assert names == {"vietnews/train.txt.gz", "baomoi/train.txt.gz", "viwiki/viwiki.txt.gz",
                     "vlc-law/vlc.txt.gz", "unc-dantri/unc.txt.gz"}
    assert 3000 <= len(model.vocab) <= 12000
    # Context decides between the spellings a dropped letter leaves ambiguous.
    assert model.log10_prob("dựng", ["xây"]) > model.log10_prob("dừng", ["xây"])
    assert model.log10_prob("đạo", ["chỉ"]) > model.log10_prob("đo", ["chỉ"])
    assert model.score_sentence(["củng", "cố", "niềm", "tin", "của", "thế", "hệ", "trẻ"]) > model.score_sentence(
        ["cũng", "cô", "niêm", "tin", "cua", "thê", "hê", "tre"]
    )


@needs_default
def test_default_model_distributions_sum_to_one() -> None:
    # Backoff weights on a fine grid keep even tail contexts proper (8-bit equal-population
    # codes once left "nhiều lần tuyệt" 10 % off).
    model = lm.load_default_model()
    V = len(model.vocab)
    words = np.arange(V, dtype=np.int32)
    rng = np.random.default_rng(3)
    contexts = [
        ["<s>", "<s>", "<s>"], ["nhiều", "lần", "tuyệt"], ["em", "đi", "cấp"], ["sạch", "tại", "thành"],
        ["xây", "dựng", "và"], ["</s>", "</s>", "</s>"],
    ]
    ids = [list(model.ids(c))[-(model.order - 1):] for c in contexts]
    ids += [list(rng.integers(0, 3000, model.order - 1)) for _ in range(10)]
    for c in ids:
        ctx = np.tile(np.asarray(c, dtype=np.int32), (V, 1))
        total = float(np.sum(10.0 ** model.log10_prob_batch(ctx, words).astype(np.float64)))
        assert abs(total - 1.0) < 3e-3, ([model.vocab[i] for i in c], total)


@needs_default
@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason=f"shared corpora not found at {SHARED}")
def test_default_model_perplexity_on_dev() -> None:
    model = lm.load_default_model()
    for name, limit in (("vietnews", 80.0), ("baomoi", 90.0)):
        lines = (SHARED / "corpora" / name / "dev.txt").read_text(encoding="utf-8").splitlines()[:1500]
        ppl = model.perplexity(lm_sentences("\n".join(lines)))
        assert ppl < limit, (name, ppl)
        assert math.isfinite(ppl)


# ------------------------------------------------------------------------- word list

WORDLIST = Path(__file__).resolve().parents[1] / "data" / "wordlist.txt"


@pytest.mark.skipif(not WORDLIST.is_file() or WORDLIST.stat().st_size == 0, reason="data/wordlist.txt not built")
def test_wordlist_is_valid_and_self_describing() -> None:
    from vn_repair.orthography import is_valid_syllable, set_tone_style

    text = WORDLIST.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    joined = "\n".join(header)
    assert f"data version: {train.DATA_VERSION}" in joined and "licence: CC BY-SA 4.0" in joined
    assert "scripts/build_wordlist.py" in joined
    assert "not used: hunspell-vi" in joined  # the GPL lists are named as excluded, never as sources
    assert all(len(r) == 3 for r in rows)
    words = [r[0] for r in rows]
    counts = [int(r[1]) for r in rows]
    assert len(set(words)) == len(words) and 5000 <= len(words) <= 12000
    assert all(is_valid_syllable(w) and w == w.lower() and set_tone_style(w, "new") == w for w in words)
    assert counts == sorted(counts, reverse=True)
    assert {"của", "và", "người", "hòa", "thủy"} <= set(words[:3000])
    sources = {s for r in rows for s in r[2].split(",")}
    assert sources <= {"corpus", "iftc", "pyvi", "wordfreq"}


def test_the_vocabulary_read_without_numpy_is_the_models():
    from vn_repair.lm import load_default_model
    from vn_repair.model_file import read_vocabulary

    vocab, unigram, header = read_vocabulary(None)
    model = load_default_model()
    assert vocab == model.vocab
    assert unigram == model.unigram_log10.astype(float).tolist()
    assert header == model.header
