"""The decoder: restore lost letters and marks with the channel indexes and the language
model (noisy channel: argmax_c P(observed | c) · P_LM(c)), for a document whose first pass
(:mod:`vn_repair.estimate`) found damage.

Per document:

1. every word token is looked up in the channel indexes, under the damage rates the first
   pass estimated;
2. per sentence, a lattice of candidates per token; positions with one candidate are fixed, and
   the lattice splits into independent clusters of open positions, each decoded exactly with
   forward-backward over trigram states;
3. a token is changed when its best candidate differs from what is written and its posterior
   probability clears ``Config.threshold``.

Case is decided on lowercase syllables and transferred back; restored words follow the
document's tone-mark placement; punctuation and spacing are never touched.
:func:`vn_repair.engine.restore_text` runs the two passes window by window.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np

from .channels import (
    BEST_FIT,
    DROP,
    EVENTS,
    KEEP_BLOCK,
    KEEP_MARKED,
    LOOKALIKE,
    PLACEHOLDER,
    PLACEHOLDER_MARKED,
    CandidateIndex,
    build_strip_index,
    build_strip_placeholder_index,
    is_block_letter,
    lookalike_variants,
)
from .config import Config, decoder_threads
from .data_files import (
    SHAPE_SYLLABLE_ROW,
    capitals_rate,
    load_capitals_table,
    load_case_table,
    load_name_table,
    load_shape_table,
    shape_of,
)
from .edits import Edit, RawEdit, edit_records
from .estimate import _LETTER_RE, RARE_LOG10, DamageEstimate, Lexicon, check_decoder_order, get_lexicon
from .lm import speedups
from .orthography import (
    has_style_variant,
    is_valid_syllable,
    set_tone_style,
    strip_marks,
    tone_spellings,
    tone_style_of,
)
from .tokenize import _TOKEN_RE, PLACEHOLDERS, PUNCT, SENTENCE_END, _is_plain_word, lm_unit, token_unit

__all__ = ["DamageEstimate", "Restorer", "get_restorer"]

_LN10 = math.log(10.0)
# A quotation opened after a colon: "Ông nói: “Đất nước..."
_QUOTE_OPENS_RE = re.compile(':\\s?["“«]\\Z')
_OFFSET = operator.itemgetter(0)
_QUOTES_OPENING = '"“«'  # what _QUOTE_OPENS_RE ends with: most words need no search
# An emoticon opening a chunk: a colon, semicolon or "=", maybe a nose, then one ASCII
# consonant, repeated or not, and no letter after it (":p", ":vv", ":-D"; not ":Vũ").  Not a
# vowel: after a colon set off by a space, "o", "a", "y" are as likely "ở", "à", "ý" stripped.
_EMOTICON_RE = re.compile(r"[:;=][-'^]?([b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ])\1*(?![^\W\d_])")
# The word that ends a stretch of text (letters, placeholders standing for letters).
_LAST_WORD_RE = re.compile("(?:[^\\W\\d_]|[?\N{REPLACEMENT CHARACTER}])+\\Z")

# Log10 prior cost of reading an unknown word that some channel could have made as a genuine
# foreign word, name or acronym: the language model's <unk> probability is shared by all of
# them.  Acronyms are written in capitals and names capitalised, so those cost less.
KEEP_UNKNOWN_LOG10 = {"lower": -4.5, "title": -4.0, "upper": -2.0}


KEEP_LONE_PLACEHOLDER_LOG10 = -1.0


def _keep_unknown_log10(word: str) -> float:
    letters = [c for c in word if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return KEEP_UNKNOWN_LOG10["upper"]
    if letters and letters[0].isupper():
        return KEEP_UNKNOWN_LOG10["title"]
    return KEEP_UNKNOWN_LOG10["lower"]
# Candidates whose channel + unigram score falls this far (log10) below the best are dropped,
# and at most MAX_CANDIDATES are kept.  The coarse pass makes width cheap, and context does
# swing decisions that far: on 5,000 vietnews and all baomoi dev lines at sparse 0.01 / 0.05 /
# 0.15, 24 candidates within 8 instead of 12 within 3.5 raised recall by 0.3-0.7 points
# (vietnews 94.88 / 96.08 / 96.01 -> 95.57 / 96.38 / 96.61%), with the same clean tokens
# broken, in about 1.25x the time.
PRUNE_LOG10 = 8.0
MAX_CANDIDATES = 24
# A one-letter form has more: "m" is what 40 syllables leave ("mẹ", "mỹ", "mẽ", "ấm"...), and
# the unigram ranks first those that context rarely wants ("mạnh m" is "mạnh mẽ").
MAX_CANDIDATES_ONE_LETTER = 48
# Where damage is dense (stripped lines, or a drop rate above DENSE_RATE) every word is open and
# its neighbours are open too, so every position pays width**2 in the coarse pass: a narrower
# list.  (On 600 vietnews dev lines, 16 within 6 instead of 12 within 5 removes 94.65 instead
# of 94.57% of the errors of stripped text and 95.39 instead of 95.22% of total drop.)
DENSE_RATE = 0.3
MAX_CANDIDATES_DENSE = 16
PRUNE_DENSE_LOG10 = 6.0
# Word analyses kept across documents (each a few small arrays); the cache is emptied when full.
OPTIONS_CACHE_SIZE = 200_000
# The same for words' candidates under one document's rates (a text's rates are the same as
# the last one's where its damage is: every stripped line, say), and for restored words as
# written out.
CANDIDATES_CACHE_SIZE = 20_000
# Float cells of trigram tables decoded in one batch (8 bytes each).
BATCH_CELLS = 4_000_000
# The same for the exact pass, which holds several arrays the size of its tables.
EXACT_BATCH_CELLS = 1_000_000
# Coarse to fine: where a cluster has more candidates than this at a position (dense damage),
# a coarse pass keeps the FINE_WIDTH likeliest (the reading as written among them) with at
# least PRUNE_POSTERIOR, and only those enter the exact trigram-state pass, whose cost grows
# with the cube of the width.
FINE_WIDTH = 4
PRUNE_POSTERIOR = 0.001
COARSE_ORDER = 3
# How far a word's odds of being written in capitals (capitals.tsv) may move a reading of a
# word in capitals alone in a lowercase line, in ln: the table counts news, Wikipedia and law,
# where such a word is an acronym ("CA") or a name; elsewhere capitals also mark emphasis
# ("đến VÀ ở lại", stripped: "den VA o lai") and names in photo credits ("Ảnh: D. TRUNG"), so a
# reading never seen in capitals loses a factor of e at most (the table says up to e**4.8 for
# "và" and "của"), and one often seen so gains e**3.5 at most.
CAPITALS_LOG_RANGE = (-1.0, 3.5)
# How often layout leaves a double space between two words, per gap: a Beta prior (mean 0.02)
# that each document updates with the double spaces its vanished words do not explain.  The
# training corpora have their spaces collapsed, so they cannot say; scraped pages vary.
LAYOUT_GAP_PRIOR = (1.0, 49.0)
# A capitalised syllable right after a capitalised foreign word ("Guo Lin", "Kwok Hing") is
# taken for part of that name unless context all but settles the restoration ("Vsip Hải
# Phòng"): the foreign word is <unk> to the model, so the posterior there rests mostly on how
# common the restored syllable is.
FOREIGN_NAME_THRESHOLD = 0.99


class _MixedKind(str):
    """The edit kind of a word open to dropped letters and look-alikes ("dropped-letter"), with
    the kind of each of its candidates' readings in ``labels``."""

    labels: tuple[str, ...]


class _Slot:
    """A word token open to restoration, with its candidates."""

    __slots__ = ("at_start", "cands", "channel", "kind", "start", "text")

    def __init__(self, start: int, text: str, cands: np.ndarray, channel: np.ndarray, kind: str,
                 at_start: bool = False):
        self.at_start = at_start  # first word of its sentence
        self.start = start
        self.text = text
        self.cands = cands  # vocabulary ids (int32); cands[0] is the reading as written
        self.channel = channel  # ln P(observed | candidate)
        self.kind = kind


# A coarse batch ready for the exact pass: (clusters, candidates, channel scores, real
# positions, likeliest units, the coarse pick of each candidate or None).
_Fine = tuple[list[list[int | _Slot]], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]


