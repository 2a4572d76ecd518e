"""Train a syllable n-gram language model from plain or gzip-compressed UTF-8 text files.

Pipeline: stream the files, turn each line into language-model units (the same units as
:func:`vn_repair.tokenize.lm_sentences`), count n-grams with numpy over packed integer keys,
estimate interpolated modified Kneser-Ney probabilities, prune, quantize, recompute backoff
weights so that every distribution sums to 1, and write a :mod:`vn_repair.lm` model file.

Counting works on one int32 array of unit ids for the whole corpus (about 280 MB for 70 M units)
and uint64 keys holding up to four 16-bit ids: no Python object per n-gram.  The output depends
only on the input bytes and the options: running twice gives the same file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import lm
from .orthography import is_valid_syllable
from .tokenize import BOS, EOS, NUM, PUNCT, SENTENCE_END, UNK, token_unit, tokenize

__all__ = [
    "DATA_VERSION",
    "TrainStats",
    "add_arguments",
    "count_units",
    "run_cli",
    "train_model",
]

#: Version of the data recipe (units, estimation, pruning defaults); recorded in every model.
DATA_VERSION = "2026.11.1"

SPECIALS = (UNK, BOS, EOS, NUM, PUNCT)
_UNK, _BOS, _EOS, _NUM, _PUNCT = range(5)  # temporary and final ids of the specials
_SEP = -1  # sentence boundary marker inside the tokenizer's output
_BITS = 16
_MAX_VOCAB = 1 << _BITS
_CHUNK_CHARS = 4 << 20


# ---------------------------------------------------------------------------- progress


class _Progress:
    """One self-overwriting status line on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()
        self.tty = self.enabled and self.stream.isatty()
        self._last = 0.0

    def update(self, msg: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.5 if self.tty else 15.0):
            return
        self._last = now
        line = f"[train {now - self.t0:7.1f}s] {msg}"
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self, msg: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(f"[train {time.monotonic() - self.t0:7.1f}s] {msg}\n")
        self.stream.flush()


# ---------------------------------------------------------------------------- tokenizing


class _UnitCoder:
    """Turns text into a stream of temporary unit ids, sentence by sentence.

    The result is exactly what :func:`vn_repair.tokenize.lm_sentences` gives, but fast: the
    tokenizer never matches across whitespace, so each whitespace-separated piece is coded once
    (cached) into unit ids plus sentence-end markers; what depends on neighbours (a punctuation
    run continuing across a space, empty sentences) is settled on the id array with numpy.
    """

    def __init__(self) -> None:
        self.units: list[str] = list(SPECIALS)
        self._unit_ids: dict[str, int] = {u: i for i, u in enumerate(SPECIALS)}
        self._pieces: dict[str, tuple[int, ...]] = {}

    def _unit_id(self, unit: str) -> int:
        i = self._unit_ids.get(unit)
        if i is None:
            i = self._unit_ids[unit] = len(self.units)
            self.units.append(unit)
        return i

    def _code_piece(self, piece: str) -> tuple[int, ...]:
        out: list[int] = []
        for tok in tokenize(piece):
            unit = token_unit(tok.kind, tok.text)
            if unit is None:
                continue
            out.append(_SEP if unit == SENTENCE_END else self._unit_id(unit))
        coded = tuple(out)
        self._pieces[piece] = coded
        return coded

    def encode(self, text: str) -> np.ndarray:
        """Unit ids of ``text`` as int32: sentences as ``<s> ... </s>``, empty ones dropped."""
        pieces = self._pieces
        code = self._code_piece
        raw: list[int] = [_SEP]
        extend = raw.extend
        append = raw.append
        for line in text.splitlines():
            for piece in line.split():
                coded = pieces.get(piece)
                extend(coded if coded is not None else code(piece))
            append(_SEP)
        return _frame_sentences(np.asarray(raw, dtype=np.int32))


