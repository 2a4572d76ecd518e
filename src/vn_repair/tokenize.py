"""A lossless tokenizer: ``"".join(t.text for t in tokenize(s)) == s`` for every string.

It tells word-like runs of letters (which later stages may repair) from numbers, punctuation,
whitespace, URLs, e-mail addresses and code-like tokens (letters mixed with digits or
underscores, camelCase, dotted abbreviations such as "V.I.Lenin" or "TP.HCM"), which later
stages leave alone.  Whether a word is a Vietnamese syllable, a foreign word or a damaged
syllable is not decided here: that takes the orthography and the damage model.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal, NamedTuple

import regex

from .orthography import is_valid_syllable, set_tone_style

__all__ = [
    "BOS",
    "EOS",
    "NUM",
    "PUNCT",
    "SENTENCE_END",
    "UNK",
    "Token",
    "TokenKind",
    "lm_sentences",
    "lm_unit",
    "token_unit",
    "tokenize",
]

TokenKind = Literal["word", "number", "punct", "space", "url", "email", "code"]

#: Placeholder characters that stand for one lost letter inside a word.
PLACEHOLDERS = "?\N{REPLACEMENT CHARACTER}"

_TOKEN_RE = regex.compile(
    r"""
    (?P<url>(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)[^\s<>"']*[^\s<>"'.,;:!?)\]}])
  | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<code>
        [\p{L}\p{M}\d_]*(?:\d[\p{L}\p{M}_]|[\p{L}\p{M}_]\d|_)[\p{L}\p{M}\d_]*   # letters with digits/_
      | \p{L}[\p{L}\p{M}]*(?:\.\p{L}[\p{L}\p{M}]*)+                             # V.I.Lenin, TP.HCM
      | \p{Ll}[\p{Ll}\p{M}]*\p{Lu}[\p{L}\p{M}]*                                  # iPhone, camelCase
      | \p{Lu}[\p{Ll}\p{M}]+\p{Lu}[\p{L}\p{M}]*                                  # EmailPrint
    )
  | (?P<word>
        [\p{L}\p{M}\N{REPLACEMENT CHARACTER}]+(?:\?+[\p{L}\p{M}\N{REPLACEMENT CHARACTER}]+)*
    )
  | (?P<number>\d+(?:[.,:/]\d+)*)
  | (?P<space>\s+)
  | (?P<punct>[^\s\p{L}\p{M}\d]+?(?=[\s\p{L}\p{M}\d]|$)|[^\s\p{L}\p{M}\d])
    """,
    regex.VERBOSE | regex.V0,
)


class Token(NamedTuple):
    """A run of the input: its text, kind and code-point offset."""

    text: str
    kind: TokenKind
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


_CHUNK_RE = re.compile(r"\S+|\s+")


def _is_plain_word(chunk: str) -> bool:
    # Letters only, in one of the three ordinary case patterns: the common case, decided
    # without the full regex.  Anything else (camelCase, digits, marks, punctuation) takes it.
    return chunk.isalpha() and (chunk.islower() or chunk.istitle() or chunk.isupper())


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens that join back to it exactly."""
    out: list[Token] = []
    append = out.append
    for m in _CHUNK_RE.finditer(text):
        chunk = m.group()
        start = m.start()
        if chunk[0].isspace():
            append(Token(chunk, "space", start))
        elif _is_plain_word(chunk):
            append(Token(chunk, "word", start))
        else:
            for t in _TOKEN_RE.finditer(chunk):
                append(Token(t.group(), t.lastgroup, start + t.start()))  # type: ignore[arg-type]
    return out


# Units of the language model.
BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"
NUM = "<num>"
PUNCT = "<p>"

_SENTENCE_END = frozenset(".!?\N{HORIZONTAL ELLIPSIS}")


@lru_cache(maxsize=1 << 18)
def lm_unit(word: str) -> str:
    """The language-model unit of a word token: its lowercase NFC form, with the tone mark of a
    syllable moved to "new" placement.  Words that are not syllables ("tp", "km", "trump") stay
    units of their own: the model's vocabulary keeps the frequent ones, so abbreviations, units
    and foreign names that recur get their own probabilities, and the rest become UNK there."""
    lower = unicodedata.normalize("NFC", word.lower())
    if not is_valid_syllable(lower):
        return lower
    return set_tone_style(lower, "new")


#: What :func:`token_unit` gives for punctuation that ends a sentence.
SENTENCE_END = "</s>"


def token_unit(kind: str, text: str) -> str | None:
    """The language-model unit of one token: :func:`lm_unit` for a word, NUM for a number,
    SENTENCE_END for punctuation with . ! ? or …, PUNCT for other punctuation, UNK for URLs,
    e-mail addresses and code, None for whitespace.  The one definition of the units that
    training, :func:`lm_sentences` and the decoder share."""
    if kind == "word":
        return lm_unit(text)
    if kind == "number":
        return NUM
    if kind == "punct":
        return SENTENCE_END if _SENTENCE_END.intersection(text) else PUNCT
    if kind == "space":
        return None
    return UNK


def lm_sentences(text: str) -> list[list[str]]:
    """Language-model units of ``text``, one list per sentence (boundaries not included).

    Words become lowercase (syllables in "new" tone placement, see :func:`lm_unit`), numbers
    NUM, URLs, e-mail addresses and code-like tokens UNK, a run of punctuation PUNCT; punctuation containing . ! ? or … ends a sentence.  Lines
    always end sentences.
    """
    sentences: list[list[str]] = []
    for line in text.splitlines():
        current: list[str] = []
        for tok in tokenize(line):
            unit = token_unit(tok.kind, tok.text)
            if unit is None:
                continue
            if unit == SENTENCE_END:
                if current:
                    sentences.append(current)
                current = []
            elif unit != PUNCT or not current or current[-1] != PUNCT:
                current.append(unit)
        if current:
            sentences.append(current)
    return sentences
