"""Where the packaged data lives, for both installed wheels and editable checkouts.

data/wordlist.txt sits at the top of the repository (where people look for it) and is copied
into the wheel as ``vn_repair/data/wordlist.txt``; an editable install finds it in the checkout.
The case, name, shape and capitals tables live in the package itself
(``vn_repair/data/case.tsv``, ``names.tsv``, ``shapes.tsv``, ``capitals.tsv``).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

__all__ = [
    "CAPITALS_PRIOR_WEIGHT",
    "CAPITALS_TABLE_FORMAT",
    "CAPITALS_TABLE_NAME",
    "CASE_TABLE_FORMAT",
    "CASE_TABLE_NAME",
    "NAME_TABLE_FORMAT",
    "NAME_TABLE_NAME",
    "SHAPE_SYLLABLE_ROW",
    "SHAPE_TABLE_FORMAT",
    "SHAPE_TABLE_NAME",
    "capitals_rate",
    "load_capitals_table",
    "load_case_table",
    "load_name_table",
    "load_shape_table",
    "load_wordlist",
    "shape_of",
    "wordlist_path",
]

WORDLIST_NAME = "wordlist.txt"
WORDLIST_FORMAT = "vn-repair-wordlist"
#: The case table (built by scripts/build_case_table.py) and the first line it starts with.
CASE_TABLE_NAME = "case.tsv"
CASE_TABLE_FORMAT = "vn-repair-case 1"
#: The name table (built by the same script): pairs of syllables mostly written both capitalised.
NAME_TABLE_NAME = "names.tsv"
NAME_TABLE_FORMAT = "vn-repair-names 1"
#: The shape table (built by the same script): how words that are not syllables are written.
SHAPE_TABLE_NAME = "shapes.tsv"
SHAPE_TABLE_FORMAT = "vn-repair-shapes 1"
#: The shape table's row of all syllables together.
SHAPE_SYLLABLE_ROW = "<syllable>"
#: The capitals table (built by the same script): syllables written in capitals, inside lines
#: that are not, much more or much less often than syllables are ("CA" for công an, "của");
#: its row SHAPE_SYLLABLE_ROW counts all syllables.
CAPITALS_TABLE_NAME = "capitals.tsv"
CAPITALS_TABLE_FORMAT = "vn-repair-capitals 1"
#: A syllable's rate of capitals is (its capitals + w * rate of all) / (its count + w): it takes
#: a few thousand sightings to move far from the rate of all syllables.  The table lists those
#: whose rate so estimated is at least twice, or at most half, the rate of all.
CAPITALS_PRIOR_WEIGHT = 2000


def wordlist_path() -> Path:
    """Path of the shipped word list; FileNotFoundError naming both places looked in."""
    packaged = resources.files("vn_repair") / "data" / WORDLIST_NAME
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "data" / WORDLIST_NAME
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"{WORDLIST_NAME} is neither in the package ({packaged}) nor in a source checkout ({checkout})")


@functools.cache
def load_wordlist() -> dict[str, int]:
    """The shipped word list: syllable (lowercase, "new" tone placement) → corpus count."""
    path = wordlist_path()
    out: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    head = lines[:2]
    if not any(line.startswith(f"# format: {WORDLIST_FORMAT} 1") for line in head):
        raise ValueError(f"{path}: not a {WORDLIST_FORMAT} version 1 file (header {head!r})")
    for n, line in enumerate(lines[2:], 3):
        if line.startswith("#") or not line.strip():
            continue
        word, tab, count = line.partition("\t")
        if not tab:
            raise ValueError(f"{path}:{n}: expected 'word<TAB>count', got {line!r}")
        out[word] = int(count.partition("\t")[0])
    return out


def _table_rows(name: str, format_line: str, columns: int) -> list[list[str]]:
    """The tab-separated rows of packaged table ``name`` (comment lines skipped), after
    checking that it starts with ``# format: {format_line}`` and each row has ``columns``."""
    ref = resources.files("vn_repair") / "data" / name
    lines = ref.read_text(encoding="utf-8").split("\n")
    if not lines or lines[0] != f"# format: {format_line}":
        raise ValueError(f"{ref}: not a {format_line} file (first line {lines[:1]!r})")
    rows = []
    for n, line in enumerate(lines[1:], 2):
        if not line or line.startswith("#"):
            continue
        row = line.split("\t")
        if len(row) != columns:
            raise ValueError(f"{ref}:{n}: expected {columns} tab-separated columns, got {line!r}")
        rows.append(row)
    return rows


@functools.cache
def load_case_table() -> frozenset[tuple[str, str]]:
    """The shipped case table: (syllable, what follows) pairs that are written with a capital
    inside a sentence more often than not; what follows is "cap", "low" or "other"."""
    return frozenset((row[0], row[1]) for row in _table_rows(CASE_TABLE_NAME, CASE_TABLE_FORMAT, 4))


def shape_of(word: str) -> int:
    """0 for a word written in lowercase, 1 capitalised (a single capital letter too), 2 in
    capitals (two letters or more): the columns of the shape table."""
    if len(word) >= 2 and word.isupper():
        return 2
    return 1 if word[:1].isupper() else 0


@functools.cache
def load_shape_table() -> dict[str, tuple[int, int, int]]:
    """The shipped shape table: model unit → how often it is written (lower, title, upper);
    the key :data:`SHAPE_SYLLABLE_ROW` holds the counts of all syllables together."""
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]))
            for row in _table_rows(SHAPE_TABLE_NAME, SHAPE_TABLE_FORMAT, 4)}


@functools.cache
def load_capitals_table() -> dict[str, tuple[int, int]]:
    """The shipped capitals table: syllable → (written in capitals, seen), inside lines not in
    capitals; the key :data:`SHAPE_SYLLABLE_ROW` holds all syllables together."""
    return {row[0]: (int(row[1]), int(row[2]))
            for row in _table_rows(CAPITALS_TABLE_NAME, CAPITALS_TABLE_FORMAT, 3)}


def capitals_rate(upper: int, seen: int, rate_all: float) -> float:
    """A syllable's rate of being written in capitals, drawn towards ``rate_all``
    (:data:`CAPITALS_PRIOR_WEIGHT`)."""
    return (upper + CAPITALS_PRIOR_WEIGHT * rate_all) / (seen + CAPITALS_PRIOR_WEIGHT)


@functools.cache
def load_name_table() -> frozenset[tuple[str, str]]:
    """The shipped name table: pairs of syllables (lowercase units) that are written both
    capitalised more often than not, the first inside a sentence ("ấn", "độ")."""
    return frozenset((row[0], row[1]) for row in _table_rows(NAME_TABLE_NAME, NAME_TABLE_FORMAT, 4))
