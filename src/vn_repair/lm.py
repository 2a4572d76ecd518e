"""Syllable n-gram language model: a memory-mapped backoff model queried in batches.

Units.  Every probability here is a base-10 logarithm (``log10``).  The model predicts
language-model units as made by :func:`vn_repair.tokenize.lm_sentences`: lowercase syllables
with the tone mark in "new" placement ("hòa", "thủy"), ``<num>``, ``<p>`` (a punctuation run),
``<unk>`` (anything else, and syllables outside the vocabulary) and the sentence end ``</s>``.
A sentence starts in the context ``<s>``; ``<s>`` itself is never predicted (its log10
probability is :data:`LOG10_ZERO`).

Model.  Interpolated modified Kneser-Ney, pruned, written in backoff form: for a stored n-gram
``h w`` the stored value is log10 P(w | h); otherwise log10 P(w | h) = bow(h) + log10 P(w | h')
where h' drops the oldest word of h and bow(h) is 0 when h is not stored.  Backoff weights are
recomputed after pruning (and after quantization), so every conditional distribution sums to 1.

File layout (format ``vn-repair-ngram``, version :data:`FORMAT_VERSION`)::

    magic  b"VNREPAIR-NGRAM\\n\\0"                 16 bytes
    n      uint64 little-endian                   length of the JSON header
    header UTF-8 JSON (sorted keys)               format, versions, order, counts, vocabulary
                                                  size, provenance, and for every array its
                                                  offset, dtype and shape
    arrays raw little-endian numpy arrays, each at a 64-byte aligned offset

Arrays, for an order-N model over V units (ids index ``vocab``):

- ``vocab``: the units, UTF-8, joined by ``"\\n"``;
- ``uni_logp``, ``uni_bow``: float32[V], log10 P(w) and the backoff weight of context (w,);
- for k = 2..N: ``words_k`` uint16, the last word of each k-gram; rows are sorted by parent
  (the row of the first k-1 words in the order-k-1 table) and then word; ``logp_k`` (uint8
  codes into ``logp_k_codebook`` float32[256], or float32 when unquantized); ``first_k``, bits
  (numpy.packbits, big-endian bit order) set on the first row of each parent's group;
- for k = 1..N-1: ``bow_k`` (k >= 2; uint16 codes into ``bow_k_codebook``, a uniform grid with
  code 0 = 0.0, or float32 when unquantized) and ``parent_k``, bits set on the
  rows of the order-k table that have extensions in the order-k+1 table.

The two bit vectors give every row's parent (rank of its group among the parents), so a row
costs 2 bytes of word, 1 byte of probability and 2 of backoff weight, with no pointers; the search keys
``parent << 16 | word`` are derived from them on the first query.
"""

from __future__ import annotations

import functools
import json
import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

_speedups: ModuleType | None
try:  # the optional C module (hatch_build.py); without it numpy answers every query
    from . import _speedups
except ImportError:  # pragma: no cover - a pure-Python install
    _speedups = None

from .model_file import (
    ALIGN,
    DEFAULT_MODEL_NAME,
    FORMAT_NAME,
    FORMAT_VERSION,
    MAGIC,
    ModelFormatError,
    decode_vocabulary,
    default_model_path,
    open_model_file,
    required_arrays,
)

__all__ = [
    "DEFAULT_MODEL_NAME",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LOG10_ZERO",
    "ModelFormatError",
    "NgramModel",
    "load_default_model",
]

#: log10 probability used for events the model gives no mass (``<s>`` as a predicted word).
LOG10_ZERO = -99.0
_SORT_QUERIES_FROM = 256
_DEDUP_CONTEXTS_FROM = 1024
_WORD_BITS = 16  # words_k are uint16, so the vocabulary has at most 65536 units
# Batches up to this size are looked up without the search keys (see NgramModel._find_small).
_SMALL_BATCH = 4096
# Lookups (one per order a query probes) answered that way before the keys are built anyway.
# A query costs about 45 us there, mostly numpy's per-call overhead, and makes four or five
# lookups (a one-sentence text makes about 1,000); the keys of the default model cost about
# 0.2 s, as much as some 20,000 small lookups.  (This budget was 100,000 until the per-line
# benchmark showed a stream of records paying the small price for its first 4,500 batches.)
_SMALL_BUDGET = 20_000
# With the compiled module, its tables (about 35 ms, some 4,000 small lookups) replace the keys.
_COMPILED_BUDGET = 4_000
_BLOCK_BYTES = 64
_POPCOUNT = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1).astype(np.uint8)


