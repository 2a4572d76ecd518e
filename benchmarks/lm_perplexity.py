"""Perplexity, size and load time of n-gram model files on the development texts.

    python benchmarks/lm_perplexity.py MODEL... [--dev FILE ...]

Defaults to ../shared/corpora/{vietnews,baomoi}/dev.txt next to the repository.  Perplexity is
per predicted unit (syllables, <num>, <p>, <unk> and </s>), sentences scored from <s>.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from vn_repair.lm import NgramModel
from vn_repair.tokenize import lm_sentences

SHARED = Path(os.environ.get("VN_REPAIR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DEV = [SHARED / "corpora" / "vietnews" / "dev.txt", SHARED / "corpora" / "baomoi" / "dev.txt"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--dev", nargs="*", type=Path, default=DEV)
    args = ap.parse_args()
    dev = {p: lm_sentences(p.read_text(encoding="utf-8")) for p in args.dev}
    names = [f"{p.parent.name}/{p.name}" for p in args.dev]
    print("| model | order | n-grams kept | size MB | load s | " + " | ".join(f"ppl {n}" for n in names) + " |")
    print("|---|---|---|---|---|" + "---|" * len(names))
    for path in args.models:
        t = time.perf_counter()
        model = NgramModel.load(path)
        load = time.perf_counter() - t
        ppl = [model.perplexity(s) for s in dev.values()]
        size = os.path.getsize(path) / 1e6
        print(f"| {Path(path).name} | {model.order} | {' / '.join(f'{c:,}' for c in model.counts)} | "
              f"{size:.1f} | {load:.3f} | " + " | ".join(f"{p:.1f}" for p in ppl) + " |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
