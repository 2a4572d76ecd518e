"""Load time and memory of a model: open, first query (builds the search keys), process RSS.

    python benchmarks/lm_load.py [MODEL]   (default: the embedded model)

Run it in a fresh process; RSS is read from /proc/self/status (VmRSS, VmHWM).
"""

from __future__ import annotations

import sys
import time

import numpy as np


def _rss_mb() -> tuple[float, float]:
    vals = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                vals[key] = int(rest.split()[0]) / 1024
    return vals["VmRSS"], vals["VmHWM"]


def main() -> int:
    t0 = time.perf_counter()
    from vn_repair.lm import NgramModel, load_default_model

    t1 = time.perf_counter()
    base = _rss_mb()[0]
    model = NgramModel.load(sys.argv[1]) if len(sys.argv) > 1 else load_default_model()
    t2 = time.perf_counter()
    rng = np.random.default_rng(0)
    n = 100_000
    ctx = rng.integers(0, len(model.vocab), (n, model.order - 1)).astype(np.int32)
    words = rng.integers(0, len(model.vocab), n).astype(np.int32)
    model.log10_prob_batch(ctx[:1], words[:1])
    t3 = time.perf_counter()
    model.prepare()
    t4 = time.perf_counter()
    model.log10_prob_batch(ctx, words)
    rss, peak = _rss_mb()
    tables = "compiled module's group starts" if model.compiled else "numpy's search keys"
    print(f"model: {model}")
    print(f"import vn_repair.lm: {1e3 * (t1 - t0):.0f} ms; load: {1e3 * (t2 - t1):.1f} ms; "
          f"first query (no table): {1e3 * (t3 - t2):.0f} ms; tables ({tables}): {1e3 * (t4 - t3):.0f} ms")
    print(f"RSS before load {base:.0f} MB; after load + 100k-query batch {rss:.0f} MB (peak {peak:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
