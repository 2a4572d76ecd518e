#!/usr/bin/env python3
"""Build data/wordlist.txt: Vietnamese syllables with their frequency in the training corpora.

    python scripts/build_wordlist.py [--shared ../shared] [-o data/wordlist.txt] [--min-count 3]

Entries are the language-model units of vn_repair (lowercase, tone mark in "new" placement:
"hòa", "thủy") that are valid syllables under vn_repair.orthography, taken from

- the training corpora of ../shared/corpora (every training file, never a dev.txt): syllables
  seen at least --min-count times, with their counts;
- permissively licensed lists, with their corpus count (possibly below --min-count, or 0):
  iftc-syllables (MIT), pyvi-words (MIT, split into syllables), wordfreq-vi (CC BY-SA 4.0).

Not used, on purpose: hunspell-vi (GPL-2) and viet74k (GPL), whose terms would bind the list,
and wiktionary-vi (taken from a GPL-3.0 repository).  Rebuilding gives the same bytes: the
header carries the fixed data version, not the build date.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from pathlib import Path

from vn_repair.orthography import is_valid_syllable
from vn_repair.tokenize import lm_unit
from vn_repair.train import DATA_VERSION, count_units

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(os.environ.get("VN_REPAIR_SHARED", ROOT.parent / "shared"))
TRAIN_FILES = (
    "vietnews/train.txt.gz",
    "baomoi/train.txt.gz",
    "viwiki/viwiki.txt.gz",
    "vlc-law/vlc.txt.gz",
    "unc-dantri/unc.txt.gz",
)
# name: (file under lexicons/, licence, how to read it)
LISTS = {
    "iftc": ("iftc-syllables/syllables.txt", "MIT", "lines"),
    "pyvi": ("pyvi-words/words.txt", "MIT", "words"),
    "wordfreq": ("wordfreq-vi/syllable_freq.tsv", "CC BY-SA 4.0", "tsv"),
}
EXCLUDED = {"hunspell-vi": "GPL-2", "viet74k": "GPL", "wiktionary-vi": "GPL-3.0 repository"}


def _unit(word: str) -> str | None:
    word = unicodedata.normalize("NFC", word.strip())
    if not word or not is_valid_syllable(word):
        return None
    return lm_unit(word)


def _read_list(path: Path, how: str) -> set[str]:
    out: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if how == "tsv":
            words = [line.split("\t")[0]]
        elif how == "words":
            words = line.split()
        else:
            words = [line]
        for w in words:
            u = _unit(w)
            if u is not None:
                out.add(u)
    return out


def build(shared: Path, min_count: int) -> str:
    corpora = shared / "corpora"
    lexicons = shared / "lexicons"
    for name, why in EXCLUDED.items():  # say so, so nobody adds them back unawares
        if (lexicons / name).is_dir():
            print(f"not using lexicons/{name} ({why})", file=sys.stderr)
    counts, sources = count_units([corpora / f for f in TRAIN_FILES])
    syllable_counts = {u: c for u, c in counts.items() if not u.startswith("<") and is_valid_syllable(u)}
    total = sum(syllable_counts.values())
    attested: dict[str, set[str]] = {u: {"corpus"} for u, c in syllable_counts.items() if c >= min_count}
    for key, (rel, _licence, how) in LISTS.items():
        for u in _read_list(lexicons / rel, how):
            attested.setdefault(u, set()).add(key)
    entries = sorted(attested, key=lambda u: (-syllable_counts.get(u, 0), u))
    header = [
        "# vn-repair syllable list",
        "# format: vn-repair-wordlist 1",
        f"# data version: {DATA_VERSION}",
        "# licence: CC BY-SA 4.0 (the counts derive from Vietnamese Wikipedia text, the wordfreq list is",
        "#   CC BY-SA 4.0); the code that builds it is Apache-2.0.",
        "# built by: python scripts/build_wordlist.py --min-count " + str(min_count),
        "# units: lowercase Vietnamese syllables, NFC, tone mark in 'new' placement (hòa, thủy), every one",
        "#   valid under vn_repair.orthography.is_valid_syllable",
        f"# counts: occurrences in the training corpora ({total:,} syllables in all; 0 = only in a list):",
    ]
    for s in sources:
        header.append(f"#   {s.name}: {s.units:,} units, sha256 {s.sha256}")
    header += [
        "#   (licences: vietnews, baomoi: none declared, scraped news, statistics only; viwiki: CC BY-SA 3.0;",
        "#   vlc-law: legal texts, not copyrightable in Vietnam; unc-dantri: GPL-3.0 repository, articles (c) Dan tri)",
        f"# entries: syllables seen at least {min_count} times in the corpora, plus those of these lists:",
    ]
    for key, (rel, licence, _how) in LISTS.items():
        header.append(f"#   {key}: shared/lexicons/{rel} ({licence})")
    header += [
        "# not used: " + ", ".join(f"{k} ({v})" for k, v in EXCLUDED.items()),
        "# columns: syllable <TAB> corpus count <TAB> sources (corpus = count >= min count, and the lists)",
    ]
    order = ["corpus", *LISTS]
    lines = [f"{u}\t{syllable_counts.get(u, 0)}\t{','.join(k for k in order if k in attested[u])}" for u in entries]
    return "\n".join(header + lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "data" / "wordlist.txt")
    ap.add_argument("--min-count", type=int, default=3)
    args = ap.parse_args()
    if not (args.shared / "corpora").is_dir():
        print(f"build_wordlist: no corpora under {args.shared}", file=sys.stderr)
        return 1
    text = build(args.shared, args.min_count)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    n = sum(1 for line in text.splitlines() if not line.startswith("#"))
    print(f"wrote {args.output}: {n:,} syllables", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