class Restorer:
    """Restoration with one language model and its :class:`~vn_repair.estimate.Lexicon` (the
    first pass and the channel indexes); build once per process and reuse.  Thread-safe:
    per-call state is local, and the shared caches (the lexicon's indexes, word analyses, the
    model's search structures) are filled idempotently, so two threads filling one at once only
    repeat work."""

    def __init__(self, model: object, lexicon: Lexicon | None = None) -> None:
        self.model = model
        vocab: Sequence[str] = model.vocab  # type: ignore[attr-defined]
        self.vocab = vocab
        self.unigram = np.asarray(model.unigram_log10, dtype=np.float64)  # type: ignore[attr-defined]
        if lexicon is None:
            lexicon = Lexicon(vocab, self.unigram.tolist())
        elif list(lexicon.vocab) != list(vocab):
            raise ValueError("the lexicon was read from another model than this one")
        self.lexicon = lexicon
        self.word_ids = lexicon.word_ids  # the same vocabulary, checked above
        self.unk_id: int = model.unk_id  # type: ignore[attr-defined]
        self.bos_id: int = model.bos_id  # type: ignore[attr-defined]
        self.eos_id: int = model.eos_id  # type: ignore[attr-defined]
        self.punct_id: int = self.word_ids.get(PUNCT, self.unk_id)
        self.syllable_ids = lexicon.syllable_ids
        self._syllable_set = lexicon.syllable_set
        self.ctx = check_decoder_order(int(getattr(model, "order", 3))) - 1
        self._options_cache: dict[tuple[str, bool, frozenset[str] | None, bool], object] = {}
        self._candidates_cache: dict[tuple[object, ...], object] = {}
        self._logs_key: tuple[object, bytes] = (None, b"")  # the last rates seen, and their key
        # (unit, as written, tone style asked for) -> (unit, as restored, first letter lost)
        self._rendered_cache: dict[tuple[int, str, str], tuple[str, str, bool]] = {}
        # Counts of block letters / marked letters per vocabulary syllable, for ln P(intact),
        # read off UTF-8: a U+1EA0..U+1EF9 letter is E1 BA xx or E1 BB xx (two bytes more than
        # its one character), the other marked letters of a syllable take two bytes (one more).
        self._n_block = np.zeros(len(vocab), dtype=np.int8)
        self._n_marked = np.zeros(len(vocab), dtype=np.int8)
        if self.syllable_ids:
            raw = [vocab[i].encode("utf-8") for i in self.syllable_ids]
            block = np.array([b.count(b"\xe1\xba") + b.count(b"\xe1\xbb") for b in raw])
            extra = np.array([len(b) for b in raw]) - np.array([len(vocab[i]) for i in self.syllable_ids])
            self._n_block[self.syllable_ids] = block
            self._n_marked[self.syllable_ids] = extra - 2 * block

    # -- indexes -------------------------------------------------------------------------
    def index(self, channels: frozenset[str]) -> CandidateIndex:
        return self.lexicon.index(channels)

    def estimate(self, text: str, config: Config) -> DamageEstimate:
        """The first pass over ``text`` (:meth:`vn_repair.estimate.Lexicon.estimate`)."""
        return self.lexicon.estimate(text, config)

    # The other tables are built on first use, like the channel indexes, and kept.
    @functools.cached_property
    def _shapes(self) -> dict[str, tuple[int, int, int]]:
        """How words that are not syllables are written (``vn_repair/data/shapes.tsv``)."""
        return load_shape_table()

    def _shape_log10(self, written: str, unit: str) -> float:
        """log10 of how much less likely a word the model knows that is not a syllable (an
        abbreviation, acronym or foreign word) is written this way ("mt", "Mt") than a syllable
        is (``vn_repair/data/shapes.tsv``); never above 0, and 0 for words not counted."""
        counts = self._shapes.get(unit)
        syllables = self._shapes.get(SHAPE_SYLLABLE_ROW)
        if counts is None or syllables is None:
            return 0.0
        k = shape_of(written)
        # Capitalised may only mean the start of a sentence (not known here, the analysis is
        # kept across positions), where any word is: read it as lowercase or capitalised.
        # "Km" at the start of a sentence stays "Km"; "Mt" is still rare either way.
        cols = (0, 1) if k == 1 else (k,)
        unit_p = (sum(counts[c] for c in cols) + 1) / (sum(counts) + 3)
        syllable_p = (sum(syllables[c] for c in cols) + 1) / (sum(syllables) + 3)
        return min(0.0, math.log10(unit_p / syllable_p))

    @functools.cached_property
    def _capitals_log(self) -> np.ndarray:
        """Per unit id, ln of how much more often the unit is written in capitals, inside a line
        that is not, than syllables are (``vn_repair/data/capitals.tsv``), within
        CAPITALS_LOG_RANGE; 0 for units not listed.  "CA" is công an, not "CỦA" with a letter
        lost: "ca" +3.2, "của" -1 (-4.8 before the bound)."""
        out = np.zeros(len(self.vocab))
        table = load_capitals_table()
        if SHAPE_SYLLABLE_ROW not in table:
            return out
        upper, seen = table[SHAPE_SYLLABLE_ROW]
        rate_all = max(upper, 1) / max(seen, 1)
        for unit, (upper, seen) in table.items():
            uid = self.word_ids.get(unit)
            if uid is not None and unit != SHAPE_SYLLABLE_ROW:
                out[uid] = math.log(capitals_rate(upper, seen, rate_all) / rate_all)
        return np.clip(out, *CAPITALS_LOG_RANGE)

    @functools.cached_property
    def strip_index(self) -> dict[str, np.ndarray]:
        """Stripped form → ids of the syllables, and of the other units the model knows written
        with marks ("hđnd", "ôtô", "đắk"), that strip to it
        (:func:`~vn_repair.channels.build_strip_index`)."""
        return build_strip_index(self.vocab, [*self.syllable_ids, *self.lexicon.marked_units])

    @functools.cached_property
    def strip_placeholder_index(self) -> dict[str, np.ndarray]:
        """Stripped form with "?" → ids (:func:`~vn_repair.channels.build_strip_placeholder_index`)."""
        return build_strip_placeholder_index(self.vocab, self.syllable_ids)

    @functools.cached_property
    def name_table(self) -> frozenset[tuple[str, str]]:
        """Pairs of syllables mostly written both capitalised (``vn_repair/data/names.tsv``,
        built by scripts/build_case_table.py)."""
        return load_name_table()

    @functools.cached_property
    def case_table(self) -> frozenset[tuple[str, str]]:
        """(syllable, what follows) pairs written with a capital inside a sentence more often
        than not (``vn_repair/data/case.tsv``, built by scripts/build_case_table.py)."""
        return load_case_table()

    @functools.cached_property
    def vanishing_ids(self) -> np.ndarray:
        """Vocabulary syllables made only of U+1EA0..U+1EF9 letters, which can vanish whole."""
        return np.array([i for i in self.syllable_ids if all(is_block_letter(c) for c in self.vocab[i])],
                        dtype=np.int32)

    # -- restoration -----------------------------------------------------------------------
    def restore(self, text: str, config: Config, estimate: DamageEstimate | None = None) -> list[Edit]:
        """Edits (offsets into ``text``) that restore damaged words of ``text``; ``estimate`` is
        the first pass's, when it has been made already."""
        return edit_records(self.raw_edits(text, config, estimate))

    def raw_edits(self, text: str, config: Config, estimate: DamageEstimate | None = None) -> list[RawEdit]:
        """:meth:`restore`'s edits as :data:`~vn_repair.edits.RawEdit` tuples, in text order."""
        est = self.estimate(text, config) if estimate is None else estimate
        if est.is_clean:
            return []
        return self._decode(text, est, config)

    def _channel_logs(self, est: DamageEstimate) -> np.ndarray:
        eps = 1e-9
        p_drop, p_ph, p_la, p_phm = est.drop, est.placeholder, est.lookalike, est.placeholder_marked
        logs = np.zeros(len(EVENTS))
        logs[KEEP_BLOCK] = math.log(max(1.0 - p_drop - p_ph - p_la, eps))
        logs[KEEP_MARKED] = math.log(max(1.0 - p_phm - p_la, eps))
        logs[DROP] = math.log(max(p_drop, eps))
        logs[PLACEHOLDER] = math.log(max(p_ph, eps))
        logs[PLACEHOLDER_MARKED] = math.log(max(p_phm, eps))
        logs[LOOKALIKE] = math.log(max(p_la, eps))
        return logs

    def _options(self, word: str, index: CandidateIndex | None, stripped: bool, code_page_split: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str] | None:
        """What a word token could be, before the document's damage rates are known:
        (ids, letter events (n, len(EVENTS)), constant ln channel score, unigram log10, edit
        kind), the reading as written first; None when nothing but that reading is possible.
        The channel score under rates ``logs`` is ``events @ logs + constant``.  Kept across
        documents, so that a stream of small documents analyses each word once."""
        key = (word, stripped, index.channels if index is not None else None, code_page_split)
        got = self._options_cache.get(key, _END)
        if got is not _END:
            return got  # type: ignore[return-value]
        if len(self._options_cache) >= OPTIONS_CACHE_SIZE:
            self._options_cache.clear()
        form = unicodedata.normalize("NFC", word.lower()).replace("\N{REPLACEMENT CHARACTER}", "?")
        # What the word could be besides itself, first: most words are open to nothing, and
        # leave here without building anything.
        kind = "dropped-letter"
        other_ids: np.ndarray | None = None
        other_events: np.ndarray | None = None
        if stripped and form.isascii():
            if "?" in form:
                other_ids, kind_here = self.strip_placeholder_index.get(form), "placeholder"
            else:
                other_ids, kind_here = self.strip_index.get(form), "stripped"
            if other_ids is not None:
                kind = kind_here
                other_events = np.zeros((len(other_ids), len(EVENTS)))
        if index is not None and other_ids is None:
            hit = index.lookup(form)
            if hit is not None:
                other_ids, events = hit
                other_events = events.astype(np.float64)
                if events[:, PLACEHOLDER].any() or events[:, PLACEHOLDER_MARKED].any():
                    kind = "placeholder"
                elif events[:, LOOKALIKE].any() and not events[:, DROP].any():
                    kind = "look-alike"
        if other_ids is None or other_events is None:
            self._options_cache[key] = None
            return None
        valid = "?" not in form and is_valid_syllable(form)
        const = 0.0
        uid = self.word_ids.get(lm_unit(form), self.unk_id) if "?" not in form else self.unk_id
        if not valid and self.unigram[uid] <= RARE_LOG10:
            uid = self.unk_id  # a rare non-word: a typo in the training text, as likely as not
        intact = np.zeros((1, len(EVENTS)))
        if uid != self.unk_id:
            # A word the model knows (a syllable, or an abbreviation such as "tp" or "km"):
            # reading it as written costs the odds of its marked letters surviving, and for an
            # abbreviation the odds of its being written so ("mt" for the acronym MT).
            intact[0, KEEP_BLOCK], intact[0, KEEP_MARKED] = self._n_block[uid], self._n_marked[uid]
            first_id = uid
            if uid not in self._syllable_set:
                const = self._shape_log10(word, self.vocab[uid]) * _LN10
        elif not form.strip("?"):
            # Lone placeholders may also be question marks set off by spaces.
            first_id = self.punct_id
            const = KEEP_LONE_PLACEHOLDER_LOG10 * _LN10
        else:
            # An unknown word: it may still be a foreign word, a name or an acronym.
            first_id = self.unk_id
            const = _keep_unknown_log10(word) * _LN10
        cands = np.concatenate((np.array([first_id], dtype=np.int32), other_ids))
        events = np.concatenate((intact, other_events))
        # A word that is also a damaged form of itself keeps its intact score (listed first).
        _, first = np.unique(cands, return_index=True)
        if len(first) != len(cands):
            first.sort()
            cands, events = cands[first], events[first]
        if code_page_split and any(c in PLACEHOLDERS for c in word):
            written = unicodedata.normalize("NFC", word.lower())
            fits = [0] + [k for k in range(1, len(cands)) if _fits_code_page(self.vocab[int(cands[k])], written)]
            cands, events = cands[fits], events[fits]
        result = None
        if len(cands) > 1:
            consts = np.zeros(len(cands))
            consts[0] = const
            result = (cands, events, consts, self.unigram[cands], kind)
        self._options_cache[key] = result
        return result

    def _candidates(self, word: str, logs: np.ndarray, index: CandidateIndex | None,
                    stripped: bool, dense: bool = False, code_page_split: bool = False, swaps: bool = True,
                    capitals: bool = False) -> tuple[np.ndarray, np.ndarray, str] | None:
        """Candidates for a word token under the document's rates: (ids, ln channel scores,
        edit kind), the reading as written first, or None when the word is not open to
        restoration.  Without ``swaps``, a word with marks is open to dropped letters only,
        not to look-alikes.  With ``capitals`` (a word in capitals in a line that is not), each
        candidate's odds of being written so count too (:attr:`_capitals_log`).

        Kept across documents with the same rates: a stream of short documents (a pipeline's
        records, one line each) meets the same words under the same rates over and over."""
        options = self._options(word, index, stripped, code_page_split)
        if options is None:
            return None  # most words, and known at once
        # The rates as a key, made once per document (the array is the document's own).
        memo = self._logs_key
        if memo[0] is not logs:
            memo = self._logs_key = (logs, logs.tobytes())
        key = (word, memo[1], index.channels if index is not None else None, stripped, dense,
               code_page_split, swaps, capitals)
        got = self._candidates_cache.get(key, _END)
        if got is not _END:
            return got  # type: ignore[return-value]
        if len(self._candidates_cache) >= CANDIDATES_CACHE_SIZE:
            self._candidates_cache.clear()
        result = self._candidates_now(options, word, logs, dense, stripped, swaps, capitals)
        self._candidates_cache[key] = result
        return result

    def _candidates_now(self, options: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str], word: str,
                        logs: np.ndarray, dense: bool, stripped: bool, swaps: bool, capitals: bool
                        ) -> tuple[np.ndarray, np.ndarray, str] | None:
        """:meth:`_candidates` worked out from the word's ``options`` (:meth:`_options`)."""
        cands, events, consts, unigram, kind = options
        if not swaps and not word.isascii():
            # Marks lost by typing leave a word with none; a word with marks lost nothing, or
            # letters (the drop channel).
            keep = (events[:, LOOKALIKE] == 0)
            keep[0] = True
            if not keep.all():
                if np.count_nonzero(keep) <= 1:
                    return None
                cands, events, consts, unigram = cands[keep], events[keep], consts[keep], unigram[keep]
        # Not ``events @ logs``: a matrix product wakes the BLAS library's threads, which then
        # spin on the other cores (5% of the samples of a whole run, and 10% of its wall time
        # on a busy 2-core machine) for a product of six terms.
        # A new array each call, for these candidates alone: _decode_multis numbers the
        # candidate lists by it.
        chan = (events * logs).sum(axis=1) + consts
        if capitals:
            chan += self._capitals_log[cands]
        score = chan / _LN10 + unigram
        if cands[0] == self.unk_id:
            score[0] = -np.inf  # the <unk> class unigram says nothing about this word; never prune it
        dense = dense or stripped
        width, prune = (MAX_CANDIDATES_DENSE, PRUNE_DENSE_LOG10) if dense else (MAX_CANDIDATES, PRUNE_LOG10)
        if len(word) == 1 and not dense:
            width = MAX_CANDIDATES_ONE_LETTER
        keep = score >= score.max() - prune
        if np.count_nonzero(keep) > width:  # the likeliest `width` of them (ties: first listed)
            order = np.argsort(-score, kind="stable")[:width]
            keep = np.zeros(len(cands), dtype=bool)
            keep[order[score[order] >= score[order[0]] - prune]] = True
        keep[0] = True  # the reading as written always stays
        kept = np.count_nonzero(keep)
        if kept <= 1:
            return None
        if kind == "dropped-letter" and events[:, LOOKALIKE].any():
            # Open to look-alikes too: an edit is labelled by the reading chosen ("chit" ->
            # "chít" is a look-alike, "chiết" a dropped letter), the word keeps its kind.
            misread = (events[:, LOOKALIKE] > 0) & (events[:, DROP] == 0)
            if misread[keep].any():
                kind = _MixedKind(kind)
                kind.labels = tuple("look-alike" if m else "dropped-letter" for m in misread[keep])
        if kept == len(cands):
            return cands, chan, kind
        return cands[keep], chan[keep], kind

    def _decode(self, text: str, est: DamageEstimate, config: Config) -> list[RawEdit]:
        logs = self._channel_logs(est)
        chans: set[str] = set()
        if est.drop:
            chans.add("drop")
        if est.placeholder:
            chans.add("placeholder")
        if est.best_fit:
            chans.add("bestfit")
        elif est.lookalike:
            chans.update(("lookalike", "drop"))
        index = self.index(frozenset(chans)) if chans else None
        style: Literal["old", "new"] | None = None  # found when first needed

        # Double spaces where a one-letter word may have vanished: (offset, sentence, index,
        # whether the next word is lowercase).  A line that starts with one space, then a
        # lowercase word, is such a gap too: its first word may have vanished ("Ở mùa...").
        gaps: list[tuple[int, list[int | _Slot], int, bool]] = []
        find_gaps = est.drop > 0 and ("  " in text or "\n " in text or text.startswith(" "))
        # Sentences with an open position, as lists of positions: an int (a fixed unit) or a
        # _Slot.  Text repeats, so each distinct space-separated chunk is analysed once.
        sentences: list[list[int | _Slot]] = []
        current: list[int | _Slot] = []
        has_slot = False
        # Chunk analyses depend on the kind of line: (stripped, written in capitals).
        caches: dict[tuple[bool, bool], dict[str, object]] = {}
        word_caches: dict[tuple[bool, bool], dict[str, object]] = {}
        stripped_lines = est.stripped_lines
        caps_runs = _caps_run_lines(text)
        punct = self.punct_id
        pos = 0
        # Runs of unaccented words inside lines with marks, and stretches of another language
        # (kept as written): (start, end) by line.
        runs_by_line = _by_line(text, est.stripped_runs)
        foreign_by_line = _by_line(text, est.foreign_spans)
        foreign_cache: dict[str, object] = {}
        foreign_words: dict[str, object] = {}
        lines = text.split("\n")
        hard_wrapped = _hard_wrapped(lines)
        # (start, end) of each line in capitals, where a one-letter word is in capitals too.
        caps_lines: list[tuple[int, int]] = []
        for line_no, line in enumerate(lines):
            in_capitals = _is_caps_line(line)
            if in_capitals:
                caps_lines.append((pos, pos + len(line)))
            line_kind = (line_no in stripped_lines, in_capitals or line_no in caps_runs)
            cache = caches.setdefault(line_kind, {})
            # Most lines have neither: None spares a call per chunk.
            line_runs = _Spans(runs_by_line[line_no]) if line_no in runs_by_line else None
            line_foreign = _Spans(foreign_by_line[line_no]) if line_no in foreign_by_line else None
            goes_on = line_no + 1 < len(lines) and _wrapped(line, lines[line_no + 1], hard_wrapped)
            # The "\r" of a CRLF line would end the sentence: a sentence that goes on skips it.
            cr = goes_on and line.endswith("\r")
            chunks = (line[:-1] if cr else line).split(" ")
            for ci, chunk in enumerate(chunks):
                if not chunk:
                    if find_gaps and ci < len(chunks) - 1 and chunks[ci + 1] and (ci == 0 or chunks[ci - 1]):
                        gaps.append((pos, current, len(current), chunks[ci + 1][:1].islower()))
                        has_slot = True
                    pos += 1
                    continue
                if line_foreign is not None and line_foreign.meets(pos, pos + len(chunk)):
                    entry = foreign_cache.get(chunk)
                    if entry is None:  # open to no channel (index None): only its units
                        entry = foreign_cache[chunk] = self._analyse_chunk(
                            chunk, logs, None, _FOREIGN_KIND, est, foreign_words)
                elif line_runs is not None and line_runs.meets(pos, pos + len(chunk)):
                    kind = (True, line_kind[1])
                    entry = caches.setdefault(kind, {}).get(chunk)
                    if entry is None:
                        entry = self._analyse_chunk(chunk, logs, index, kind, est, word_caches.setdefault(kind, {}))
                        caches[kind][chunk] = entry
                else:
                    entry = cache.get(chunk)
                    if entry is None:
                        entry = cache[chunk] = self._analyse_chunk(
                            chunk, logs, index, line_kind, est, word_caches.setdefault(line_kind, {}))
                if entry.__class__ is int:
                    current.append(entry)  # type: ignore[arg-type]
                else:
                    for rel, item in entry:  # type: ignore[attr-defined]
                        if item.__class__ is int:
                            if item == punct and current and current[-1] == punct:
                                continue
                            current.append(item)
                        elif item is _END:
                            if has_slot:
                                sentences.append(current)
                            current = []
                            has_slot = False
                        else:
                            cands, chan, kind_name, tok = item
                            # First in its sentence, opening quotes and brackets aside; or
                            # opening a quotation after a colon (capitalised 98% of the time).
                            # (A word that starts its chunk follows a space or a line break.)
                            first = (not current or len(current) == 1 and current[0] == punct
                                     or rel != 0 and text[pos + rel - 1] in _QUOTES_OPENING
                                     and _QUOTE_OPENS_RE.search(text, max(0, pos + rel - 4), pos + rel) is not None)
                            current.append(_Slot(pos + rel, tok, cands, chan, kind_name, first))
                            has_slot = True
                pos += len(chunk) + 1
            pos += cr
            if goes_on:
                continue  # the sentence goes on in the next line
            if has_slot:
                sentences.append(current)
            current = []
            has_slot = False

        singles: list[list[int | _Slot]] = []
        multis: list[list[int | _Slot]] = []
        for sent in sentences:
            for cl, n_open in _clusters(sent, self.bos_id, self.eos_id, self.ctx):
                (singles if n_open == 1 else multis).append(cl)
        decided: list[tuple[_Slot, int, float]] = []  # slot, its likeliest candidate, posterior
        if singles:
            decided.extend(self._decode_singles(singles))
        if multis:
            decided.extend(self._decode_multis(multis))

        edits: list[RawEdit] = []
        threshold = config.threshold
        unk, syllables = self.unk_id, self._syllable_set
        chosen: dict[int, int] = {}  # restored slots (by id) → the unit chosen (for the gaps)
        restored: dict[int, tuple[_Slot, str, str, float]] = {}  # by offset: slot, unit, output, posterior
        lost_first: set[int] = set()  # offsets of restored words whose first letter was lost
        labels: dict[int, str] = {}  # by offset: the edit kind of the reading chosen, where it varies
        rendered: dict[tuple[int, str], tuple[str, str, bool]] = {}
        vocab = self.vocab
        for slot, best, conf in decided:
            cands, written = slot.cands, slot.text
            if best == 0:
                if len(cands) != 2 or cands[0] != unk or not written.islower():
                    continue
                # A lowercase unknown word that only one syllable explains is that syllable.
                best, conf = 1, 1.0 - conf
            initial = _initial_kind(text, slot) if len(written) == 1 else None
            if initial == "inside":
                continue  # an initial: "anh M. cho biết", "Trần Hoa S. (bác sĩ)"
            # A valid syllable is replaced only with confidence, and so is a capital letter that
            # ends a sentence, which may be an initial ("Nguyễn Văn V.") or a word that lost all
            # but its first letter ("Thổ Nhĩ K."); a non-word (an abbreviation the model knows
            # included), or any word of a stripped line (where the written form is no likelier
            # than the others), whenever a restoration beats leaving it as written.
            if conf < threshold and slot.kind not in ("stripped", "placeholder") and (
                    cands.item(0) in syllables or initial == "end"):
                continue
            if (conf < FOREIGN_NAME_THRESHOLD and slot.kind == "dropped-letter" and cands.item(0) in syllables
                    and written[:1].isupper() and self._after_foreign_name(text, slot, index)):
                continue  # "Guo Lin", "Kwok Hing": a syllable of a foreign name
            unit = cands.item(best)
            if gaps:
                chosen[id(slot)] = unit
            # The same restoration recurs ("dng" -> "dựng" throughout): (unit, as written) ->
            # (unit, as restored, whether its first letter was lost).
            got = rendered.get((unit, written))
            if got is None:
                # Across documents too, where the document's tone style plays no part.
                got = self._rendered_cache.get((unit, written, config.tone_style))
                if got is None:
                    word = vocab[unit]
                    if word.startswith("<"):
                        continue  # a class of the model (<unk>, <num>, <p>): nothing to write
                    if style is None and tone_style_of(word) is not None:
                        style = _document_style(text, config)
                    if config.tone_style in ("old", "new"):
                        out = _render(word, written, config.tone_style)  # type: ignore[arg-type]
                    else:  # the placement the damage shows, else the document's
                        out = _render(_spelling(word, written, style or "new"), written, "new")
                    got = (word, out, _first_letter_lost(written, out))
                    if config.tone_style in ("old", "new") or not has_style_variant(word):
                        if len(self._rendered_cache) >= CANDIDATES_CACHE_SIZE:
                            self._rendered_cache.clear()
                        self._rendered_cache[(unit, written, config.tone_style)] = got
                rendered[(unit, written)] = got
            word, out, lost = got
            if caps_lines and out != out.upper() and _within(caps_lines, slot.start) \
                    and sum(c.isalpha() for c in written) <= 1 and not any(c.islower() for c in written):
                out = out.upper()  # a headline, "QUYT ĐNH V VIC", "V? VI?C": "VỀ", not "Về"
                lost = _first_letter_lost(written, out)
            restored[slot.start] = (slot, word, out, conf)
            if slot.kind.__class__ is _MixedKind:
                labels[slot.start] = slot.kind.labels[best]  # type: ignore[attr-defined]
            if lost:
                lost_first.add(slot.start)
        # Words that vanished whole go back first: a word after one put back at the start of a
        # sentence no longer starts it.
        if gaps:
            edits.extend(self._fill_gaps(text, gaps, chosen, est, threshold, caps_lines))
        inserted_before = {e[0] + 1 for e in edits}
        # The word's first letter itself was lost ("Ảnh" → "nh", "ông" → "?ng"), and its case
        # with it: decided in text order, so that a word before it is final.
        for start in sorted(lost_first):
            slot, word, out, conf = restored[start]
            at_start = slot.at_start and start not in inserted_before
            if at_start or self._capitalised_here(text, slot, word, restored, lost_first):
                restored[start] = (slot, word, out[:1].upper() + out[1:], conf)
        for slot, _word, out, conf in restored.values():
            if out != slot.text:
                edits.append((slot.start, slot.text, out, labels.get(slot.start) or str(slot.kind), conf))
        edits.sort(key=_OFFSET)
        return edits

    def _capitalised_here(self, text: str, slot: _Slot, word: str,
                          restored: dict[int, tuple[_Slot, str, str, float]], lost_first: set[int]) -> bool:
        """Whether restored ``word``, whose first letter (and so its case) was lost, is written
        with a capital inside its sentence: where it mostly is before what follows ("ông
        Nguyễn", but "Ấn Độ": ``case.tsv``), or where it and a neighbour are mostly written
        both capitalised ("?n ??" is "Ấn Độ", the second after a capitalised first:
        ``names.tsv``).  Neighbours are read as restored where they were; ``lost_first`` holds
        the offsets of the restored words whose first letter was lost."""
        end = slot.start + len(slot.text)
        nxt = restored.get(end + 1) if text[end : end + 1] == " " else None
        next_lost = nxt is not None and end + 1 in lost_first
        # A next word that lost its first letter too has no written case; unless the two make
        # a name (below), it is a lowercase word like most.
        after = "low" if next_lost else _next_case(text, end)
        if (word, after) in self.case_table:
            return True
        names = self.name_table
        if nxt is not None and (next_lost or nxt[0].text[:1].isupper()) and (word, nxt[1]) in names:
            return True
        if slot.start >= 2 and text[slot.start - 1] == " ":
            m = _LAST_WORD_RE.search(text, max(0, slot.start - 40), slot.start - 1)
            if m is not None:
                prev = restored.get(m.start())
                prev_unit, prev_out = (prev[1], prev[2]) if prev is not None else (lm_unit(m.group()), m.group())
                if prev_out[:1].isupper() and (prev_unit, word) in names:
                    return True
        return False

    def _after_foreign_name(self, text: str, slot: _Slot, index: CandidateIndex | None) -> bool:
        """Whether ``slot`` follows a capitalised word that the model does not know and that is
        neither a syllable nor what damage could have made of one ("Guo", "Kwok"): the two are
        then likely one foreign name, and a syllable of it ("Lin" in "Guo Lin") no damaged
        Vietnamese word ("Liền"), however rare it is in Vietnamese.  (A word the model knows,
        "Vietcombank", gives the posterior context of its own: "Vietcombank Hải Dương".)"""
        if slot.start < 2 or text[slot.start - 1] != " ":
            return False
        m = _LAST_WORD_RE.search(text, max(0, slot.start - 40), slot.start - 1)
        if m is None:
            return False
        word = m.group()
        return (word[:1].isupper() and not word.isupper() and word.isalpha()
                and self.word_ids.get(lm_unit(word), self.unk_id) == self.unk_id
                and not is_valid_syllable(unicodedata.normalize("NFC", word.lower()))
                and self._options(word, index, False) is None)

    def _layout_gap_rate(self, text: str, double: int, est: DamageEstimate) -> float:
        """How often this document's layout leaves a double space between words: the double
        spaces less those its vanished words explain, with the prior LAYOUT_GAP_PRIOR.  The
        words that could vanish are counted from those left intact (intact / (1 - p)), or,
        where nearly all vanish and the intact ones say little, from how often such words
        occur among syllables in the corpora; times the odds p of their letter being dropped."""
        p = min(est.drop, 0.999)
        intact = len(self._vanishing_re.findall(text)) if self.vanishing_ids.size else 0
        gaps = text.count(" ") - text.count("  ")  # runs of spaces (exact up to two)
        could_vanish = max(intact / (1.0 - p), gaps * self._vanishing_share)
        layout = max(0.0, double - could_vanish * p)
        a, b = LAYOUT_GAP_PRIOR
        return (layout + a) / (max(gaps, double) + a + b)

    @functools.cached_property
    def _vanishing_share(self) -> float:
        """The share of syllables in the corpora that are words which can vanish (0.4%, "ở"
        most of them)."""
        if not self.vanishing_ids.size or not len(self.syllable_ids):
            return 0.0
        return float(np.sum(10.0 ** self.unigram[self.vanishing_ids])
                     / np.sum(10.0 ** self.unigram[np.asarray(self.syllable_ids)]))

    @functools.cached_property
    def _vanishing_re(self) -> re.Pattern[str]:
        """Whole words made only of letters that can vanish ("ở", "ạ"), any case."""
        words = {w for i in self.vanishing_ids for w in (self.vocab[int(i)], self.vocab[int(i)].upper())}
        if all(len(w) == 1 for w in words):
            # One letter each: the class first, then the letter before it, is 3-4x faster
            # than a lookbehind first (which the engine tries at every position).
            return re.compile("[" + "".join(sorted(words)) + "](?<![^\\W\\d_].)(?![^\\W\\d_])")
        body = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
        return re.compile(f"(?<![^\\W\\d_])(?:{body})(?![^\\W\\d_])")

    def _fill_gaps(self, text: str, gaps: list[tuple[int, list[int | _Slot], int, bool]], chosen: dict[int, int],
                   est: DamageEstimate, threshold: float, caps_lines: list[tuple[int, int]]) -> list[RawEdit]:
        """Words that vanished whole: a one-letter word made only of a dropped letter ("ở")
        leaves a double space, or one space at the start of a line.  Layout leaves those too,
        so a word is put back only where the model finds it far likelier than the gap, weighed
        by the drop rate against how often this document's layout leaves one (double spaces
        and indented lines apart).  At the start of a sentence only before a lowercase word,
        and capitalised; in a line in capitals, in capitals (``caps_lines``: (start, end) of
        each)."""
        vanishing = self.vanishing_ids
        if not vanishing.size:
            return []

        def unit(seq: list[int | _Slot], i: int) -> int:
            if i < 0:
                return self.bos_id
            if i >= len(seq):
                return self.eos_id
            item = seq[i]
            if isinstance(item, _Slot):
                return chosen.get(id(item), int(item.cands[0]))
            return item

        ctx = self.ctx
        rows = []
        starts: list[tuple[int, bool, bool]] = []  # offset, at a line's start, at a sentence's
        for offset, seq, i, next_lower in gaps:
            left = [unit(seq, i - j) for j in range(ctx, 0, -1)]
            right = [unit(seq, i + j) for j in range(ctx)]
            sentence_start = left[-1] == self.bos_id
            if right[0] in (self.eos_id, self.punct_id) or sentence_start and not next_lower:
                continue
            line_start = _at_line_start(text, offset)
            if line_start and offset and _open_ended(text[text.rfind("\n", 0, offset - 1) + 1 : offset - 1]):
                continue  # a line that goes on from the one before (wrapped text), not a sentence start
            starts.append((offset, line_start, sentence_start))
            rows.append(left + right)
        if not rows:
            return []
        arr = np.array(rows, dtype=np.int64)
        n, k = len(rows), len(vanishing)
        cols = [arr[:, j] for j in range(2 * ctx)]
        rep = [np.repeat(c, k) for c in cols]
        v = np.tile(vanishing, n).astype(np.int64)
        # With the word: every n-gram from the word up to ctx words past it; without: the n-grams
        # ending at each of the ctx words after the gap.
        seq_with = rep[:ctx] + [v] + rep[ctx:]
        with_word = sum((self._lm_seq(seq_with[e - ctx : e], seq_with[e]) for e in range(ctx, 2 * ctx + 1)),
                        np.zeros(n * k))
        without = sum((self._lm_seq(cols[e - ctx : e], cols[e]) for e in range(ctx, 2 * ctx)), np.zeros(n))
        at_line_start = np.array([line_start for _, line_start, _ in starts])
        double = sum(1 for offset, *_ in gaps if not _at_line_start(text, offset))
        # A vanished word leaves a double space only where layout left single spaces on both
        # sides of it: in a document that doubles every gap, a double space says nothing.
        inside = self._layout_gap_rate(text, double, est)
        prior = math.log(max(est.drop, 1e-9)) + 2 * math.log1p(-min(inside, 0.999)) - math.log(inside)
        gain = with_word.reshape(n, k) - without[:, None] + prior
        if at_line_start.any():
            # At the start of a line the gap is one space, and the layout's rate is that of
            # lines indented by one space.  A lowercase word there is evidence too: without a
            # vanished word the line would start in lowercase, which the model (it sees
            # lowercase units only) cannot weigh; the document's own lines say how often that
            # happens.
            indent, lowercase = _line_start_rates(text)
            gain[at_line_start] += (math.log(max(est.drop, 1e-9)) + math.log1p(-min(indent, 0.999))
                                    - math.log(indent) - math.log(lowercase) - prior)
        best = gain.argmax(axis=1)
        out: list[RawEdit] = []
        for (offset, _, sentence_start), b, g in zip(starts, best, gain[np.arange(n), best]):
            posterior = 1.0 / (1.0 + math.exp(-g)) if g > -50 else 0.0
            if posterior >= max(threshold, 0.5):
                word = self.vocab[int(vanishing[b])]
                if caps_lines and _within(caps_lines, offset):
                    word = word.upper()  # a headline, "THU NHP THP  CÁC": "Ở"
                elif sentence_start:
                    word = word[:1].upper() + word[1:]
                out.append((offset, "", word, "dropped-letter", posterior))
        return out

    def _analyse_chunk(self, chunk: str, logs: np.ndarray, index: CandidateIndex | None,
                       line_kind: tuple[bool, bool], est: DamageEstimate, word_cache: dict[str, object]) -> object:
        """A space-free chunk as decoder items: an int when it is one fixed unit (the common
        case), else a tuple of (offset in chunk, item) where item is a unit id, _END (sentence
        end) or the candidate tuple of an open word."""
        if _is_plain_word(chunk) or (est.placeholder and len(chunk) <= 3 and not chunk.strip(PLACEHOLDERS)):
            # Placeholders standing alone may be a whole word ("ở" → "?", "để" → "??").
            toks: Sequence[tuple[str, str | None, int]] = ((chunk, "word", 0),)
        else:
            fast = _word_in_punctuation(chunk, est.placeholder > 0)
            if fast is not None:
                toks = fast
            else:
                toks = [(t.group(), t.lastgroup, t.start()) for t in _TOKEN_RE.finditer(chunk)]
                if est.placeholder:
                    toks = _merge_edge_placeholders(toks)  # type: ignore[arg-type]
        if chunk[0] in ":;=":
            emoticon = _EMOTICON_RE.match(chunk)
            if emoticon is not None:
                # ":p", ":v", ":D", ";-)": the letters are part of the face, not a word that
                # lost letters (":Ấp", ":về"), and read as punctuation.
                toks = [(t, "punct" if k == "word" and rel < emoticon.end() else k, rel) for t, k, rel in toks]
        items: list[tuple[int, object]] = []

        def word(text: str) -> object:
            """The word's candidates, or its unit id when it is open to nothing."""
            got = word_cache.get(text, _END)
            if got is _END:
                if _is_acronym(text) and not line_kind[1]:
                    # Capitals in running text: an acronym, not a damaged word; but in text
                    # without marks it lost them too ("HDND" for "HĐND"): the strip channel only.
                    got = (self._candidates(text, logs, None, True, True, swaps=False)
                           if line_kind[0] and text.isascii() else None)
                else:
                    got = self._candidates(text, logs, index, line_kind[0], est.drop > DENSE_RATE,
                                           est.code_page_split, est.lookalike_swaps,
                                           capitals=not line_kind[1] and shape_of(text) == 2 and text.isalpha())
                if got is None:
                    # A unit of the vocabulary is its own lm_unit (lowercase, NFC, new tone
                    # placement): found without parsing the syllable.
                    got = self.word_ids.get(text.lower())
                    if got is None:
                        got = self.word_ids.get(lm_unit(text), self.unk_id)
                word_cache[text] = got
            return got

        for text, kind, rel in toks:
            if kind == "word" or kind == _WORD_QUESTION:
                got = word(text)
                if kind == _WORD_QUESTION and got.__class__ is int:
                    # No reading has the "?" for a letter: it is a question mark ("khong?").
                    text, got = text[:-1], word(text[:-1])
                    items.append((rel, got if got.__class__ is int else (*got, text)))  # type: ignore[misc]
                    items.append((rel + len(text), _END))
                    continue
                items.append((rel, got if got.__class__ is int else (*got, text)))  # type: ignore[misc]
            elif kind == "space":
                if "\r" in text or "\u2028" in text:
                    items.append((rel, _END))
            else:
                unit = token_unit(kind or "punct", text)
                items.append((rel, _END if unit == SENTENCE_END else self.word_ids.get(unit or "", self.unk_id)))
        if len(items) == 1 and items[0][1].__class__ is int and items[0][1] != self.punct_id:
            return items[0][1]
        return tuple(items)

    def _lm(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, pre: np.ndarray | None = None) -> np.ndarray:
        """ln P(c | [pre] a b), batched; ``pre`` is the third word of context for a 4-gram model
        (ignored by a trigram model)."""
        if self.ctx == 2:
            ctx = np.stack([a, b], axis=1).astype(np.int32)
        else:
            if pre is None:
                raise ValueError("a 4-gram model needs three words of context")
            ctx = np.stack([pre, a, b], axis=1).astype(np.int32)
        return self.model.log10_prob_batch(ctx, c.astype(np.int32)).astype(np.float64) * _LN10  # type: ignore[attr-defined]

    def _lm_seq(self, context: list[np.ndarray], word: np.ndarray) -> np.ndarray:
        """ln P(word | context), with ``context`` the last ``ctx`` words (oldest first)."""
        ctx = np.stack(context[-self.ctx :], axis=1).astype(np.int32)
        return self.model.log10_prob_batch(ctx, word.astype(np.int32)).astype(np.float64) * _LN10  # type: ignore[attr-defined]

    def _decode_singles(self, clusters: list[list[int | _Slot]]) -> list[tuple[_Slot, int, float]]:
        """Clusters with one open position, all at once: the candidate's score is its channel
        score plus every n-gram it takes part in."""
        ctx = self.ctx
        slots: list[_Slot] = [cl[ctx] for cl in clusters]  # type: ignore[misc]
        # ctx units before, then up to ctx after (-1: none); every other position is a unit id.
        pad: list[int | _Slot] = [-1] * ctx
        rows = [(cl[:ctx] + cl[ctx + 1 :] + pad)[: 2 * ctx] for cl in clusters]
        sizes = np.array([len(s.cands) for s in slots])
        model: Any = self.model
        tables = model.compiled_tables(build=len(slots) > 256) if speedups() is not None else None
        if tables is not None:  # the same sums, a candidate at a time, in C
            best = np.empty(len(slots), dtype=np.int32)
            post = np.empty(len(slots))
            model.call_compiled("singles", np.concatenate([s.cands for s in slots]).astype(np.int32),
                                np.ascontiguousarray(np.concatenate([s.channel for s in slots]), dtype=np.float64),
                                sizes.astype(np.int32), np.array(rows, dtype=np.int32), _LN10, *tables, best, post)
            return list(zip(slots, best.tolist(), post.tolist()))
        cand = np.concatenate([s.cands for s in slots]).astype(np.int64)
        score = np.concatenate([s.channel for s in slots])
        ctx_arr = np.repeat(np.array(rows, dtype=np.int64), sizes, axis=0)
        window = [ctx_arr[:, i] for i in range(ctx)] + [cand] + [ctx_arr[:, ctx + i] for i in range(ctx)]
        # The n-gram ending at window[ctx + k] for k = 0..ctx includes the candidate.
        for k in range(ctx + 1):
            end = ctx + k
            word = window[end]
            has = word >= 0
            if not has.any():
                continue
            context = [w[has] for w in window[end - ctx : end]]
            score[has] += self._lm_seq(context, word[has])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        mx = np.repeat(np.maximum.reduceat(score, starts), sizes)
        tot = np.add.reduceat(np.exp(score - mx), starts)
        # The first likeliest candidate of each slot; its posterior is exp(0) / tot.
        at = np.where(score == mx, np.arange(len(score)), len(score))
        best = np.minimum.reduceat(at, starts) - starts
        return list(zip(slots, best.tolist(), (1.0 / tot).tolist()))

    def _decode_multis(self, clusters: list[list[int | _Slot]]) -> list[tuple[_Slot, int, float]]:
        """Clusters with several open positions: exact forward-backward over trigram states,
        batched over clusters of about the same length and the same width.

        Coarse to fine: where a batch has more than FINE_WIDTH candidates at a position, a
        coarse pass (width**2 queries per position) first keeps the FINE_WIDTH likeliest, and
        only those enter the exact pass, whose cost grows with the cube of the width."""
        # Batches of one padded length go through the exact pass together (their widths are
        # FINE_WIDTH at most by then): a few large passes instead of one per coarse batch, each
        # run once its clusters fill EXACT_BATCH_CELLS, so memory stays bounded.
        out: list[tuple[_Slot, int, float]] = []
        model: Any = self.model
        # As for singles: a short text's few clusters do not pay for deriving the tables.
        exact = (model.compiled_tables(build=sum(map(len, clusters)) > 256)
                 if speedups() is not None else None)
        if exact is not None:
            # A cluster at a time, unpadded, both passes in C.
            coarse = model.compiled_tables(min(COARSE_ORDER, self.ctx + 1))
            # Each position's candidate list by number in ``lists``: the same word recurs, and
            # its list is one array (as its channel scores are, made for that list alone by
            # _candidates), so only the distinct lists are joined, then gathered position by
            # position.
            pos_start = [0]
            which: list[int] = []  # per position, its list's number
            number: dict[int, int] = {}  # id(channel array) or ~unit (a fixed unit) -> number
            lists: list[np.ndarray] = []
            scores: list[np.ndarray] = []
            one = np.zeros(1)
            for cl in clusters:
                for p in cl:
                    key = id(p.channel) if p.__class__ is _Slot else ~p  # type: ignore[union-attr, operator]
                    got = number.get(key)
                    if got is None:
                        got = number[key] = len(lists)
                        if p.__class__ is _Slot:
                            lists.append(p.cands)  # type: ignore[union-attr]
                            scores.append(p.channel)  # type: ignore[union-attr]
                        else:
                            lists.append(np.array([p], dtype=np.int32))
                            scores.append(one)
                    which.append(got)
                pos_start.append(pos_start[-1] + len(cl))
            list_len = np.array([len(c) for c in lists], dtype=np.int64)
            list_at = np.zeros(len(lists), dtype=np.int64)
            np.cumsum(list_len[:-1], out=list_at[1:])
            listed = np.array(which, dtype=np.int64)
            sizes = list_len[listed]
            cand_start = np.zeros(len(listed) + 1, dtype=np.int64)
            np.cumsum(sizes, out=cand_start[1:])
            # Candidate i of position j is item list_at[which[j]] + i of the joined lists.
            gather = np.repeat(list_at[listed] - cand_start[:-1], sizes)
            gather += np.arange(cand_start[-1])
            cand = np.concatenate(lists).astype(np.int32)[gather]
            chan = np.concatenate(scores).astype(np.float64)[gather]
            best = np.empty(len(listed), dtype=np.int32)
            post = np.empty(len(listed))
            model.call_compiled("clusters", np.array(pos_start, dtype=np.int64), cand_start, cand, chan, self.unigram,
                                FINE_WIDTH, PRUNE_POSTERIOR, self.bos_id, self.eos_id, _LN10, coarse, exact,
                                best, post, decoder_threads())
            at = 0
            best_list, post_list = best.tolist(), post.tolist()
            for cl in clusters:
                for p in cl:
                    if p.__class__ is _Slot:
                        out.append((p, best_list[at], post_list[at]))  # type: ignore[arg-type]
                    at += 1
            return out
        fine: dict[int, list[_Fine]] = {}
        for length, width, group, real in _batches(clusters):
            cand, chan = _pack(group, length, width)
            with np.errstate(invalid="ignore"):
                prior = chan / _LN10 + self.unigram[cand]
            best = np.take_along_axis(cand, prior.argmax(axis=2)[:, :, None], axis=2)[:, :, 0]
            if width > FINE_WIDTH:
                coarse = self._coarse_posteriors(cand, chan, real, best)
                # Candidate 0 (the reading as written) always stays, in front.
                rank = np.where(np.arange(width) == 0, 2.0, coarse)
                pick = np.argsort(-rank, axis=2, kind="stable")[:, :, :FINE_WIDTH]
                f_cand = np.take_along_axis(cand, pick, axis=2)
                f_chan = np.take_along_axis(chan, pick, axis=2)
                # Only positions with more than FINE_WIDTH candidates lose any to the cut-off.
                wide = (np.isfinite(chan).sum(axis=2) > FINE_WIDTH)[:, :, None]
                f_chan[wide & (np.take_along_axis(coarse, pick, axis=2) < PRUNE_POSTERIOR) & (pick != 0)] = -np.inf
                best = np.take_along_axis(cand, coarse.argmax(axis=2)[:, :, None], axis=2)[:, :, 0]
            else:
                pick = None
                f_cand, f_chan = cand, chan
            parts = fine.setdefault(length, [])
            parts.append((group, f_cand, f_chan, real, best, pick))
            if sum(len(part[0]) for part in parts) * length * FINE_WIDTH**3 >= EXACT_BATCH_CELLS:
                self._decode_fine(length, fine.pop(length), out)
        for length, parts in fine.items():
            self._decode_fine(length, parts, out)
        return out

    def _decode_fine(self, length: int, parts: list[_Fine], out: list[tuple[_Slot, int, float]]) -> None:
        """The exact pass over coarse batches of one padded length, as one batch (padded to
        the widest); appends (slot, its likeliest candidate, posterior) to ``out``."""
        width = max(part[1].shape[2] for part in parts)
        total = sum(len(part[0]) for part in parts)
        cand = np.zeros((total, length, width), dtype=np.int32)
        chan = np.full((total, length, width), -np.inf)
        at = 0
        for _group, f_cand, f_chan, _real, _best, _pick in parts:
            n, k = len(f_cand), f_cand.shape[2]
            cand[at : at + n, :, :k] = f_cand
            chan[at : at + n, :, :k] = f_chan
            at += n
        real = np.concatenate([part[3] for part in parts])
        best = np.concatenate([part[4] for part in parts])
        step = max(1, EXACT_BATCH_CELLS // (length * width**3))
        posts = np.concatenate([self._exact_posteriors(cand[i : i + step], chan[i : i + step],
                                                       real[i : i + step], best[i : i + step])
                                for i in range(0, total, step)])
        at = 0
        for group, f_cand, _chan, _real, _best, pick in parts:
            n, k = len(f_cand), f_cand.shape[2]
            mine = posts[at : at + n, :, :k]
            at += n
            top = mine.argmax(axis=2)[:, :, None]
            conf = np.take_along_axis(mine, top, axis=2)[:, :, 0].tolist()
            # Back to indexes into each slot's full candidate list.
            top = (top if pick is None else np.take_along_axis(pick, top, axis=2))[:, :, 0].tolist()
            for cl, row_top, row_conf in zip(group, top, conf):
                for j, p in enumerate(cl):
                    if p.__class__ is _Slot:
                        out.append((p, row_top[j], row_conf[j]))  # type: ignore[arg-type]

    def _exact_posteriors(self, cand: np.ndarray, chan: np.ndarray, real: np.ndarray,
                          best: np.ndarray) -> np.ndarray:
        """Forward-backward over trigram states for a packed batch (see :func:`_pack`);
        ``best`` (n, length) is each position's likeliest unit, which stands in as a 4-gram
        model's oldest context word (the state holds only two)."""
        n, length, width = cand.shape
        valid = np.isfinite(chan)
        # Trigram table per position j >= 2 over (a at j-2, b at j-1, c at j); only the real
        # (unpadded) triples are queried.
        shape = (n, length - 2, width, width, width)
        va = valid[:, :-2, :, None, None] & valid[:, 1:-1, None, :, None] & valid[:, 2:, None, None, :]
        va &= real[:, 2:, None, None, None]
        ca = np.broadcast_to(cand[:, :-2, :, None, None], shape)[va]
        cb = np.broadcast_to(cand[:, 1:-1, None, :, None], shape)[va]
        cc = np.broadcast_to(cand[:, 2:, None, None, :], shape)[va]
        pre = None
        if self.ctx == 3:
            # The unit at j - 3 for j >= 2; before the cluster (j = 2) it is fixed context
            # whatever it is, so any unit does.
            proxies = np.concatenate([np.full((n, 1), self.bos_id), best[:, : length - 3]], axis=1)
            pre = np.broadcast_to(proxies[:, :, None, None, None], shape)[va]
        trans = np.ones(shape)
        trans[va] = np.exp(self._lm(ca, cb, cc, pre))
        return _forward_backward_batch(trans, chan)

    def _coarse_posteriors(self, cand: np.ndarray, chan: np.ndarray, real: np.ndarray,
                           best: np.ndarray) -> np.ndarray:
        """Posteriors of every candidate of a packed batch in a first-order chain: the cheap
        first pass (width**2 queries per position), which tells which candidates context leaves
        in play.  A transition is scored by the trigram level of the model with the older
        context word taken from ``best``: bigram distributions alone will not do, since a
        Kneser-Ney model's bigrams count contexts, not occurrences ("dựng đảng" comes almost
        only after "xây", so its bigram is rare)."""
        n, length, width = cand.shape
        order = min(COARSE_ORDER, self.ctx + 1)
        valid = np.isfinite(chan)
        shape = (n, length - 1, width, width)
        va = valid[:, :-1, :, None] & valid[:, 1:, None, :] & real[:, 1:, None, None]
        a = np.broadcast_to(cand[:, :-1, :, None], shape)[va]
        b = np.broadcast_to(cand[:, 1:, None, :], shape)[va]
        context = []
        for k in range(order - 2, 0, -1):  # the word k places before a; none before the cluster
            older = np.concatenate([np.full((n, k), self.eos_id), best[:, : length - 1 - k]], axis=1)
            context.append(np.broadcast_to(older[:, :, None, None], shape)[va])
        context.append(a)
        trans = np.ones(shape)
        trans[va] = np.exp(self.model.log10_prob_batch(  # type: ignore[attr-defined]
            np.stack(context, axis=1), b, order=order).astype(np.float64) * _LN10)
        return _forward_backward_bigram(trans, chan)


_END = object()
_ZERO = np.zeros(1)


# Lines that start with a lowercase letter, and lines indented by one space: Beta priors (means
# 0.05 and 0.02) for the share a document shows.  News and most prose start their lines with a
# capital and no space; text broken mid-sentence (extracted from PDFs) or indented does not,
# and there a line goes on from the one before (see _SENTENCE_CLOSERS).
LOWERCASE_START_PRIOR = (1.0, 19.0)
INDENT_PRIOR = (1.0, 49.0)
# What ends the line before a line whose first word may have vanished ("" for no text before).
_SENTENCE_CLOSERS = frozenset(('', '.', '!', '?', ':', '"', '”', '»', ')', '…'))
# A text is hard-wrapped when this share of its lines end open, the next going on in lowercase.
WRAPPED_SHARE = 0.25
# Nor does a sentence go on after a line ending in these (a list item, a heading's rule).
_LINE_CLOSERS = frozenset((';', '-', '–', '—', '*', '|', ']', '}', '>'))


# The line kind a foreign stretch's chunks are analysed under: not stripped; "in capitals", so
# that no acronym check is made where nothing is open anyway.
_FOREIGN_KIND = (False, True)


class _Spans:
    """Sorted, disjoint (start, end) spans, asked in order whether they meet a chunk: a
    pointer walks them, so a line with many spans costs no more than one with few."""

    __slots__ = ("at", "spans")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.at = 0

    def meets(self, start: int, end: int) -> bool:
        """Whether a span overlaps [start, end); ``start`` never decreases between calls."""
        spans = self.spans
        at = self.at
        while at < len(spans) and spans[at][1] <= start:
            at += 1
        self.at = at
        return at < len(spans) and spans[at][0] < end


def _by_line(text: str, spans: Iterable[tuple[int, int]]) -> dict[int, list[tuple[int, int]]]:
    """``spans`` ((start, end) offsets in ``text``) by the number of the line they start in."""
    out: dict[int, list[tuple[int, int]]] = {}
    line, counted = 0, 0
    for span in sorted(spans):
        line += text.count("\n", counted, span[0])
        counted = span[0]
        out.setdefault(line, []).append(span)
    return out


def _open_ended(line: str) -> bool:
    """Whether ``line`` ends in a word or a comma: no sentence or list item closes there."""
    last = line.rstrip(" \t\r")[-1:]
    return bool(last) and last not in _SENTENCE_CLOSERS and last not in _LINE_CLOSERS


def _hard_wrapped(lines: list[str]) -> bool:
    """Whether the text was wrapped at a width (extracted from a PDF, or by hand): one line in
    four or more (and two at least) ends open and the next goes on in lowercase.  News with a
    paragraph per line has almost none (vietnews dev: 1 line in 14,916; baomoi dev: none)."""
    open_ = sum(1 for line, nxt in itertools.pairwise(lines) if nxt[:1].islower() and _open_ended(line))
    return open_ >= max(2, WRAPPED_SHARE * sum(1 for line in lines if line.strip()))


def _wrapped(line: str, nxt: str, hard_wrapped: bool) -> bool:
    """Whether the sentence of ``line`` goes on in the next line ``nxt``: ``line`` ends open
    and ``nxt`` goes on in lowercase; in hard-wrapped text, with any letter or digit (a name,
    a number: there a capital does not start a sentence as in a heading's next line)."""
    first = nxt[:1]
    return (first.islower() or hard_wrapped and first.isalnum()) and _open_ended(line)


def _at_line_start(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1] == "\n"


def _line_start_rates(text: str) -> tuple[float, float]:
    """Shares of the lines of ``text`` that hold a letter which are indented by one space, and
    which start with a lowercase letter, with the priors INDENT_PRIOR, LOWERCASE_START_PRIOR."""
    lines = [line for line in text.split("\n") if _LETTER_RE.search(line)]
    indented = sum(1 for line in lines if line[:1] == " " and line[1:2] not in (" ", ""))
    lowercase = sum(1 for line in lines if line.lstrip()[:1].islower())
    (a, b), (c, d) = INDENT_PRIOR, LOWERCASE_START_PRIOR
    return (indented + a) / (len(lines) + a + b), (lowercase + c) / (len(lines) + c + d)


# Punctuation that a word in running text has around it, which the tokenizer makes one
# punctuation token of on each side ("(nhà", "nhà),", "“nhà”.").  No placeholder, no character
# that can start a URL, e-mail address or code ("_", "@", "/", "+").
_EDGE_PUNCT_FAST = "\"'()[].,;:!…-–—“”‘’«»"


def _word_in_punctuation(chunk: str, placeholders: bool) -> list[tuple[str, str, int]] | None:
    """The tokens of a chunk that is a plain word with punctuation around it, as the tokenizer's
    regex would give them, found without it; None for any other chunk."""
    lead = len(chunk) - len(chunk.lstrip(_EDGE_PUNCT_FAST))
    core = chunk[lead:].rstrip(_EDGE_PUNCT_FAST)
    if not core or not _is_plain_word(core) or placeholders and "?" in chunk:
        return None
    if core == "www" and chunk[lead + 3 : lead + 4] == ".":
        return None  # "www." and more is a URL to the tokenizer
    toks = [(chunk[:lead], "punct", 0)] if lead else []
    toks.append((core, "word", lead))
    end = lead + len(core)
    if end < len(chunk):
        toks.append((chunk[end:], "punct", end))
    return toks


# A word with a "?" glued to its end (_merge_edge_placeholders): a placeholder if the channel
# can read it so, else the word and a question mark.
_WORD_QUESTION = "word?"


def _merge_edge_placeholders(toks: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Join placeholders glued to the start of a word ("??i" for "đổi", where a code page had
    neither đ nor ổ) and one "?" glued to its end ("ph?", "thu?" → one token of kind
    _WORD_QUESTION), so the placeholder channel can read them; whether such a "?" is a
    placeholder or a question mark is then decided like any other damage, and it is a question
    mark when the channel has no reading for it.  A word that already holds a placeholder keeps
    its trailing "?" as punctuation ("th?p?" is "thấp?")."""
    out: list[tuple[str, str, int]] = []
    for text, kind, start in toks:
        if kind == "punct" and not out and start == 0 and text[:1] in PLACEHOLDERS:
            # Placeholders standing for a whole word before punctuation ("??." for "Độ.").
            run = len(text) - len(text.lstrip(PLACEHOLDERS))
            if run < len(text):
                out.append((text[:run], "word", 0))
                out.append((text[run:], "punct", run))
                continue
        if kind == "word" and out and out[-1][1] == "punct" and out[-1][2] + len(out[-1][0]) == start:
            prev, prev_start = out[-1][0], out[-1][2]
            run = len(prev) - len(prev.rstrip(PLACEHOLDERS))
            if run and (len(out) == 1 or run == len(prev)):
                out.pop()
                if run < len(prev):
                    out.append((prev[:-run], "punct", prev_start))
                out.append((prev[-run:] + text, "word", start - run))
                continue
        if kind == "punct" and text.startswith("?") and out and out[-1][1] == "word" \
                and out[-1][2] + len(out[-1][0]) == start and not any(c in PLACEHOLDERS for c in out[-1][0]):
            w = out.pop()
            out.append((w[0] + "?", _WORD_QUESTION, w[2]))
            if len(text) > 1:
                out.append((text[1:], "punct", start + 1))
            continue
        out.append((text, kind, start))
    return out


def _clusters(sentence: list[int | _Slot], bos: int, eos: int, ctx: int = 2) -> list[tuple[list[int | _Slot], int]]:
    """Split a sentence into independent clusters of open positions, each with ``ctx`` (the
    model's order - 1) positions of fixed context before it and up to ``ctx`` fixed positions (or
    the sentence end) after it; each with its number of open positions."""
    units: list[int | _Slot] = [*([bos] * ctx), *sentence, eos]
    open_at = [i for i, p in enumerate(units) if p.__class__ is _Slot]
    out: list[tuple[list[int | _Slot], int]] = []
    k = 0
    while k < len(open_at):
        first = last = open_at[k]
        start = k
        k += 1
        while k < len(open_at) and open_at[k] <= last + ctx:
            last = open_at[k]
            k += 1
        out.append((units[first - ctx : min(last + ctx + 1, len(units))], k - start))
    return out


def _batches(clusters: list[list[int | _Slot]]) -> list[tuple[int, int, list[list[int | _Slot]], np.ndarray]]:
    """Clusters grouped for batched decoding: (padded length, width, clusters, real) where
    ``real`` (n, length) marks the positions that exist.  Lengths are rounded up so that a
    document's many sentence lengths make few batches; a padded position has one candidate and
    no n-gram, so it changes no posterior.  A batch's tables hold BATCH_CELLS floats at most."""
    buckets: dict[tuple[int, int], list[list[int | _Slot]]] = {}
    for cl in clusters:
        width = max(len(p.cands) for p in cl if isinstance(p, _Slot))
        length = len(cl) if len(cl) <= 8 else -(-len(cl) // 8) * 8
        buckets.setdefault((length, width), []).append(cl)
    out = []
    for (length, width), group in buckets.items():
        step = max(1, BATCH_CELLS // (length * max(width**2, min(width, FINE_WIDTH) ** 3)))
        for i in range(0, len(group), step):
            part = group[i : i + step]
            real = np.arange(length)[None, :] < np.array([len(cl) for cl in part])[:, None]
            out.append((length, width, part, real))
    return out


def _pack(group: list[list[int | _Slot]], length: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate ids and ln channel scores, (n, length, width), -inf where there is no
    candidate; a fixed unit, or a padded position, is one candidate with score 0."""
    n = len(group)
    cand = np.zeros((n, length, width), dtype=np.int32)
    chan = np.full((n, length, width), -np.inf)
    chan[:, :, 0] = 0.0
    for i, cl in enumerate(group):
        for j, p in enumerate(cl):
            if isinstance(p, _Slot):
                k = len(p.cands)
                cand[i, j, :k] = p.cands
                chan[i, j, :k] = p.channel
            else:
                cand[i, j, 0] = p
    return cand, chan


def _emissions(chan: np.ndarray) -> np.ndarray:
    """exp(chan), scaled per position so that its largest entry is 1 (0 for padding)."""
    m = chan.max(axis=2, keepdims=True)
    return np.exp(chan - np.where(np.isfinite(m), m, 0.0))


def _scaled(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``x`` divided by its sum over ``axes`` (where that sum is not 0)."""
    total = x.sum(axis=axes, keepdims=True)
    return x / np.where(total > 0, total, 1.0)


# Both forward-backward passes below run in probabilities, rescaled at every step, rather than
# in logarithms: a step is then a product and a sum, with no exp and log per cell, and the
# scale factors cancel in the posteriors.  A factor is an n-gram probability (with backoff
# weights, down to about 1e-35) times a channel score scaled per position: products of a few
# such stay far above float64's 1e-308, and every step is rescaled to sum to 1.
#
# The transition tables hold 1 where no n-gram was asked (padding): a padded position, with one
# candidate of score 0, then passes the chain on unchanged, and a missing candidate is zeroed
# by its emission.  Only a few per cent of the cells are real, so the callers exponentiate
# those alone.

def _forward_backward_bigram(trans: np.ndarray, chan: np.ndarray) -> np.ndarray:
    """Posterior probabilities per position for a batch of first-order chains: ``chan`` is
    (n, L, K) ln channel scores (-inf for padding), ``trans`` (n, L-1, K, K) P(c | b) for the
    candidates b, c at positions j, j+1.  Returns (n, L, K) probabilities."""
    n, length, width = chan.shape
    compiled = speedups()
    if compiled is not None:  # the same arithmetic, a cluster at a time, without temporaries
        out = np.empty((n, length, width))
        compiled.fb_chain(np.ascontiguousarray(trans, dtype=np.float64), np.ascontiguousarray(chan, dtype=np.float64),
                          n, length, width, out)
        return out
    emit = _emissions(chan)
    alpha = np.empty((n, length, width))
    beta = np.empty((n, length, width))
    a = alpha[:, 0] = _scaled(emit[:, 0], (1,))
    for j in range(1, length):
        a = alpha[:, j] = _scaled(np.matmul(a[:, None, :], trans[:, j - 1])[:, 0] * emit[:, j], (1,))
    beta[:, length - 1] = 1.0
    b = beta[:, length - 1]
    for j in range(length - 2, -1, -1):
        b = beta[:, j] = _scaled(np.matmul(trans[:, j], (emit[:, j + 1] * b)[:, :, None])[:, :, 0], (1,))
    return _scaled(alpha * beta, (2,))


def _forward_backward_batch(trans: np.ndarray, chan: np.ndarray) -> np.ndarray:
    """Posterior probabilities per position for a batch of chains.

    ``chan`` is (n, L, K): ln channel score of each candidate (-inf for padding); the first two
    positions are fixed context.  ``trans`` is (n, L-2, K, K, K): P(c | a b) for the candidates
    a, b, c at positions j-2, j-1, j.  Returns (n, L, K) probabilities.
    """
    n, length, width = chan.shape
    compiled = speedups()
    if compiled is not None:
        out = np.empty((n, length, width))
        compiled.fb_pairs(np.ascontiguousarray(trans, dtype=np.float64), np.ascontiguousarray(chan, dtype=np.float64),
                          n, length, width, out)
        return out
    emit = _emissions(chan)
    # alpha[j][i, b, c]: positions j-1, j hold candidates b, c.  A step sums over the oldest
    # candidate a, as a matrix product per (i, b): alpha[j-1][i, :, b] @ trans[i, j-2, :, b, :].
    alpha: list[np.ndarray] = [np.zeros((n, width, width))] * length
    first = np.zeros((n, width, width))
    first[:, 0, 0] = 1.0  # positions 0 and 1 are fixed context
    alpha[1] = first
    for j in range(2, length):
        x = np.matmul(alpha[j - 1].transpose(0, 2, 1)[:, :, None, :], trans[:, j - 2].transpose(0, 2, 1, 3))
        alpha[j] = _scaled(x[:, :, 0, :] * emit[:, j, None, :], (1, 2))
    beta: list[np.ndarray] = [np.ones((n, width, width))] * length
    for j in range(length - 2, 0, -1):
        z = emit[:, j + 1, None, :] * beta[j + 1]  # (i, b, c)
        y = np.matmul(trans[:, j - 1].transpose(0, 2, 1, 3), z[:, :, :, None])[:, :, :, 0]  # (i, b, a)
        beta[j] = _scaled(y.transpose(0, 2, 1), (1, 2))
    posts = np.zeros((n, length, width))
    posts[:, 0, 0] = 1.0
    for j in range(1, length):
        posts[:, j] = _scaled((alpha[j] * beta[j]).sum(axis=1), (1,))
    return posts


STYLE_SAMPLE_CHARS = 200_000
# Open oa/oe/uy rhymes that end a word, written in the two styles ("hoà " vs "hòa ").
_OLD_STYLE_ENDINGS = tuple(f"{v}{t} " for v, ts in (("o", "àáảãạèéẻẽẹ"), ("u", "ỳýỷỹỵ")) for t in ts)
_NEW_STYLE_ENDINGS = tuple(f"{t}{v} " for ts, v in (("òóỏõọ", "a"), ("òóỏõọ", "e"), ("ùúủũụ", "y")) for t in ts)


def _document_style(text: str, config: Config) -> Literal["old", "new"]:
    """The tone-mark placement the document itself uses ("new" when it shows none)."""
    if config.tone_style in ("old", "new"):
        return config.tone_style  # type: ignore[return-value]
    lowered = text[:STYLE_SAMPLE_CHARS].lower()  # a long text shows its habit early
    # "quý " and "quà " are written alike in both styles; take them out of the count.
    old = sum(lowered.count(e) for e in _OLD_STYLE_ENDINGS) - sum(lowered.count("q" + e) for e in _OLD_STYLE_ENDINGS)
    new = sum(lowered.count(e) for e in _NEW_STYLE_ENDINGS)
    return "old" if old > new else "new"


# What may stand between a sentence's full stop and the next sentence: spaces, closing quotes
# and brackets.
_AFTER_SENTENCE_END = " \t\"'”’»)]"


def _initial_kind(text: str, slot: _Slot) -> Literal["inside", "end"] | None:
    """Whether ``slot`` is a capital letter and a full stop, and where: "inside" a sentence
    (the sentence goes on in lowercase or punctuation: an initial, "anh M. cho biết"), at its
    "end" (end of line, or a capital next: an initial, or a word that lost all but its first
    letter, "Thổ Nhĩ K."), or None."""
    if len(slot.text) != 1 or not slot.text.isupper() or text[slot.start + 1 : slot.start + 2] != ".":
        return None
    after = text[slot.start + 2 : slot.start + 8].lstrip(_AFTER_SENTENCE_END)[:1]
    return "end" if after in ("", "\n", "\r", "\u2028", "\u2029") or after.isupper() else "inside"


def _first_letter_lost(written: str, out: str) -> bool:
    """Whether restoring ``written`` as ``out`` puts back a first letter that was lost, not one
    misread or stripped: "d" for "đ" and "u" for "ư" keep their case; "nh" for "Ảnh" does not."""
    letter = written[:1]
    return out[:1] != letter and (letter in PLACEHOLDERS or letter.islower()
                                  and strip_marks(out[:1]) != strip_marks(letter))


def _is_acronym(word: str) -> bool:
    """Two or more letters, all capitals, and not a syllable: "VN", "HĐND", "CT"."""
    return len(word) >= 2 and word.isupper() and word.isalpha() and not is_valid_syllable(word)


def _is_caps_line(line: str) -> bool:
    """A line written in capitals (a headline), where every word looks like an acronym."""
    return line.isupper() and sum(1 for c in line if c.isalpha()) >= 8


# Capital letters of Vietnamese and Latin-1/Extended text; a word of two or more capitals and
# a space before another capital (the second word is read on from there, so that a run of three
# gives both pairs).
_CAPITALS = "".join(c for c in map(chr, [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1EA0, 0x1EFA)])
                    if c.isupper())
_CAPS_PAIR_RE = re.compile(f"[{_CAPITALS}][{_CAPITALS}]+ (?=[{_CAPITALS}])")
_CAPS_WORD_RE = re.compile(f"[{_CAPITALS}]+")


def _caps_run_lines(text: str) -> set[int]:
    """Lines (by number) written in lowercase that hold words in capitals side by side, one of
    them a syllable ("Ảnh: VĂN ĐNH", a name in a byline): there a word in capitals is
    Vietnamese written so, not an acronym, and may have lost letters like any other."""
    out: set[int] = set()
    line_no, at = 0, 0
    for m in _CAPS_PAIR_RE.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            continue  # the end of a longer word
        second = _CAPS_WORD_RE.match(text, m.end())
        if second is None or text[second.end() : second.end() + 1].isalnum():
            continue  # the start of a longer word
        if any(len(w) > 1 and is_valid_syllable(w) for w in (m.group()[:-1], second.group())):
            line_no += text.count("\n", at, m.start())
            at = m.start()
            out.add(line_no)
    return out


# The marked letters cp1252 has: bytes 0xC0-0xFF, which fail to decode when read back as UTF-8.
_CP1252_MARKED = frozenset("àáâãèéêìíòóôõùúý")


def _fits_code_page(unit: str, written: str) -> bool:
    """Could cp1252 (read back as UTF-8) have made ``written`` of the syllable ``unit``, in
    either tone placement?  U+FFFD must stand for a letter cp1252 has, "?" for one it lacks."""
    for spelling in tone_spellings(unit):
        if len(spelling) != len(written):
            continue
        for s, w in zip(spelling, written):
            if w == "\N{REPLACEMENT CHARACTER}":
                ok = s in _CP1252_MARKED
            elif w == "?":
                ok = not s.isascii() and s not in _CP1252_MARKED
            else:
                ok = s == w or BEST_FIT.get(s) == w
            if not ok:
                break
        else:
            return True
    return False


def _could_become(spelling: str, written: str) -> bool:
    """Could damage have made ``written`` (lowercase) of ``spelling``: letters dropped from the
    U+1EA0 block, or marked letters turned into placeholders or look-alikes, one for one?"""
    if len(spelling) == len(written):
        return all(s == w or not s.isascii() and (w in PLACEHOLDERS or w in lookalike_variants(s))
                   for s, w in zip(spelling, written))
    i = 0
    for s in spelling:
        if i < len(written) and written[i] == s:
            i += 1
        elif not is_block_letter(s):
            return False
    return i == len(written)


def _spelling(word: str, written: str, style: Literal["old", "new"]) -> str:
    """``word`` (a unit, "new" placement) in the tone placement its damaged form shows ("ho?"
    and "ho" come from "hoả", "h?a" and "ha" from "hỏa"), else in ``style``."""
    if not has_style_variant(word):
        return word
    spellings = {"old": set_tone_style(word, "old"), "new": set_tone_style(word, "new")}
    low = unicodedata.normalize("NFC", written.lower())
    fits = [k for k, v in spellings.items() if _could_become(v, low)]
    return spellings[fits[0] if len(fits) == 1 else style]


def _next_case(text: str, end: int) -> str:
    """What follows a word ending at ``end``, as the case table tells it: "cap" (a capitalised
    word after one space), "low" (a lowercase one) or "other"."""
    if text[end : end + 1] != " ":
        return "other"
    nxt = text[end + 1 : end + 2]
    return "cap" if nxt.isupper() else "low" if nxt.islower() else "other"


def _within(spans: list[tuple[int, int]], offset: int) -> bool:
    """Whether ``offset`` lies in one of ``spans`` (sorted, disjoint (start, end) pairs), its
    end included (a word put back at the end of a line)."""
    i = bisect.bisect_right(spans, (offset, math.inf)) - 1
    return i >= 0 and offset <= spans[i][1]


def _render(word: str, template: str, style: Literal["old", "new"]) -> str:
    """``word`` (a lowercase unit) in the document's tone style, with ``template``'s case."""
    if style == "old":
        word = set_tone_style(word, "old")
    letters = [c for c in template if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return word.upper()
    if template[:1].isupper() or (template[:1] in PLACEHOLDERS and len(template) > 1 and template[1:2].isupper()):
        return word[:1].upper() + word[1:]
    return word


_LOADS = 0


@functools.lru_cache(maxsize=8)
def get_restorer(model: str | None = None) -> Restorer:
    """The process's Restorer for ``model`` (a path, or None for the embedded default), built
    once: the model is memory-mapped and the channel indexes are built lazily on first use."""
    global _LOADS
    from .lm import NgramModel, load_default_model

    loaded = load_default_model() if model is None else NgramModel.load(model)
    _LOADS += 1
    lexicon: Lexicon | None = get_lexicon(model)
    if list(lexicon.vocab) != list(loaded.vocab):  # type: ignore[union-attr]
        lexicon = None  # the file was replaced since its units were read: use the model's own
    return Restorer(loaded, lexicon)


def model_load_count() -> int:
    """How many times this process has loaded a model (for tests of per-process caching)."""
    return _LOADS
