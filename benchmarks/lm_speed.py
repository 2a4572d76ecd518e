"""Speed of NgramModel.log10_prob_batch: microseconds per query at several batch sizes.

    python benchmarks/lm_speed.py [MODEL]   (default: the embedded model)

Queries are realistic: the histories of ../shared/corpora/vietnews/dev.txt (or the test fixture
when shared/ is absent), each with its true next unit or a random vocabulary unit (as a decoder
asks for the candidates of a damaged word).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from vn_repair.lm import NgramModel, load_default_model
from vn_repair.tokenize import lm_sentences

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VN_REPAIR_SHARED", ROOT.parent / "shared"))


def main() -> int:
    t = time.perf_counter()
    model = NgramModel.load(sys.argv[1]) if len(sys.argv) > 1 else load_default_model()
    print(f"model {model.path}: load {1e3 * (time.perf_counter() - t):.1f} ms")
    dev = SHARED / "corpora" / "vietnews" / "dev.txt"
    text = dev.read_text(encoding="utf-8") if dev.is_file() else (ROOT / "tests/fixtures/lm_tiny.txt").read_text()
    width = model.order - 1
    ctxs, words = [], []
    for sent in lm_sentences(text):
        ids = [model.bos_id] * width + list(model.ids(sent)) + [model.eos_id]
        for i in range(width, len(ids)):
            ctxs.append(ids[i - width : i])
            words.append(ids[i])
    ctx = np.array(ctxs, dtype=np.int32).reshape(-1, width)
    w = np.array(words, dtype=np.int32)
    rng = np.random.default_rng(0)
    random_w = rng.integers(0, len(model.vocab), len(w)).astype(np.int32)
    model.log10_prob_batch(ctx[:10], w[:10])  # build the lazy search keys outside the timing
    for n in (1_000, 10_000, 100_000):
        for label, ws in (("true next", w), ("random", random_w)):
            reps = max(1, 300_000 // n)
            t = time.perf_counter()
            for r in range(reps):
                s = (r * n) % max(1, len(w) - n)
                model.log10_prob_batch(ctx[s : s + n], ws[s : s + n])
            dt = (time.perf_counter() - t) / (reps * n)
            print(f"batch {n:>7,} {label:>9}: {1e6 * dt:.3f} us/query")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