def _frame_sentences(raw: np.ndarray) -> np.ndarray:
    """From ids with _SEP markers (first and last element _SEP) to ``<s> w... </s>`` frames."""
    is_sep = raw == _SEP
    is_p = raw == _PUNCT
    drop = np.zeros(len(raw), dtype=bool)
    # A punctuation run split by spaces is still one <p> (lm_sentences keeps one per run).
    drop[1:] = (is_sep[1:] & is_sep[:-1]) | (is_p[1:] & is_p[:-1])
    raw = raw[~drop]
    is_sep = raw == _SEP
    # Each boundary becomes "</s> <s>"; the first </s> and the last <s> are cut off.
    out = np.repeat(raw, np.where(is_sep, 2, 1))
    seps = np.flatnonzero(is_sep) + np.arange(int(is_sep.sum()))
    out[seps] = _EOS
    out[seps + 1] = _BOS
    return out[1:-1]


def _open_text(path: Path) -> tuple[TextIO, Any]:
    """A text stream of ``path`` (gzip by magic bytes) and the raw file to measure progress."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller, with the text stream
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8"), raw
    return io.TextIOWrapper(raw, encoding="utf-8"), raw


@dataclass
class SourceStats:
    """What one training file contributed."""

    name: str
    sha256: str
    bytes: int
    lines: int = 0
    sentences: int = 0
    units: int = 0


def _source_name(path: Path) -> str:
    # Parent folder and file name: stable whatever directory the command runs from.
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tokenize_corpora(
    paths: Sequence[Path], progress: _Progress
) -> tuple[np.ndarray, list[str], list[SourceStats]]:
    """Temporary-id stream of all files (sentences framed), the unit of each id, per-file stats."""
    coder = _UnitCoder()
    parts: list[np.ndarray] = []
    stats: list[SourceStats] = []
    total_units = 0
    for path in paths:
        if path.name == "dev.txt":
            raise ValueError(f"{path}: refusing to train on a development file (dev.txt)")
        st = SourceStats(_source_name(path), _sha256(path), path.stat().st_size)
        text, raw = _open_text(path)
        with text, raw:
            while True:
                lines = text.readlines(_CHUNK_CHARS)
                if not lines:
                    break
                st.lines += len(lines)
                ids = coder.encode("".join(lines))
                parts.append(ids)
                n_sent = int((ids == _BOS).sum())
                st.sentences += n_sent
                st.units += len(ids) - 2 * n_sent
                total_units += len(ids) - 2 * n_sent
                progress.update(
                    f"tokenizing {st.name}: {raw.tell() / 1e6:.0f}/{st.bytes / 1e6:.0f} MB read, "
                    f"{total_units / 1e6:.1f} M units in all"
                )
        stats.append(st)
        progress.done(f"tokenized {st.name}: {st.lines:,} lines, {st.sentences:,} sentences, {st.units:,} units")
    stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return stream, coder.units, stats


def count_units(
    paths: Sequence[str | os.PathLike[str]], *, progress: bool = True
) -> tuple[dict[str, int], list[SourceStats]]:
    """Count every language-model unit (syllables and specials) in the files."""
    prog = _Progress(progress)
    stream, units, stats = _tokenize_corpora([Path(p) for p in paths], prog)
    counts = np.bincount(stream, minlength=len(units))
    return {u: int(c) for u, c in zip(units, counts) if c}, stats


# ---------------------------------------------------------------------------- counting


def _select_vocab(
    stream: np.ndarray, units: list[str], min_count: int, min_other_count: int, max_vocab: int
) -> tuple[list[str], np.ndarray]:
    """Final vocabulary and the map from temporary to final ids (what is left out to ``<unk>``).

    Every syllable seen ``min_count`` times is in: the vocabulary is the decoder's inventory of
    candidates.  Other words (abbreviations, units, foreign names: "tp", "km", "trump") seen
    ``min_other_count`` times fill the rest, most frequent first, up to ``max_vocab`` units with
    the specials.  Order: specials, then falling count, then spelling.
    """
    counts = np.bincount(stream, minlength=len(units))
    first = len(SPECIALS)
    syl = [i for i in range(first, len(units)) if counts[i] >= min_count and is_valid_syllable(units[i])]
    if len(syl) + first > max_vocab:
        raise ValueError(f"{len(syl)} syllables are seen at least {min_count} times: more than max_vocab "
                         f"({max_vocab}) allows; raise max_vocab or the minimum count")
    chosen = set(syl)
    other = [i for i in range(first, len(units)) if counts[i] >= min_other_count and i not in chosen]
    other.sort(key=lambda i: (-int(counts[i]), units[i]))
    keep = syl + other[: max_vocab - first - len(syl)]
    keep.sort(key=lambda i: (-int(counts[i]), units[i]))
    vocab = list(SPECIALS) + [units[i] for i in keep]
    remap = np.full(len(units), _UNK, dtype=np.int32)
    remap[:first] = np.arange(first)
    remap[np.asarray(keep, dtype=np.int64)] = np.arange(first, len(vocab), dtype=np.int32)
    return vocab, remap


def _count_ngrams(stream: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique packed keys of the n-grams inside sentences, and their counts."""
    length = len(stream) - n + 1
    if length <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    valid = np.ones(length, dtype=bool)
    for j in range(n - 1):  # </s> only ever ends an n-gram; that also keeps <s> at the start
        valid &= stream[j : j + length] != _EOS
    key = np.zeros(int(valid.sum()), dtype=np.uint64)
    for j in range(n):
        key <<= np.uint64(_BITS)
        key |= stream[j : j + length][valid].astype(np.uint64)
    keys, counts = np.unique(key, return_counts=True)
    return keys, counts.astype(np.int64)


