"""Where the packaged data lives, for both installed wheels and editable checkouts.

data/wordlist.txt sits at the top of the repository (where people look for it) and is copied
into the wheel as ``vn_repair/data/wordlist.txt``; an editable install finds it in the checkout.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

__all__ = ["load_wordlist", "wordlist_path"]

WORDLIST_NAME = "wordlist.txt"
WORDLIST_FORMAT = "vn-repair-wordlist"


def wordlist_path() -> Path:
    """Path of the shipped word list; FileNotFoundError naming both places looked in."""
    packaged = resources.files("vn_repair").joinpath("data", WORDLIST_NAME)
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
