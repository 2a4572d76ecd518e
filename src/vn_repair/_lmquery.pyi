"""Types of the optional compiled module (source: _lmquery.c)."""

from collections.abc import Sequence
from typing import Any

def query(contexts: Any, words: Any, width: int, unigram: Any, unigram_bow: Any,
          levels: Sequence[tuple[Any, ...]], out: Any) -> None: ...
def group_starts(parent_bits: Any, m: int, first_bits: Any, n: int, out: Any) -> bool: ...
