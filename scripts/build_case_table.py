#!/usr/bin/env python3
"""Build src/vn_repair/data/case.tsv, the syllables that are written with a capital inside a
sentence more often than not, by what follows them; and src/vn_repair/data/shapes.tsv, how
often each other word (abbreviations, acronyms, foreign words) is written in lowercase,
capitalised and in capitals; src/vn_repair/data/names.tsv; and src/vn_repair/data/capitals.tsv,
the syllables written in capitals, alone in ordinary text, much more or much less often than
others.

    python scripts/build_case_table.py [--shared ../shared] [-o src/vn_repair/data/case.tsv]
        [--shapes-output src/vn_repair/data/shapes.tsv] [--names-output src/vn_repair/data/names.tsv]
        [--capitals-output src/vn_repair/data/capitals.tsv] [--lines-per-file 100000] [--min-count 20]

When damage takes a word's first letter ("?ng" for "ông", "nh" for "Ảnh"), its case is gone
with it.  The restorer then asks this table: inside a sentence, is this syllable mostly
capitalised, given that the next word is capitalised ("Ấn Độ", but "ông Nguyễn"), lowercase,
or unknown (not a word, or itself damaged)?  Counted on the first --lines-per-file lines of each
training corpus of ../shared/corpora (never a dev.txt); a syllable is listed for a context when
it was seen there at least --min-count times and capitalised in more than half of them.

The shape table answers the same loss from the other side: "mt" is a word the model knows
(the acronym MT), but it is written "MT" almost always, so "mt" or "Mt" in running text is
more likely "một" or "Một" with a letter lost.  It lists every word that is not a syllable
and was seen at least --min-count times, with how often it was written in lowercase,
capitalised (a single capital letter included) and in capitals; the row "<syllable>" gives
the same counts for all syllables together.

The name table (src/vn_repair/data/names.tsv) lists the pairs of syllables written both
capitalised more often than not, the first inside a sentence: a name whose two syllables both
lost their first letter ("?n ??" for "Ấn Độ") is capitalised as a whole.

The capitals table tells a syllable in capitals inside ordinary text from a damaged word: "CA"
is công an far more often than "CỦA" with its "Ủ" lost, since "CA" is written in capitals 25
times as often as syllables are and "của" never.  It counts syllables in lines that are
neither in capitals (headlines) nor hold two words in capitals side by side (a name in a
byline): the lines where the restorer uses it.  Rebuilding gives the same
bytes.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from build_wordlist import DEFAULT_SHARED, ROOT, TRAIN_FILES  # the same training corpora

from vn_repair.data_files import (
    CAPITALS_PRIOR_WEIGHT,
    CAPITALS_TABLE_FORMAT,
    CAPITALS_TABLE_NAME,
    CASE_TABLE_FORMAT,
    CASE_TABLE_NAME,
    NAME_TABLE_FORMAT,
    NAME_TABLE_NAME,
    SHAPE_SYLLABLE_ROW,
    SHAPE_TABLE_FORMAT,
    SHAPE_TABLE_NAME,
    capitals_rate,
    shape_of,
)
from vn_repair.orthography import is_valid_syllable
from vn_repair.restore import _caps_run_lines, _is_caps_line
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


class Counts(NamedTuple):
    caps: Counter  # (syllable, next) -> capitalised inside a sentence
    totals: Counter  # (syllable, next) -> seen inside a sentence
    shapes: dict[str, list[int]]  # word -> [lowercase, capitalised, capitals]
    pair_caps: Counter  # (syllable, syllable) -> both capitalised, the first inside a sentence
    pair_totals: Counter  # (syllable, syllable) -> seen so
    upper: Counter  # syllable -> written in capitals, in a line not in capitals (see count)
    seen: Counter  # syllable -> seen in such a line


def count(paths: list[Path], lines_per_file: int) -> Counts:
    caps: Counter = Counter()
    totals: Counter = Counter()
    shapes: dict[str, list[int]] = {}
    pair_caps: Counter = Counter()
    pair_totals: Counter = Counter()
    upper: Counter = Counter()
    seen: Counter = Counter()
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= lines_per_file:
                    break
                tokens = tokenize(line.rstrip("\n"))
                # A headline, or a line with words in capitals side by side (a name in a byline):
                # the restorer reads every word there as Vietnamese in capitals.
                in_capitals = _is_caps_line(line) or bool(_caps_run_lines(line))
                start = True  # the next word begins a sentence
                for i, t in enumerate(tokens):
                    if t.kind == "word":
                        syllable = is_valid_syllable(t.text)
                        if t.text.isalpha():
                            unit = SHAPE_SYLLABLE_ROW if syllable else lm_unit(t.text)
                            shape = shape_of(t.text)
                            shapes.setdefault(unit, [0, 0, 0])[shape] += 1
                            if syllable and not in_capitals and len(t.text) >= 2:  # as the restorer
                                key = lm_unit(t.text)
                                seen[key] += 1
                                upper[key] += shape == 2
                        if not start and syllable:
                            key = (lm_unit(t.text), _next_context(tokens, i))
                            totals[key] += 1
                            caps[key] += t.text[:1].isupper()
                            nxt = _next_syllable(tokens, i)
                            if nxt is not None:
                                pair = (key[0], lm_unit(nxt))
                                pair_totals[pair] += 1
                                pair_caps[pair] += t.text[:1].isupper() and nxt[:1].isupper()
                        start = False
                    elif t.kind != "space" and token_unit(t.kind, t.text) == SENTENCE_END:
                        start = True
        print(f"{path}: {len(totals):,} (syllable, context) pairs so far", file=sys.stderr)
    return Counts(caps, totals, shapes, pair_caps, pair_totals, upper, seen)


def _next_syllable(tokens: list, i: int) -> str | None:
    """The syllable after word token i past one space, if there is one."""
    if i + 2 < len(tokens) and tokens[i + 1].kind == "space" and tokens[i + 1].text == " " \
            and tokens[i + 2].kind == "word" and is_valid_syllable(tokens[i + 2].text):
        return tokens[i + 2].text
    return None


def _write_table(path: Path, format_line: str, header: list[str], rows: list[tuple]) -> None:
    """A packaged table: its format line, ``header`` as comment lines, then tab-separated rows."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"# format: {format_line}\n")
        out.writelines(f"# {line}\n" for line in header)
        out.writelines("\t".join(map(str, row)) + "\n" for row in rows)
    print(f"{path}: {len(rows):,} rows", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "src" / "vn_repair" / "data" / CASE_TABLE_NAME)
    ap.add_argument("--shapes-output", type=Path, default=ROOT / "src" / "vn_repair" / "data" / SHAPE_TABLE_NAME)
    ap.add_argument("--names-output", type=Path, default=ROOT / "src" / "vn_repair" / "data" / NAME_TABLE_NAME)
    ap.add_argument("--capitals-output", type=Path,
                    default=ROOT / "src" / "vn_repair" / "data" / CAPITALS_TABLE_NAME)
    ap.add_argument("--lines-per-file", type=int, default=100_000)
    ap.add_argument("--min-count", type=int, default=20)
    args = ap.parse_args(argv)
    paths = [args.shared / "corpora" / name for name in TRAIN_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        ap.error(f"training corpora not found: {', '.join(missing)} (pass --shared)")
    caps, totals, shapes, pair_caps, pair_totals, upper, seen = count(paths, args.lines_per_file)
    provenance = [f"(see MODEL.md for their sources and licences), min count {args.min_count},"]
    files = ", ".join(TRAIN_FILES)
    first = f"first {args.lines_per_file:,} lines of each of"
    _write_table(args.output, CASE_TABLE_FORMAT, [
        "Syllables written with a capital inside a sentence more often than not, by the next word",
        "(cap: a capitalised word, low: a lowercase word, other: anything else).  Counted on the",
        f"{first} {files}", *provenance,
        "by scripts/build_case_table.py.  Columns: syllable, context, capitalised, total.",
    ], sorted((unit, ctx, caps[(unit, ctx)], total) for (unit, ctx), total in totals.items()
              if total >= args.min_count and 2 * caps[(unit, ctx)] > total))
    _write_table(args.shapes_output, SHAPE_TABLE_FORMAT, [
        "Words that are not syllables (abbreviations, acronyms, foreign words), by how often they",
        "are written in lowercase, capitalised (a single capital included) and in capitals; the",
        f"row {SHAPE_SYLLABLE_ROW} counts all syllables.  Counted on the {first}", files, *provenance,
        "by scripts/build_case_table.py.  Columns: word (as a model unit), lower, title, upper.",
    ], sorted((unit, *c) for unit, c in shapes.items() if sum(c) >= args.min_count))
    _write_table(args.names_output, NAME_TABLE_FORMAT, [
        "Pairs of syllables written both capitalised more often than not, the first inside a",
        f"sentence (\"Ấn Độ\", \"Đà Nẵng\").  Counted on the {first}", files, *provenance,
        "by scripts/build_case_table.py.  Columns: first, second, both capitalised, total.",
    ], sorted((*pair, pair_caps[pair], total) for pair, total in pair_totals.items()
              if total >= args.min_count and 2 * pair_caps[pair] > total))
    rate_all = sum(upper.values()) / max(1, sum(seen.values()))
    _write_table(args.capitals_output, CAPITALS_TABLE_FORMAT, [
        "Syllables written in capitals (two letters or more), inside lines that are not in",
        "capitals, at least twice or at most half as often as syllables are (\"CA\" for công an,",
        f"\"của\"; rates drawn towards that of all, weight {CAPITALS_PRIOR_WEIGHT}); the row",
        f"{SHAPE_SYLLABLE_ROW} counts all syllables.  Counted on the {first}", files, *provenance,
        "by scripts/build_case_table.py.  Columns: syllable, in capitals, seen.",
    ], [(SHAPE_SYLLABLE_ROW, sum(upper.values()), sum(seen.values()))] + sorted(
        (unit, upper[unit], n) for unit, n in seen.items()
        if n >= args.min_count and not 0.5 < capitals_rate(upper[unit], n, rate_all) / rate_all < 2.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