def _mask(n: int) -> np.uint64:
    return np.uint64((1 << (_BITS * n)) - 1)


def _first_word(keys: np.ndarray, n: int) -> np.ndarray:
    return keys >> np.uint64(_BITS * (n - 1))


def _lookup(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``keys`` in the sorted ``table`` and whether each is there."""
    if not len(table):
        return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
    pos = np.searchsorted(table, keys)
    np.minimum(pos, len(table) - 1, out=pos)
    return pos, table[pos] == keys


# ---------------------------------------------------------------------------- Kneser-Ney


def _discounts(adjusted: np.ndarray) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts D1, D2, D3+ from counts of counts (Chen and Goodman).

    Tiny corpora can lack some counts of counts; the discounts then fall back to a plain
    0.5-per-count rule and are clamped below each count so that every estimate stays proper."""
    t = [int((adjusted == i).sum()) for i in range(1, 5)]
    fallback = (0.5, 1.0, 1.5)
    if t[0] == 0 or t[1] == 0:
        return fallback
    y = t[0] / (t[0] + 2 * t[1])
    out = []
    for k in range(1, 4):
        d = k - (k + 1) * y * t[k] / t[k - 1] if t[k - 1] else fallback[k - 1]
        if not 0.0 < d < k:
            d = fallback[k - 1]
        out.append(d)
    return out[0], out[1], out[2]


@dataclass
class _Order:
    keys: np.ndarray  # sorted packed keys (order 1: the ids)
    raw: np.ndarray  # occurrence counts
    logp: np.ndarray = field(default_factory=lambda: np.zeros(0))  # interpolated log10 P(w | h)
    gamma: np.ndarray = field(default_factory=lambda: np.zeros(0))  # interpolation weight as context


def _estimate(orders: list[_Order], vocab_size: int) -> list[tuple[float, float, float]]:
    """Interpolated modified Kneser-Ney: fills ``logp`` and ``gamma`` of every order in place
    (unpruned, float64) and returns the discounts per order."""
    N = len(orders)
    # Adjusted counts: continuation counts (distinct left neighbours) below the top order,
    # except for n-grams starting with <s>, which nothing can precede.
    adjusted: list[np.ndarray] = []
    for n in range(1, N + 1):
        o = orders[n - 1]
        if n == N:
            adjusted.append(o.raw.astype(np.float64))
            continue
        suffix = orders[n].keys & _mask(n)
        su, sc = np.unique(suffix, return_counts=True)
        adj = np.zeros(len(o.keys), dtype=np.float64)
        pos, found = _lookup(o.keys, su)
        assert found.all(), "every n-gram suffix is a counted (n-1)-gram"
        adj[pos] = sc
        starts_bos = _first_word(o.keys, n) == _BOS
        adj[starts_bos] = o.raw[starts_bos]
        adjusted.append(adj)
    adjusted[0][_BOS] = 0.0  # <s> is never predicted

    discounts = []
    for n in range(1, N + 1):
        adj = adjusted[n - 1]
        D = _discounts(adj[adj > 0])
        discounts.append(D)
        d_of = np.where(adj >= 3, D[2], np.where(adj == 2, D[1], np.where(adj == 1, D[0], 0.0)))
        if n == 1:
            total = adj.sum()
            if total <= 0:
                raise ValueError("the training text has no units")
            gamma0 = d_of.sum() / total
            p = (adj - d_of) / total + gamma0 / (vocab_size - 1)
            p[_BOS] = 0.0
            with np.errstate(divide="ignore"):
                orders[0].logp = np.log10(p)
            orders[0].logp[_BOS] = lm.LOG10_ZERO
            continue
        o = orders[n - 1]
        ctx = o.keys >> np.uint64(_BITS)
        starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
        group = np.cumsum(np.r_[False, ctx[1:] != ctx[:-1]])
        S = np.add.reduceat(adj, starts)
        gamma = np.add.reduceat(d_of, starts) / S
        lower = orders[n - 2]
        ctx_pos, found = _lookup(lower.keys, ctx[starts])
        assert found.all(), "every context is a counted (n-1)-gram"
        lower.gamma[ctx_pos] = gamma
        suf_pos, found = _lookup(lower.keys, o.keys & _mask(n - 1))
        assert found.all()
        p = (adj - d_of) / S[group] + gamma[group] * 10.0 ** lower.logp[suf_pos]
        o.logp = np.log10(p)
        o.gamma = np.zeros(len(o.keys))
    return discounts


# ---------------------------------------------------------------------------- pruning, quantizing


def _prune(orders: list[_Order], min_counts: Sequence[int]) -> list[np.ndarray]:
    """Keep-masks per order: n-grams seen at least ``min_counts[n-1]`` times, plus every prefix
    of a kept n-gram (the table needs it as a context).  Unigrams are all kept."""
    N = len(orders)
    keep = [np.ones(len(orders[0].keys), dtype=bool)]
    for n in range(2, N + 1):
        keep.append(orders[n - 1].raw >= min_counts[n - 1])
    _close_prefixes(orders, keep)
    return keep


def _close_prefixes(orders: list[_Order], keep: list[np.ndarray]) -> None:
    """Keep every prefix of a kept n-gram: the table needs it as a context."""
    for n in range(len(orders), 2, -1):
        prefixes = orders[n - 1].keys[keep[n - 1]] >> np.uint64(_BITS)
        pos, found = _lookup(orders[n - 2].keys, prefixes)
        assert found.all()
        keep[n - 2][pos] = True


def _row_bytes(n: int, order: int, quant_bits: int) -> float:
    """File bytes per n-gram of order n >= 2: word, value(s), and two bits of structure."""
    if not quant_bits:
        return 2 + 4 * (2 if n < order else 1) + 0.25
    return 2 + 1 + (2 if n < order else 0) + 0.25  # 8-bit log10 P, 16-bit backoff code


def _entropy_prune(orders: list[_Order], keep: list[np.ndarray], budget_bytes: float, quant_bits: int) -> None:
    """Relative-entropy pruning (Stolcke 1998) down to ``budget_bytes`` of n-gram rows.

    Each candidate n-gram h w is scored alone by how much the model's distribution would move,
    in relative entropy weighted by P(h), if it were dropped and P(w | h) came from the backoff
    (with the backoff weight of h renormalized); the highest-scoring rows that fit the budget are
    kept, then the prefixes they need.  P(h) is the relative frequency of h in the training text.
    """
    N = len(orders)
    total = float(orders[0].raw.sum())
    scores, costs, orders_of, rows = [], [], [], []
    for n in range(2, N + 1):
        o, lower = orders[n - 1], orders[n - 2]
        cand = np.flatnonzero(keep[n - 1])
        keys = o.keys[cand]
        p = 10.0 ** o.logp[cand]
        suf_pos, _ = _lookup(lower.keys, keys & _mask(n - 1))
        pl = 10.0 ** lower.logp[suf_pos]
        ctx_pos, _ = _lookup(lower.keys, keys >> np.uint64(_BITS))
        size = len(lower.keys)
        num = np.maximum(1.0 - np.bincount(ctx_pos, weights=p, minlength=size), 1e-12)[ctx_pos]
        den = np.maximum(1.0 - np.bincount(ctx_pos, weights=pl, minlength=size), 1e-12)[ctx_pos]
        b_old = num / den
        b_new = (num + p) / (den + pl)
        p_h = lower.raw[ctx_pos] / total
        d = -p_h * (p * (np.log(pl) + np.log(b_new) - np.log(p)) + num * (np.log(b_new) - np.log(b_old)))
        scores.append(d)
        costs.append(np.full(len(cand), _row_bytes(n, N, quant_bits)))
        orders_of.append(np.full(len(cand), n, dtype=np.int8))
        rows.append(cand)
    score = np.concatenate(scores)
    # Highest score first; ties by order and row, so the choice is deterministic.
    rank = np.lexsort((np.concatenate(rows), np.concatenate(orders_of), -score))
    fits = np.cumsum(np.concatenate(costs)[rank]) <= budget_bytes
    chosen = rank[fits]
    which = np.concatenate(orders_of)[chosen]
    row = np.concatenate(rows)[chosen]
    for n in range(2, N + 1):
        keep[n - 1][:] = False
        keep[n - 1][row[which == n]] = True
    _close_prefixes(orders, keep)


def _quantize(values: np.ndarray, bits: int, exact_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Equal-population binning of float values into ``2**bits`` codes; each code's value is the
    mean of its members.  With ``exact_zero`` code 0 is reserved for 0.0 exactly (backoff weight
    of a context with no stored extension)."""
    levels = 1 << bits
    codes = np.zeros(len(values), dtype=np.uint8 if bits <= 8 else np.uint16)
    codebook = np.zeros(levels, dtype=np.float64)
    sel = values != 0.0 if exact_zero else np.ones(len(values), dtype=bool)
    first = 1 if exact_zero else 0
    v = values[sel]
    if len(v):
        s = np.sort(v)
        nbins = levels - first
        edges = s[(np.arange(1, nbins) * len(s)) // nbins]
        c = np.searchsorted(edges, v, side="right")
        sums = np.bincount(c, weights=v, minlength=nbins)
        cnt = np.bincount(c, minlength=nbins)
        book = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.r_[edges, s[-1]][:nbins])
        codebook[first:] = book
        codes[sel] = c + first
    return codes, codebook.astype(np.float32)


#: Levels of the uniform grid for backoff weights (16-bit codes; code 0 is exactly 0.0).
BACKOFF_LEVELS = 4096


def _quantize_backoffs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backoff weights as uint16 codes on a uniform grid of :data:`BACKOFF_LEVELS` values.

    A backoff weight scales all the probability mass a context leaves to shorter contexts, so
    its error goes straight into the sum of the distribution: equal-population 8-bit bins left
    gaps up to 0.9 log10 in the tails (distributions off by up to 10 %); a uniform grid bounds
    the error by half a step (about 0.0003 log10, 0.07 %)."""
    codes = np.zeros(len(values), dtype=np.uint16)
    codebook = np.zeros(BACKOFF_LEVELS, dtype=np.float64)
    nz = values != 0.0
    if nz.any():
        lo, hi = float(values[nz].min()), float(values[nz].max())
        step = (hi - lo) / (BACKOFF_LEVELS - 2) if hi > lo else 1.0
        codebook[1:] = lo + step * np.arange(BACKOFF_LEVELS - 1)
        codes[nz] = 1 + np.rint((values[nz] - lo) / step).astype(np.uint16)
    return codes, codebook.astype(np.float32)


def _backoff_logp(
    keys: np.ndarray,
    n: int,
    tables: list[np.ndarray],
    logps: list[np.ndarray],
    bows: list[np.ndarray],
) -> np.ndarray:
    """log10 P(last word | the n-1 before it) of each n-gram key in the (pruned, final) model of
    orders ``len(tables)`` and below; ``tables[k-1]`` are the sorted keys of order k."""
    res = np.zeros(len(keys))
    done = np.zeros(len(keys), dtype=bool)
    acc = np.zeros(len(keys))
    for k in range(min(n, len(tables)), 0, -1):
        sub = keys & _mask(k)
        if k == 1:
            res = np.where(done, res, acc + logps[0][sub.astype(np.int64)])
            break
        pos, found = _lookup(tables[k - 1], sub)
        take = found & ~done
        res[take] = acc[take] + logps[k - 1][pos[take]]
        done |= take
        ctx = (keys >> np.uint64(_BITS)) & _mask(k - 1)
        if k - 1 == 1:
            b = bows[0][ctx.astype(np.int64)]
        else:
            cpos, cfound = _lookup(tables[k - 2], ctx)
            b = np.where(cfound, bows[k - 2][cpos], 0.0)
        acc = np.where(done, acc, acc + b)
    return res


def _finalize(
    orders: list[_Order], keep: list[np.ndarray], quant_bits: int, progress: _Progress
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays of the model file: pruned tables, quantized values and renormalized backoffs."""
    N = len(orders)
    tables = [orders[0].keys]
    logps: list[np.ndarray] = [orders[0].logp.astype(np.float32).astype(np.float64)]
    bows: list[np.ndarray] = []
    arrays: dict[str, np.ndarray] = {}
    arrays["uni_logp"] = orders[0].logp.astype(np.float32)
    info: dict[str, Any] = {"max_abs_sum_error": {}}
    for n in range(2, N + 1):
        progress.update(f"renormalizing backoff weights of order {n - 1}", force=True)
        o = orders[n - 1]
        keys = o.keys[keep[n - 1]]
        lp = o.logp[keep[n - 1]]
        if quant_bits:
            codes, book = _quantize(lp, quant_bits)
            arrays[f"logp_{n}"] = codes
            arrays[f"logp_{n}_codebook"] = book
            lp = book.astype(np.float64)[codes]
        else:
            arrays[f"logp_{n}"] = lp.astype(np.float32)
            lp = lp.astype(np.float32).astype(np.float64)
        # Backoff weights of the order n-1 contexts, from the final (quantized) values so that
        # P(. | h) sums to 1 in the model as stored.
        lower = _backoff_logp(keys, n, tables, logps, bows)
        ctx = keys >> np.uint64(_BITS)
        prev = tables[n - 2]
        ctx_pos, found = _lookup(prev, ctx)
        assert found.all()
        num = 1.0 - np.bincount(ctx_pos, weights=10.0**lp, minlength=len(prev))
        den = 1.0 - np.bincount(ctx_pos, weights=10.0**lower, minlength=len(prev))
        has = np.bincount(ctx_pos, minlength=len(prev)) > 0
        tiny = 1e-9
        bow = np.where(has, np.log10(np.maximum(num, tiny) / np.maximum(den, tiny)), 0.0)
        info["max_abs_sum_error"][n] = float(np.maximum(tiny - num, 0).max(initial=0.0))
        if n - 1 == 1:
            arrays["uni_bow"] = bow.astype(np.float32)
            bows.append(bow.astype(np.float32).astype(np.float64))
        elif quant_bits:
            codes, book = _quantize_backoffs(bow)
            arrays[f"bow_{n - 1}"] = codes
            arrays[f"bow_{n - 1}_codebook"] = book
            bows.append(book.astype(np.float64)[codes])
        else:
            arrays[f"bow_{n - 1}"] = bow.astype(np.float32)
            bows.append(bow.astype(np.float32).astype(np.float64))
        arrays[f"parent_{n - 1}"] = np.packbits(has)
        arrays[f"first_{n}"] = np.packbits(np.r_[True, ctx[1:] != ctx[:-1]][: len(ctx)])
        arrays[f"words_{n}"] = (keys & _mask(1)).astype(np.uint16)
        tables.append(keys)
        logps.append(lp)
    if N == 1:
        arrays["uni_bow"] = np.zeros(len(orders[0].keys), dtype=np.float32)
    return arrays, info


# ---------------------------------------------------------------------------- training


@dataclass
class TrainStats:
    """What :func:`train_model` did."""

    output: str
    order: int
    vocab_size: int
    units: int
    sentences: int
    ngrams_counted: list[int]
    ngrams_kept: list[int]
    discounts: list[tuple[float, float, float]]
    bytes: int
    sha256: str
    seconds: float
    peak_rss_mb: float
    sources: list[SourceStats]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_model_from_stream(
    stream: np.ndarray,
    units: list[str],
    *,
    order: int,
    min_counts: Sequence[int],
    min_unigram_count: int,
    max_vocab: int,
    quant_bits: int,
    min_other_count: int = 100,
    size_budget_mb: float | None = None,
    progress: _Progress | None = None,
    provenance: dict[str, Any] | None = None,
) -> tuple[lm.NgramModel, dict[str, Any]]:
    """The model for a tokenized stream (temporary ids and their units, from the tokenizer)."""
    progress = progress or _Progress(False)
    if not 1 <= order <= 4:
        raise ValueError(f"order must be 1..4 (16-bit ids packed into 64-bit keys), not {order}")
    if len(min_counts) != order:
        raise ValueError(f"min_counts needs one threshold per order ({order}), got {list(min_counts)}")
    if list(min_counts[1:]) != sorted(min_counts[1:]):
        raise ValueError(f"min_counts must not decrease with the order, got {list(min_counts)}")
    if not 2 <= max_vocab <= _MAX_VOCAB:
        raise ValueError(f"max_vocab must be in [2, {_MAX_VOCAB}], not {max_vocab}")
    if quant_bits not in (0, 8):
        raise ValueError(f"quant_bits must be 0 (float32) or 8, not {quant_bits}")
    vocab, remap = _select_vocab(stream, units, min_unigram_count, min_other_count, max_vocab)
    ids = remap[stream]
    V = len(vocab)
    progress.update(f"vocabulary: {V:,} units", force=True)
    orders = [_Order(np.arange(V, dtype=np.uint64), np.bincount(ids, minlength=V).astype(np.int64))]
    orders[0].gamma = np.zeros(V)
    for n in range(2, order + 1):
        progress.update(f"counting {n}-grams", force=True)
        keys, counts = _count_ngrams(ids, n)
        orders.append(_Order(keys, counts, gamma=np.zeros(len(keys))))
    del ids
    progress.update("estimating modified Kneser-Ney probabilities", force=True)
    discounts = _estimate(orders, V)
    keep = _prune(orders, min_counts)
    if size_budget_mb is not None:
        progress.update(f"entropy pruning to {size_budget_mb} MB", force=True)
        fixed = 12.0 * V + 2048  # unigram arrays, vocabulary, header (roughly)
        _entropy_prune(orders, keep, size_budget_mb * 1e6 - fixed, quant_bits)
    arrays, info = _finalize(orders, keep, quant_bits, progress)
    arrays["vocab"] = np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8)
    header: dict[str, Any] = {
        "format": lm.FORMAT_NAME,
        "format_version": lm.FORMAT_VERSION,
        "data_version": DATA_VERSION,
        "order": order,
        "log_base": 10,
        "smoothing": "interpolated modified Kneser-Ney, backoff form, backoffs renormalized after pruning",
        "units": "vn_repair.tokenize.lm_sentences: new-style lowercase syllables, <num>, <p>, <unk>",
        "vocab_size": V,
        "specials": {"unk": UNK, "bos": BOS, "eos": EOS, "num": NUM, "punct": PUNCT},
        "quantized": bool(quant_bits),
        "quant_bits": quant_bits,
        "backoff_levels": BACKOFF_LEVELS if quant_bits else None,
        "counts": [V] + [int(k.sum()) for k in keep[1:]],
        "counted": [int((orders[0].raw > 0).sum())] + [len(o.keys) for o in orders[1:]],
        "min_counts": list(min_counts),
        "size_budget_mb": size_budget_mb,
        "min_unigram_count": min_unigram_count,
        "min_other_count": min_other_count,
        "discounts": [list(d) for d in discounts],
    }
    header.update(provenance or {})
    model = lm.NgramModel(header, arrays)
    return model, {"discounts": discounts, "counted": header["counted"], "kept": header["counts"], **info}


def train_model(
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    order: int = 3,
    min_counts: Sequence[int] | None = None,
    min_unigram_count: int = 3,
    min_other_count: int = 100,
    max_vocab: int = 16384,
    quant_bits: int = 8,
    size_budget_mb: float | None = None,
    progress: bool = True,
) -> TrainStats:
    """Train a model on ``paths`` (UTF-8 text, plain or gzip) and write it to ``output``.

    ``min_counts[n-1]`` is the least count an n-gram needs to be kept (unigrams: every unit of
    the vocabulary is kept; default ``(1, 2, 3, ...)``); the vocabulary holds every syllable seen at
    least ``min_unigram_count`` times, and other words (abbreviations, names) seen at least
    ``min_other_count`` times, most frequent first, up to ``max_vocab`` units with the specials.
    ``quant_bits`` is 8 (log10 values stored as 8-bit codes) or 0 (float32).  With
    ``size_budget_mb``, the n-grams that pass the count thresholds are further pruned by relative
    entropy (Stolcke) until the file fits about that many megabytes.
    """
    t0 = time.monotonic()
    prog = _Progress(progress)
    files = [Path(p) for p in paths]
    if not files:
        raise ValueError("no training files given")
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"training file not found: {f}")
    if min_counts is None:
        min_counts = (1,) + tuple(range(2, order + 1))
    stream, units, sources = _tokenize_corpora(files, prog)
    provenance = {"sources": [asdict(s) for s in sources]}
    model, info = build_model_from_stream(
        stream,
        units,
        order=order,
        min_counts=min_counts,
        min_unigram_count=min_unigram_count,
        min_other_count=min_other_count,
        max_vocab=max_vocab,
        quant_bits=quant_bits,
        size_budget_mb=size_budget_mb,
        progress=prog,
        provenance=provenance,
    )
    blob = model.to_bytes()
    out = Path(output)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, out)
    n_sent = sum(s.sentences for s in sources)
    stats = TrainStats(
        output=str(out),
        order=order,
        vocab_size=len(model.vocab),
        units=sum(s.units for s in sources),
        sentences=n_sent,
        ngrams_counted=info["counted"],
        ngrams_kept=info["kept"],
        discounts=info["discounts"],
        bytes=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
        seconds=time.monotonic() - t0,
        peak_rss_mb=_peak_rss_mb(),
        sources=sources,
    )
    prog.done(
        f"wrote {out} ({len(blob) / 1e6:.1f} MB, n-grams kept {stats.ngrams_kept}) "
        f"in {stats.seconds:.0f} s, peak RSS {stats.peak_rss_mb:.0f} MB"
    )
    return stats


# ---------------------------------------------------------------------------- CLI


def _counts_arg(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if any(v < 1 for v in vals):
        raise argparse.ArgumentTypeError(f"counts must be >= 1, got {text!r}")
    return vals


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vn-repair train``."""
    parser.add_argument("corpus", nargs="+", help="training text files (UTF-8, plain or .gz)")
    parser.add_argument("-o", "--output", required=True, help="model file to write")
    parser.add_argument("--order", type=int, default=3, help="n-gram order, 1..4 (default 3)")
    parser.add_argument(
        "--min-counts",
        type=_counts_arg,
        default=None,
        metavar="C1,C2,...",
        help="least count to keep an n-gram, one per order (default 1,2,3 for order 3)",
    )
    parser.add_argument(
        "--min-unigram-count", type=int, default=3, help="least count for a syllable to enter the vocabulary"
    )
    parser.add_argument(
        "--min-other-count",
        type=int,
        default=100,
        help="least count for another word (abbreviation, name) to enter the vocabulary, space permitting",
    )
    parser.add_argument("--max-vocab", type=int, default=16384, help="vocabulary size limit, specials included")
    parser.add_argument(
        "--quant-bits", type=int, choices=(0, 8), default=8, help="8: 8-bit codes for log10 values; 0: float32"
    )
    parser.add_argument(
        "--size-mb",
        type=float,
        default=None,
        help="prune by relative entropy until the model fits about this many MB (after --min-counts)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display on stderr")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``vn-repair train`` with parsed ``args``; returns the exit code."""
    out = Path(args.output)
    if any(Path(c).resolve() == out.resolve() for c in args.corpus):
        print(f"vn-repair train: output {out} is also an input", file=sys.stderr)
        return 2
    try:
        train_model(
            args.corpus,
            out,
            order=args.order,
            min_counts=args.min_counts,
            min_unigram_count=args.min_unigram_count,
            min_other_count=args.min_other_count,
            max_vocab=args.max_vocab,
            quant_bits=args.quant_bits,
            size_budget_mb=args.size_mb,
            progress=not args.quiet,
        )
    except (OSError, ValueError) as exc:
        print(f"vn-repair train: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vn_repair.train``: the same as ``vn-repair train``."""
    parser = argparse.ArgumentParser(prog="python -m vn_repair.train", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