def speedups() -> ModuleType | None:
    """The compiled module ``vn_repair._speedups`` (n-gram queries, forward-backward), or None
    on a pure-Python install or when ``VN_REPAIR_PURE_PYTHON=1`` turns it off."""
    return None if os.environ.get("VN_REPAIR_PURE_PYTHON") == "1" else _speedups


class NgramModel:
    """A backoff n-gram model over language-model units; all scores are log10.

    Build one with :func:`vn_repair.train.train_model` (or ``vn-repair train``), open it with
    :meth:`load`, or use :func:`load_default_model` for the embedded model.
    """

    def __init__(self, header: dict[str, Any], arrays: dict[str, np.ndarray], path: str | None = None):
        self.header = header
        self.path = path
        self._arrays = arrays
        where = self._where = path or "<in-memory model>"  # names the model in errors
        self.order: int = int(header["order"])
        self.quantized: bool = bool(header["quantized"])
        for name in required_arrays(self.order, self.quantized):
            if name not in arrays:
                raise ModelFormatError(f"{where}: array {name!r} is missing")
        self.vocab: list[str] = decode_vocabulary(bytes(arrays["vocab"]), header, where)
        self._index = {w: i for i, w in enumerate(self.vocab)}
        specials = header["specials"]
        try:
            self.unk_id: int = self._index[specials["unk"]]
            self.bos_id: int = self._index[specials["bos"]]
            self.eos_id: int = self._index[specials["eos"]]
        except KeyError as exc:
            raise ModelFormatError(f"{where}: special unit {exc} is not in the vocabulary") from None
        for name, a in arrays.items():
            if a.ndim != 1:
                raise ModelFormatError(f"{where}: array {name!r} has {a.ndim} dimensions, expected 1")
        for name in ("uni_logp", "uni_bow"):
            if len(arrays[name]) != len(self.vocab):
                raise ModelFormatError(f"{where}: {name} has {len(arrays[name])} entries for "
                                       f"{len(self.vocab)} units")
        #: log10 P(w) for every unit id (the unigram distribution; ``<s>`` is LOG10_ZERO).
        self.unigram_log10: np.ndarray = arrays["uni_logp"]
        self._uni_bow: np.ndarray = arrays["uni_bow"]
        self.counts: list[int] = [len(self.vocab)] + [len(arrays[f"words_{k}"]) for k in range(2, self.order + 1)]
        for k in range(2, self.order + 1):
            n, m = self.counts[k - 1], self.counts[k - 2]
            if len(arrays[f"first_{k}"]) != -(-n // 8) or len(arrays[f"parent_{k - 1}"]) != -(-m // 8):
                raise ModelFormatError(f"{where}: bit vectors of order {k} do not match the table sizes")
            for name in (f"logp_{k}", f"bow_{k}"):
                if name in arrays and len(arrays[name]) != n:
                    raise ModelFormatError(f"{where}: {name} has {len(arrays[name])} rows, expected {n}")
        self._keys: dict[int, np.ndarray] = {}
        self._rank_dirs: dict[str, np.ndarray] = {}
        self._small_lookups = 0
        self._normalizer: Any = None
        # Tables for the C module, built on first use (None: not yet; False: it cannot serve).
        self._compiled: tuple[tuple[Any, ...], ...] | bool | None = None if speedups() is not None else False

    # ------------------------------------------------------------------ file I/O

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NgramModel:
        """Open a model file, memory-mapped (read-only); raises :class:`ModelFormatError` naming
        the file when it is not a valid model of a supported format version."""
        path = os.fspath(path)
        buf, header = open_model_file(path)
        arrays: dict[str, np.ndarray] = {}
        for name, (offset, dtype, shape) in header["arrays"].items():
            dt = np.dtype(dtype)
            count = int(np.prod(shape)) if shape else 1
            arrays[name] = np.frombuffer(buf, dtype=dt, count=count, offset=offset).reshape(shape)
        return cls(header, arrays, path)

    def to_bytes(self) -> bytes:
        """The model as file bytes (what :meth:`save` writes)."""
        return _serialize(self.header, self._arrays)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` (same bytes for the same model)."""
        tmp = Path(os.fspath(path) + ".tmp")
        tmp.write_bytes(self.to_bytes())
        os.replace(tmp, path)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k + 1}-grams={c}" for k, c in enumerate(self.counts))
        return f"NgramModel(order={self.order}, {counts}, path={self.path!r})"

    # ------------------------------------------------------------------ vocabulary

    def word_id(self, word: str) -> int:
        """Id of a unit; a word spelled otherwise (capitals, "old" tone placement) is normalised
        as the training did; anything outside the vocabulary gives :attr:`unk_id`."""
        i = self._index.get(word)
        if i is not None:
            return i
        if self._normalizer is None:
            from .tokenize import lm_unit

            self._normalizer = lm_unit
        return self._index.get(self._normalizer(word), self.unk_id)

    def ids(self, words: Iterable[str]) -> np.ndarray:
        """int32 ids of ``words`` (see :meth:`word_id`)."""
        return np.fromiter((self.word_id(w) for w in words), dtype=np.int32)

    # ------------------------------------------------------------------ queries

    @property
    def compiled(self) -> bool:
        """Whether queries go through the compiled module ``vn_repair._speedups`` (several times
        faster than numpy, with the same results); False on a pure-Python install, with
        ``VN_REPAIR_PURE_PYTHON=1``, or for a model whose arrays it cannot read."""
        return bool(self._compiled_levels())

    def call_compiled(self, name: str, *args: Any) -> None:
        """``vn_repair._speedups.<name>(*args)``; model data it cannot read (a code outside its
        codebook) is raised as a ModelFormatError naming the file.  Only when :attr:`compiled`."""
        assert _speedups is not None
        try:
            getattr(_speedups, name)(*args)
        except _speedups.ModelDataError as exc:
            raise ModelFormatError(f"{self._where}: {exc}") from None

    def compiled_tables(self, order: int | None = None, build: bool = True
                        ) -> tuple[np.ndarray, np.ndarray, tuple[tuple[Any, ...], ...]] | None:
        """(unigram, unigram backoff, levels) as :mod:`vn_repair._speedups` reads the model for
        queries at ``order`` (default: the model's), or None when :attr:`compiled` is False, or
        without ``build`` when the tables are not derived yet (a short text's queries do not
        derive them: see :meth:`log10_prob_batch`)."""
        if not build and self._compiled is None:
            return None
        levels = self._compiled_levels()
        if levels is None:
            return None
        return self.unigram_log10, self._uni_bow, levels[: (order or self.order) - 1]

    def _compiled_levels(self) -> tuple[tuple[Any, ...], ...] | None:
        """Per order k = 2..N, the tables :func:`vn_repair._speedups.query` reads: the first row
        of each parent's group (uint32, derived from the bit vectors: about 4 bytes per
        (k-1)-gram), the words, and the values with their codebooks."""
        if self._compiled is None:
            self._compiled = self._build_compiled_levels() or False
        return self._compiled or None  # type: ignore[return-value]

    def _build_compiled_levels(self) -> tuple[tuple[Any, ...], ...] | None:
        arrays = self._arrays

        def readable(name: str) -> tuple[np.ndarray, np.ndarray | None] | None:
            """(values, None) for float32 values, (codes, codebook) for uint8 or uint16 codes."""
            a = np.ascontiguousarray(arrays[name])
            book = arrays.get(name + "_codebook") if self.quantized else None
            if book is None:
                return (a, None) if a.dtype == np.float32 else None
            book = np.ascontiguousarray(book)
            if a.dtype.str not in ("|u1", "<u2") or book.dtype != np.float32 or len(book) == 0:
                return None
            return a, book

        if (self.unigram_log10.dtype != np.float32 or self._uni_bow.dtype != np.float32
                or not self.unigram_log10.flags.c_contiguous or not self._uni_bow.flags.c_contiguous):
            return None
        levels = []
        for k in range(2, self.order + 1):
            words = arrays[f"words_{k}"]
            logp = readable(f"logp_{k}")
            bow = readable(f"bow_{k}") if k < self.order else (None, None)
            if words.dtype.str != "<u2" or logp is None or bow is None or self.counts[k - 1] >= 1 << 32:
                return None
            levels.append((self._group_starts(k), np.ascontiguousarray(words), *logp, *bow))
        return tuple(levels)

    def _group_starts(self, k: int) -> np.ndarray:
        """uint32[m + 1] over the m (k-1)-grams: the order-k rows extending (k-1)-gram p are
        ``starts[p]:starts[p + 1]``."""
        n, m = self.counts[k - 1], self.counts[k - 2]
        parent, first = self._arrays[f"parent_{k - 1}"], self._arrays[f"first_{k}"]
        starts = np.empty(m + 1, dtype=np.uint32)
        if _speedups is not None and _speedups.group_starts(np.ascontiguousarray(parent), m,
                                                            np.ascontiguousarray(first), n, starts):
            return starts
        raise ModelFormatError(f"{self._where}: order-{k} rows do not match their parents")

    def _level_keys(self, k: int) -> np.ndarray:
        """Sorted uint64 search keys ``parent_row << 16 | word`` of the order-k table (k >= 2),
        built on first use so that loading stays cheap."""
        keys = self._keys.get(k)
        if keys is None:
            n, m = self.counts[k - 1], self.counts[k - 2]
            with_children = np.flatnonzero(np.unpackbits(self._arrays[f"parent_{k - 1}"], count=m))
            starts = np.flatnonzero(np.unpackbits(self._arrays[f"first_{k}"], count=n))
            if len(starts) != len(with_children) or (n and starts[0] != 0):
                raise ModelFormatError(f"{self._where}: order-{k} rows do not match "
                                       f"their parents ({len(starts)} groups, {len(with_children)} parents)")
            rows = np.repeat(with_children, np.diff(np.append(starts, n)))
            rows <<= _WORD_BITS
            rows |= self._arrays[f"words_{k}"]
            keys = rows.view(np.uint64)
            self._keys[k] = keys
        return keys

    def prepare(self) -> NgramModel:
        """Derive the lookup tables now rather than on the first big batch: the compiled
        module's group starts (about 30 ms and 4 bytes per n-gram below the top order), or
        without it numpy's search keys (about 0.1 s and 8 bytes per n-gram).  Call it before
        forking workers so that they share the tables.  Returns the model."""
        if self._compiled_levels() is None:
            for k in range(2, self.order + 1):
                self._level_keys(k)
        return self

    def _find(self, k: int, parent: np.ndarray, word: np.ndarray) -> np.ndarray:
        """Row of the k-gram (parent row of order k-1, word) in the order-k table, or -1."""
        if k not in self._keys and len(word) <= _SMALL_BATCH and (
                self._small_lookups < _SMALL_BUDGET or self._compiled is None):
            # (While the compiled module waits for its budget, never the keys.)
            # Until the lookups add up to what building the keys costs, e.g. for one short text.
            self._small_lookups += len(word)
            return self._find_small(k, parent, word)
        keys = self._level_keys(k)
        if not len(keys):
            return np.full(len(word), -1, dtype=np.int64)
        ok = parent >= 0
        q = (np.where(ok, parent, 0).astype(np.uint64) << np.uint64(_WORD_BITS)) | word.astype(np.uint64)
        if len(q) >= _SORT_QUERIES_FROM:
            # Searching in key order touches the table's cache lines in sequence: about twice
            # as fast on big batches as searching in the decoder's order, sort included.
            order = np.argsort(q)
            pos = np.empty(len(q), dtype=np.int64)
            pos[order] = np.searchsorted(keys, q[order])
        else:
            pos = np.searchsorted(keys, q)
        np.minimum(pos, len(keys) - 1, out=pos)
        found = ok & (keys[pos] == q)
        return np.where(found, pos, -1)

    def _rank_directory(self, name: str) -> np.ndarray:
        """Set bits of the bit vector ``name`` before each block of _BLOCK_BYTES bytes."""
        got = self._rank_dirs.get(name)
        if got is None:
            bits = self._arrays[name]
            per_byte = _POPCOUNT[bits].astype(np.int64)
            got = np.concatenate([[0], np.cumsum(np.add.reduceat(per_byte, np.arange(0, len(bits), _BLOCK_BYTES)))])
            self._rank_dirs[name] = got
        return got

    def _block_bytes(self, name: str, block: np.ndarray) -> np.ndarray:
        """The bytes of each given block of ``name`` (queries × _BLOCK_BYTES; past the end: 0)."""
        bits = self._arrays[name]
        idx = block[:, None] * _BLOCK_BYTES + np.arange(_BLOCK_BYTES)
        return np.where(idx < len(bits), bits[np.minimum(idx, len(bits) - 1)], 0).astype(np.uint8)

    def _rank(self, name: str, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(whether bit ``pos`` of ``name`` is set, how many set bits lie before it)."""
        bits = self._arrays[name]
        block = pos // (8 * _BLOCK_BYTES)
        counts = _POPCOUNT[self._block_bytes(name, block)].astype(np.int64)
        byte_in_block = (pos >> 3) - block * _BLOCK_BYTES
        before = np.where(np.arange(_BLOCK_BYTES)[None, :] < byte_in_block[:, None], counts, 0).sum(axis=1)
        byte = bits[pos >> 3].astype(np.int64)
        shift = 7 - (pos & 7)
        partial = _POPCOUNT[(byte >> (shift + 1)).astype(np.uint8)]  # the bits of the byte before pos
        return ((byte >> shift) & 1).astype(bool), self._rank_directory(name)[block] + before + partial

    def _select(self, name: str, nth: np.ndarray) -> np.ndarray:
        """Position of the nth (0-based) set bit of ``name``."""
        directory = self._rank_directory(name)
        block = np.searchsorted(directory, nth, side="right") - 1
        rest = nth - directory[block]
        raw = self._block_bytes(name, block)
        cum = np.cumsum(_POPCOUNT[raw].astype(np.int64), axis=1)
        byte_at = (cum <= rest[:, None]).sum(axis=1)  # the byte holding it
        rows = np.arange(len(nth))
        rest = rest - np.where(byte_at > 0, cum[rows, np.maximum(byte_at - 1, 0)], 0)
        in_byte = np.cumsum(np.unpackbits(raw[rows, byte_at][:, None], axis=1), axis=1)
        bit_at = (in_byte <= rest[:, None]).sum(axis=1)
        return (block * _BLOCK_BYTES + byte_at) * 8 + bit_at

    def _find_small(self, k: int, parent: np.ndarray, word: np.ndarray) -> np.ndarray:
        """:meth:`_find` for a small batch without the search keys, read off the bit vectors
        (rank and select over blocks) and a binary search of the parent's group: a short text
        needs a few hundred lookups, and building the keys would cost more than all of them."""
        n = self.counts[k - 1]
        total = int(self._rank_directory(f"first_{k}")[-1])
        if n == 0 or total == 0:  # an empty level (a small model, heavy pruning)
            return np.full(len(word), -1, dtype=np.int64)
        ok = parent >= 0
        p = np.where(ok, parent, 0).astype(np.int64)
        has, group = self._rank(f"parent_{k - 1}", p)
        ok &= has
        group = np.where(ok, group, 0)
        lo = self._select(f"first_{k}", group)
        end = np.where(group + 1 < total, self._select(f"first_{k}", np.minimum(group + 1, total - 1)), n)
        hi = end.copy()
        words = self._arrays[f"words_{k}"]
        w = word.astype(np.int64)
        while True:
            active = ok & (lo < hi)
            if not active.any():
                break
            mid = (lo + hi) >> 1
            less = words[np.minimum(mid, n - 1)] < w
            lo = np.where(active & less, mid + 1, lo)
            hi = np.where(active & ~less, mid, hi)
        found = ok & (lo < end) & (words[np.minimum(lo, n - 1)] == w)
        return np.where(found, lo, -1)

    def _values(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Dequantized log10 values of ``name`` at ``rows`` (rows >= 0)."""
        arr = self._arrays[name]
        if self.quantized:
            return self._arrays[name + "_codebook"][arr[rows]]
        return arr[rows]

    def log10_prob_batch(self, contexts: np.ndarray, words: np.ndarray, order: int | None = None) -> np.ndarray:
        """log10 P(words[i] | contexts[i]) for every i, as float32, fully vectorized.

        ``contexts`` is int32 of shape (n, order - 1), oldest word first; pad at the start of a
        sentence with :attr:`bos_id` (the context of the first word is all ``<s>``); pad with
        :attr:`eos_id` where the history is unknown (``</s>`` is never a stored context, so the
        query backs off to the shorter context without penalty).  ``words`` is int32 of shape (n,).
        Ids come from :meth:`word_id` / :meth:`ids`.

        ``order`` queries the model as if it stopped at that lower order (its backoff
        distributions, e.g. bigrams for a cheap first pass); ``contexts`` then has ``order - 1``
        columns.
        """
        ctx = np.asarray(contexts)
        w = np.asarray(words)
        n = len(w)
        top = self.order if order is None else order
        if not 1 <= top <= self.order:
            raise ValueError(f"order must be between 1 and {self.order}, got {order}")
        width = top - 1
        if ctx.ndim != 2 or ctx.shape != (n, width):
            raise ValueError(f"contexts must have shape ({n}, {width}) for an order-{top} query, "
                             f"got {ctx.shape}")
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        V = len(self.vocab)
        for name, a in (("words", w), ("contexts", ctx)):
            if a.size and (int(a.min()) < 0 or int(a.max()) >= V):
                raise ValueError(f"{name} holds ids outside [0, {V}): use model.word_id()/ids()")
        # A short text's few small batches are answered by numpy's rank-and-select lookups
        # (see _find) before the compiled module's tables are derived (about 30 ms).
        small = self._compiled is None and n <= _SMALL_BATCH and self._small_lookups < _COMPILED_BUDGET
        levels = None if small else self._compiled_levels()
        if levels is not None:
            out = np.empty(n, dtype=np.float32)
            self.call_compiled("query", np.ascontiguousarray(ctx, dtype=np.int32),
                               np.ascontiguousarray(w, dtype=np.int32), width, self.unigram_log10, self._uni_bow,
                               levels[:width], out)
            return out
        return self._log10_prob_numpy(ctx, w, top)

    def _log10_prob_numpy(self, ctx: np.ndarray, w: np.ndarray, top: int) -> np.ndarray:
        """:meth:`log10_prob_batch` in numpy, for checked arguments."""
        n, width = len(w), top - 1
        w = w.astype(np.int64, copy=False)
        ctx = ctx.astype(np.int64, copy=False)
        # node[j]: row of the j-gram made of the last j context words (-1: not stored).  A
        # j-gram whose prefix is not stored is not looked up.
        node: dict[int, np.ndarray] = {1: ctx[:, width - 1]} if width else {}
        if width >= 2:
            # Batches repeat contexts (every candidate after the same two words): look each
            # distinct one up once.
            uctx, inverse = ctx, None
            if n >= _DEDUP_CONTEXTS_FROM and width * _WORD_BITS < 64:
                key = ctx[:, 0].copy()
                for j in range(1, width):
                    key <<= _WORD_BITS
                    key |= ctx[:, j]
                _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
                uctx = ctx[first]
            for j in range(2, width + 1):
                row = uctx[:, width - j]
                for k in range(2, j + 1):
                    row = self._find_where_stored(k, row, uctx[:, width - j + k - 1])
                node[j] = row if inverse is None else row[inverse]
        # From the highest order down: a query is answered at the highest order that stores
        # its n-gram, plus the backoff weights of the longer contexts it backed off from.
        res = np.zeros(n, dtype=np.float64)
        pending = np.arange(n)
        for k in range(top, 1, -1):
            parent = node[k - 1][pending]
            if self.counts[k - 1]:
                row = self._find_where_stored(k, parent, w[pending])
                found = row >= 0
                if found.any():
                    res[pending[found]] += self._values(f"logp_{k}", row[found])
                    pending, parent = pending[~found], parent[~found]
            if k - 1 == 1:
                res[pending] += self._uni_bow[parent]
            else:
                stored = parent >= 0
                res[pending[stored]] += self._values(f"bow_{k - 1}", parent[stored])
        res[pending] += self.unigram_log10[w[pending]]
        return res.astype(np.float32)

    def _find_where_stored(self, k: int, parent: np.ndarray, word: np.ndarray) -> np.ndarray:
        """:meth:`_find`, searching only where ``parent`` is stored (>= 0)."""
        stored = parent >= 0
        if stored.all():
            return self._find(k, parent, word)
        row = np.full(len(parent), -1, dtype=np.int64)
        if stored.any():
            row[stored] = self._find(k, parent[stored], word[stored])
        return row

    def _context_of(self, context: Sequence[int]) -> list[int]:
        width = self.order - 1
        ctx = list(context)[-width:] if width else []
        return [self.bos_id] * (width - len(ctx)) + ctx

    def log10_prob(self, word: str, context: Sequence[str]) -> float:
        """log10 P(word | context); ``context`` is the preceding units, oldest first (only the
        last order-1 are used); a shorter context is padded with ``<s>``, i.e. it is read as the
        start of a sentence."""
        ctx = self._context_of([self.word_id(c) for c in context])
        return float(
            self.log10_prob_batch(np.array([ctx], dtype=np.int32), np.array([self.word_id(word)], dtype=np.int32))[0]
        )

    def _sentence_queries(self, ids: Sequence[int], bos: bool, eos: bool) -> tuple[np.ndarray, np.ndarray]:
        width = self.order - 1
        seq = list(ids) + ([self.eos_id] if eos else [])
        # ``</s>`` never starts a stored n-gram, so as context it means "no history": the query
        # backs off to the lower orders at no cost.  That is how an unknown start is scored.
        pad = self.bos_id if bos else self.eos_id
        padded = [pad] * width + list(ids)
        ctx = np.empty((len(seq), width), dtype=np.int32)
        for i in range(len(seq)):
            ctx[i] = padded[i : i + width]
        return ctx, np.asarray(seq, dtype=np.int32)

    def score_sentence(self, words: Sequence[str], bos: bool = True, eos: bool = True) -> float:
        """log10 P of a sentence of units: the sum of log10 P(w_i | history), with the history
        starting at ``<s>`` when ``bos`` and ``</s>`` predicted at the end when ``eos``."""
        ctx, w = self._sentence_queries([self.word_id(x) for x in words], bos, eos)
        return float(self.log10_prob_batch(ctx, w).astype(np.float64).sum())

    def _batch_of_sentences(self, sentences: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        width = self.order - 1
        stream: list[int] = []
        for sent in sentences:
            stream.extend([self.bos_id] * max(width, 1))
            stream.extend(self.word_id(x) for x in sent)
            stream.append(self.eos_id)
        arr = np.asarray(stream, dtype=np.int32)
        targets = np.flatnonzero(arr != self.bos_id)
        if width:
            ctx = np.stack([arr[targets - width + j] for j in range(width)], axis=1)
        else:
            ctx = np.zeros((len(targets), 0), dtype=np.int32)
        return ctx, arr[targets]

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """Perplexity over sentences of units, each scored from ``<s>`` and including ``</s>``
        among the predicted tokens; ``<unk>`` counts as a token (it is a unit of the model)."""
        total = 0.0
        count = 0
        batch: list[Sequence[str]] = []
        for sent in sentences:
            batch.append(sent)
            if len(batch) >= 4096:
                t, c = self._score_many(batch)
                total, count, batch = total + t, count + c, []
        if batch:
            t, c = self._score_many(batch)
            total, count = total + t, count + c
        if count == 0:
            raise ValueError("perplexity of an empty text")
        return float(10.0 ** (-total / count))

    def _score_many(self, sentences: list[Sequence[str]]) -> tuple[float, int]:
        ctx, w = self._batch_of_sentences(sentences)
        return float(self.log10_prob_batch(ctx, w).astype(np.float64).sum()), len(w)


def _serialize(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """File bytes for ``header`` (without its "arrays" entry) and ``arrays``; deterministic."""
    names = sorted(arrays)
    layout: dict[str, list[Any]] = {}
    # Offsets depend on the header length and the header holds the offsets: iterate to a fixed point.
    hlen_guess = 0
    for _ in range(10):
        offset = len(MAGIC) + 8 + hlen_guess
        for name in names:
            a = np.ascontiguousarray(arrays[name])
            offset = -(-offset // ALIGN) * ALIGN
            layout[name] = [offset, a.dtype.newbyteorder("<").str, list(a.shape)]
            offset += a.nbytes
        full = dict(header, arrays=layout)
        blob = json.dumps(full, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(blob) == hlen_guess:
            break
        hlen_guess = len(blob)
    else:  # pragma: no cover - the loop converges in two or three rounds
        raise RuntimeError("model header layout did not converge")
    out = bytearray(MAGIC)
    out += struct.pack("<Q", len(blob))
    out += blob
    for name in names:
        a = np.ascontiguousarray(arrays[name])
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        off = layout[name][0]
        out += b"\0" * (off - len(out))
        out += a.tobytes()
    return bytes(out)


@functools.cache
def load_default_model() -> NgramModel:
    """The embedded default model (``vn_repair/data/default-model.bin``), loaded once per process."""
    with default_model_path() as path:
        return NgramModel.load(path)
