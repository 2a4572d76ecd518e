"""Orders and pruning levels of the n-gram model: perplexity on both dev files, size, load time.

    python benchmarks/lm_sweep.py [--work DIR] [--configs NAME...]

Tokenizes every training file of ../shared/corpora once (cached in DIR as .npy), then builds
each configuration from the same stream with vn_repair.train and scores it on
vietnews/dev.txt and baomoi/dev.txt (never trained on).  Prints a markdown table (the one in
docs/model.md).  Needs about 5 GB of memory for the order-4 rows.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from vn_repair import train
from vn_repair.lm import NgramModel
from vn_repair.tokenize import lm_sentences

SHARED = Path(os.environ.get("VN_REPAIR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CORPORA = SHARED / "corpora"
TRAIN = [
    CORPORA / "vietnews" / "train.txt.gz",
    CORPORA / "baomoi" / "train.txt.gz",
    CORPORA / "viwiki" / "viwiki.txt.gz",
    CORPORA / "vlc-law" / "vlc.txt.gz",
    CORPORA / "unc-dantri" / "unc.txt.gz",
]
DEV = [CORPORA / "vietnews" / "dev.txt", CORPORA / "baomoi" / "dev.txt"]

# name: (order, min_counts, quant_bits, entropy-pruning size budget in MB or None)
CONFIGS: dict[str, tuple[int, tuple[int, ...], int, float | None]] = {
    "o2-unpruned-f32": (2, (1, 1), 0, None),
    "o3-unpruned-f32": (3, (1, 1, 1), 0, None),
    "o3-unpruned-q8": (3, (1, 1, 1), 8, None),
    "o3-c1,1,2-q8": (3, (1, 1, 2), 8, None),
    "o3-c1,2,2-q8": (3, (1, 2, 2), 8, None),
    "o3-c1,2,3-q8": (3, (1, 2, 3), 8, None),
    "o3-c1,3,5-q8": (3, (1, 3, 5), 8, None),
    "o4-c1,2,2,4-q8": (4, (1, 2, 2, 4), 8, None),
    "o4-c1,2,3,3-q8": (4, (1, 2, 3, 3), 8, None),
    "o4-c1,2,3,4-q8": (4, (1, 2, 3, 4), 8, None),
    "o4-c1,2,4,6-q8": (4, (1, 2, 4, 6), 8, None),
    "o4-c1,3,5,8-q8": (4, (1, 3, 5, 8), 8, None),
    "o3-entropy20-q8": (3, (1, 1, 1), 8, 20.0),
    "o3-c1,1,2-entropy16-q8": (3, (1, 1, 2), 8, 16.0),
    "o4-c1,1,2,2-entropy22-q8": (4, (1, 1, 2, 2), 8, 22.0),
    "o4-c1,2,2,3-entropy22-q8": (4, (1, 2, 2, 3), 8, 22.0),
    "o4-c1,2,2,3-entropy23-q8": (4, (1, 2, 2, 3), 8, 23.0),
    "o4-c1,2,2,3-entropy24-q8": (4, (1, 2, 2, 3), 8, 24.0),
    "o4-c1,2,2,2-entropy22-q8": (4, (1, 2, 2, 2), 8, 22.0),
    "o4-c1,2,3,3-entropy22-q8": (4, (1, 2, 3, 3), 8, 22.0),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/vn-repair-lm-sweep"))
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    cache, units_file = args.work / "stream.npy", args.work / "units.txt"
    if cache.is_file() and units_file.is_file():
        stream = np.load(cache)
        units = units_file.read_text(encoding="utf-8").split("\n")
    else:
        stream, units, _ = train._tokenize_corpora(TRAIN, train._Progress(True))
        np.save(cache, stream)
        units_file.write_text("\n".join(units), encoding="utf-8")
    dev = [lm_sentences(p.read_text(encoding="utf-8")) for p in DEV]
    print("| configuration | order | min counts | quant | n-grams kept (1/2/3/4) | size MB | load ms "
          "| build s | ppl vietnews dev | ppl baomoi dev |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.configs:
        order, min_counts, bits, budget = CONFIGS[name]
        t = time.perf_counter()
        model, _ = train.build_model_from_stream(
            stream, units, order=order, min_counts=min_counts, min_unigram_count=3, min_other_count=100,
            max_vocab=16384, quant_bits=bits, size_budget_mb=budget,
        )
        build = time.perf_counter() - t
        out = args.work / f"{name}.bin"
        model.save(out)
        t = time.perf_counter()
        loaded = NgramModel.load(out)
        load_ms = 1e3 * (time.perf_counter() - t)
        ppl = [loaded.perplexity(d) for d in dev]
        print(f"| {name} | {order} | {','.join(map(str, min_counts))} | {bits or 'f32'} | "
              f"{' / '.join(f'{c:,}' for c in loaded.counts)} | {out.stat().st_size / 1e6:.1f} | "
              f"{load_ms:.1f} | {build:.0f} | {ppl[0]:.2f} | {ppl[1]:.2f} |", flush=True)
        del model, loaded
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
