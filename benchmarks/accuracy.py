#!/usr/bin/env python3
"""Accuracy of the default model on both dev files, for every damage the engine targets.

    python benchmarks/accuracy.py [--shared ../shared] [--lines N] [--json out.json] [--model PATH]

Each row damages the dev file with the project's simulator (seed 1), repairs the whole file as
one document with ``vn_repair.repair`` and scores it token by token (``vn_repair.evaluate``).
Prints a markdown table; the README's accuracy table is this output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from vn_repair.config import Config
from vn_repair.evaluate import run_evaluation, wrap_lines

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = [
    ("none", 0.0, "clean (no damage)"),
    ("sparse", 0.01, "sparse drop, p = 0.01"),
    ("sparse", 0.05, "sparse drop, p = 0.05"),
    ("sparse", 0.15, "sparse drop, p = 0.15"),
    ("total", 1.0, "total drop"),
    ("placeholder", 0.05, "placeholder ?, p = 0.05"),
    ("placeholder", 1.0, "placeholder ?, p = 1"),
    ("ocr", 0.1, "OCR: total drop + 10% look-alikes"),
    ("strip", 1.0, "stripped diacritics"),
    ("strip-run", 0.25, "6-12 words stripped in 1 line of 4"),
    ("sparse@80", 0.05, "sparse drop, p = 0.05, lines wrapped at 80 columns"),
    ("total@80", 1.0, "total drop, lines wrapped at 80 columns"),
    ("cp1252", 1.0, "cp1252, \"?\" for what it lacks"),
    ("cp1252-bestfit", 1.0, "cp1252 with best fit (ư → u)"),
    ("cp1252-utf8", 1.0, "cp1252 read back as UTF-8 (U+FFFD)"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.environ.get("VN_REPAIR_SHARED", str(ROOT.parent / "shared")))
    ap.add_argument("--lines", type=int, default=None, help="use only the first N lines of each file")
    ap.add_argument("--files", default="vietnews,baomoi")
    ap.add_argument("--kinds", default=None, help="comma-separated subset of: " + ",".join(sorted({k for k, _, _ in SETTINGS})))
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    config = Config(model=args.model)
    wanted = set(args.kinds.split(",")) if args.kinds else None
    rows = []
    print("| file | damage | damaged tokens | recall | wrong fixes | clean tokens broken / 10k | error reduction | MB/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.files.split(","):
        path = Path(args.shared) / "corpora" / name / "dev.txt"
        text = path.read_text(encoding="utf-8")
        if args.lines:
            text = "".join(text.splitlines(keepends=True)[: args.lines])
        for kind, rate, label in SETTINGS:
            if wanted and kind not in wanted:
                continue
            t0 = time.perf_counter()
            damage, _, width = kind.partition("@")  # "total@80": the clean text wrapped first
            clean = wrap_lines(text, int(width)) if width else text
            if damage == "none":  # sparse damage at rate 0 leaves the text as it is
                report = run_evaluation(clean, "sparse", rate=0.0, seed=1, config=config, source=name)
            else:
                report = run_evaluation(clean, damage, rate=rate, seed=1, config=config, source=name)
            s = report.scores
            row = {
                "file": f"{name}/dev.txt", "damage": label, "kind": kind, "rate": rate,
                "damaged": s.damaged_tokens, "recall": s.recall, "wrong": s.wrong_fixes,
                "broken_per_10k": s.broken_per_10k, "error_reduction": s.error_reduction,
                "mb_per_s": report.mb_per_s, "seconds": time.perf_counter() - t0,
            }
            rows.append(row)

            def pct(x: float | None) -> str:
                return "n/a" if x is None else f"{100 * x:.1f}%"

            print(f"| {name} | {label} | {s.damaged_tokens:,} | {pct(s.recall)} | {s.wrong_fixes:,} | "
                  f"{s.broken_per_10k:.2f} | {pct(s.error_reduction)} | {report.mb_per_s:.2f} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
