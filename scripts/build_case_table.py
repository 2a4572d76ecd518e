#!/usr/bin/env python3
"""Build src/vn_repair/data/case.tsv: the syllables that are written with a capital inside a
sentence more often than not, by what follows them.

    python scripts/build_case_table.py [--shared ../shared] [-o src/vn_repair/data/case.tsv]
        [--lines-per-file 200000] [--min-count 20]

When damage takes a word's first letter ("?ng" for "ông", "nh" for "Ảnh"), its case is gone
with it.  The restorer then asks this table: inside a sentence, is this syllable mostly
capitalised, given that the next word is capitalised ("Ấn Độ", but "ông Nguyễn"), lowercase,
or unknown (not a word, or itself damaged)?  Counted on the first --lines-per-file lines of each
training corpus of ../shared/corpora (never a dev.txt); a syllable is listed for a context when
it was seen there at least --min-count times and capitalised in more than half of them.
Rebuilding gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import Counter
from pathlib import Path

from build_wordlist import DEFAULT_SHARED, ROOT, TRAIN_FILES  # the same training corpora

from vn_repair.data_files import CASE_TABLE_FORMAT, CASE_TABLE_NAME
from vn_repair.orthography import is_valid_syllable
from vn_repair.tokenize import SENTENCE_END, lm_unit, token_unit, tokenize


def _next_context(tokens: list, i: int) -> str:
    """The context after word token i: the next token past one space."""
    j = i + 1
    if j < len(tokens) and tokens[j].kind == "space" and tokens[j].text == " ":
        j += 1
        if j < len(tokens) and tokens[j].kind == "word":
            first = tokens[j].text[:1]
            return "cap" if first.isupper() else "low" if first.islower() else "other"
    return "other"


def count(paths: list[Path], lines_per_file: int) -> tuple[Counter, Counter]:
    caps: Counter = Counter()
    totals: Counter = Counter()
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= lines_per_file:
                    break
                tokens = tokenize(line.rstrip("\n"))
                start = True  # the next word begins a sentence
                for i, t in enumerate(tokens):
                    if t.kind == "word":
                        if not start and is_valid_syllable(t.text):
                            key = (lm_unit(t.text), _next_context(tokens, i))
                            totals[key] += 1
                            caps[key] += t.text[:1].isupper()
                        start = False
                    elif t.kind != "space" and token_unit(t.kind, t.text) == SENTENCE_END:
                        start = True
        print(f"{path}: {len(totals):,} (syllable, context) pairs so far", file=sys.stderr)
    return caps, totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "src" / "vn_repair" / "data" / CASE_TABLE_NAME)
    ap.add_argument("--lines-per-file", type=int, default=200_000)
    ap.add_argument("--min-count", type=int, default=20)
    args = ap.parse_args(argv)
    paths = [args.shared / "corpora" / name for name in TRAIN_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        ap.error(f"training corpora not found: {', '.join(missing)} (pass --shared)")
    caps, totals = count(paths, args.lines_per_file)
    rows = sorted((unit, ctx, caps[(unit, ctx)], total) for (unit, ctx), total in totals.items()
                  if total >= args.min_count and 2 * caps[(unit, ctx)] > total)
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"# format: {CASE_TABLE_FORMAT}\n")
        out.write("# Syllables written with a capital inside a sentence more often than not, by the next word\n")
        out.write("# (cap: a capitalised word, low: a lowercase word, other: anything else).  Counted on the\n")
        out.write(f"# first {args.lines_per_file:,} lines of each of {', '.join(TRAIN_FILES)}\n")
        out.write(f"# (see MODEL.md for their sources and licences), min count {args.min_count},\n")
        out.write("# by scripts/build_case_table.py.  Columns: syllable, context, capitalised, total.\n")
        out.writelines(f"{unit}\t{ctx}\t{c}\t{total}\n" for unit, ctx, c, total in rows)
    print(f"{args.output}: {len(rows):,} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
