"""The first pass over a document: what damage does it show, and how often?

Counts only what damage explains: non-words a channel can make, placeholders inside words,
lines without marks, look-alike letters.  It needs the model's units and their unigram
probabilities and nothing else, so it runs without numpy and without the n-gram tables
(:func:`vn_repair.model_file.read_vocabulary`): most documents are clean, and a clean one is
done here.  :class:`vn_repair.restore.Restorer` decodes the rest with the same
:class:`Lexicon`.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from .channels import CandidateIndex, DropForms, build_index
from .config import Config
from .data_files import load_shape_table, load_wordlist
from .model_file import read_vocabulary
from .orthography import is_valid_syllable, strip_marks

__all__ = ["DamageEstimate", "Lexicon", "check_decoder_order", "get_lexicon"]

_WORD_RE = re.compile(r"[^\W\d_]+")
_LETTER_RE = re.compile("[^\\W\\d_]|[?\N{REPLACEMENT CHARACTER}]")
_EDGE_PUNCT = "\"'()[]{}<>.,;:!?…-–—“”‘’«»/*&%$#@+=|~^`"
# Letters with a diacritic: Latin-1 and Latin Extended (à, ô, ư, đ...) and the U+1EA0 block.
_NONASCII_LETTER_RE = re.compile("[\u00c0-\u024f\u1ea0-\u1ef9]")

# Pseudo-counts of the damage-rate prior: (damaged letters, intact letters).  They keep a short
# text with one non-word from being treated as heavily damaged.
RATE_PRIOR = (0.5, 10.0)
LOOKALIKE_MIN_EVIDENCE = 1
# Letters a "best fit" code page folds (ư ơ ă đ, with any tone) and the look-alike rate assumed
# when a text with placeholders has almost none of them.
_BEST_FIT_LOST = "đưừứửữựơờớởỡợăằắẳẵặ"
BEST_FIT_RATE = 0.5
BEST_FIT_INITIAL_SHARE = 0.05
_INITIAL_PLACEHOLDER_RE = re.compile("(?:^|(?<=\\s))[?\N{REPLACEMENT CHARACTER}]+(?=[^\\W\\d_])", re.MULTILINE)
# Rare non-words per word that clean text shows anyway (vietnews dev: 2 in 410,000 words;
# baomoi dev: 4 in 67,000); a document needs more than this before any channel opens.
BACKGROUND_NONWORDS = 1e-4
# Lowercase non-words no drop explains (foreign words, typos) per word in clean text (vietnews
# dev: 239 in 410,000 words; baomoi dev: 34 in 67,000; OCR output: about 85 per 10,000).  Below
# this, look-alike damage is not even considered, which spares clean text the look-alike index.
LOOKALIKE_BACKGROUND = 1e-3
# A non-word the model has seen more often than this (log10 unigram) is no evidence of damage.
RARE_LOG10 = -6.0
# An abbreviation of two letters or more that the corpora write in lowercase less than this
# share of the time ("TH", "VT", "NH", "TP"), out of LOWERCASE_MIN_COUNT writings or more, is
# no ordinary word in lowercase:
# there it is mostly what a syllable left when its block letters dropped ("th" for "thể", "vt"
# for "vật", "nh" for "nhà").
LOWERCASE_RARE_SHARE = 0.2
LOWERCASE_MIN_COUNT = 20
# Such a word counts only where block letters fall short: under a quarter of BLOCK_SHARE, among
# this many marked letters or more (clean text has none of the block among 8 marked letters
# once in 300 texts).
BLOCK_SHORTFALL_MIN_MARKS = 8
# Share of the marked letters of clean Vietnamese that lie in U+1EA0..U+1EF9 (vietnews dev:
# 193,454 of 380,718).
BLOCK_SHARE = 0.51
# Rare non-words (the first pass's evidence) per dropped letter: about two thirds of dropped
# letters leave a non-word, but many of those ("t", "th", "nh") are abbreviations clean text
# uses too and are not counted.  Measured with the default model on vietnews dev at drop rates
# 0.01, 0.05 and 0.15: 0.315, 0.311, 0.308.
NONWORD_SHARE = 0.31
# A line reads as stripped when this share of its words are the stripped form of a syllable;
# in a text whose stripped lines hold most of its words, the second share will do.
STRIPPED_SHARE = 0.8
STRIPPED_SHARE_AMONG_STRIPPED = 0.5
# A text of this many words or more without one mark (outside its stripped lines) shows no
# misread letters, and dropped ones only with a non-word that dropping explains in this share
# of its words (English: 0.3%).
NO_MARKS_MIN_WORDS = 50
NO_MARKS_DROP_SHARE = 0.05
# Inside a line with marks, a run of this many words in a row, each the stripped form of a
# syllable and one at least no syllable as written, reads as stripped ("Bài viết hay, cam on tac
# gia rat nhieu"): clean news has no run of six such words, even without that last condition
# (none in either dev file's 17,000 lines; seven of five).
STRIPPED_RUN_WORDS = 6
# Once a document shows such a run, shorter runs count: of this many words (and runs of six
# need no non-word).
STRIPPED_RUN_WORDS_AFTER = 3
# ... or a lone non-word of Vietnamese shape ("nhieu"), in a document whose look-alike evidence
# is unaccented words, and misread marks ("nưóc") no more than clean text's rare non-words.
STRIPPED_RUN_WORDS_UNACCENTED = 1
# A run of this many words or fewer needs a lowercase non-word that looks Vietnamese
# (_vietnamese_shape): "rat nhieu", not "hip hop".
SHAPED_RUN_WORDS = 2
# ... and only in a document that did not lose most of its letters (see Lexicon.estimate).
PARTIAL_STRIP_MAX_DROP = 0.3
# Words without marks are another language's where those explained neither as Vietnamese nor
# as damage outnumber those damage explains by FOREIGN_MIN_WORDS (see _foreign_spans).
FOREIGN_MIN_WORDS = 2
FOREIGN_WHOLE_SHARE = 3


_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True)
class DamageEstimate:
    """What the first pass concluded about one document."""

    drop: float = 0.0
    placeholder: float = 0.0
    lookalike: float = 0.0
    #: Rate at which marked letters outside U+1EA0..U+1EF9 (à, ô, ư, đ...) became placeholders.
    placeholder_marked: float = 0.0
    stripped_lines: frozenset[int] = frozenset()
    #: Stretches (start, end offsets) of unaccented words inside lines that are not stripped
    #: as a whole.
    stripped_runs: tuple[tuple[int, int], ...] = ()
    #: Stretches (start, end offsets) of another language inside a text with marks ("It is
    #: what it is"): their words are kept as written.
    foreign_spans: tuple[tuple[int, int], ...] = ()
    #: Whether a word with marks may be a look-alike of another ("đối" for "đồi", "Năm" for
    #: "Nằm"): not when the evidence is unaccented words alone, which leave a word with all
    #: its marks or none ("doi" for "đồi"; a marked word may still have lost letters).
    lookalike_swaps: bool = True
    #: cp1252 bytes read back as UTF-8: U+FFFD stands for a letter cp1252 has (à, ô, í), "?"
    #: for one it lacks (ạ, ư, đ).
    code_page_split: bool = False
    #: A code page's "best fit" folded đ, ư, ơ, ă (the look-alike rate is then its rate).
    best_fit: bool = False
    evidence: dict[str, int] = field(default_factory=dict)

    @property
    def is_clean(self) -> bool:
        return not (self.drop or self.placeholder or self.lookalike or self.stripped_lines or self.stripped_runs)


class Lexicon:
    """The model's units as the first pass sees them: which are syllables, which are ordinary
    words (never evidence of damage), and the channel indexes over the syllables, built on
    first use and kept.  Thread-safe in the way :class:`~vn_repair.restore.Restorer` is."""

    def __init__(self, vocab: Sequence[str], unigram_log10: Sequence[float]) -> None:
        self.vocab = vocab
        # The shipped word list holds only valid syllables: a unit found there needs no parse.
        listed: AbstractSet[str]
        try:
            listed = load_wordlist().keys()
        except (OSError, ValueError):
            listed = frozenset()
        self.syllable_ids = [i for i, w in enumerate(vocab)
                             if w in listed or not w.startswith("<") and is_valid_syllable(w)]
        self.syllable_set = frozenset(self.syllable_ids)
        # Words that are never evidence of damage: the model's syllables, and other units it has
        # seen often (abbreviations, foreign words in common use).
        self.ordinary = frozenset(w for i, w in enumerate(vocab)
                                  if i in self.syllable_set or unigram_log10[i] > RARE_LOG10 and not w.startswith("<"))
        # The ordinary words that are no syllables: abbreviations, names, foreign words.
        self._other_words = self.ordinary.difference(vocab[i] for i in self.syllable_ids)
        self._indexes: dict[frozenset[str], CandidateIndex] = {}
        self._unigram_log10 = unigram_log10

    def index(self, channels: frozenset[str]) -> CandidateIndex:
        """The candidate index of ``channels`` over the syllables and the marked words (imports
        numpy when a form is looked up)."""
        got = self._indexes.get(channels)
        if got is None:
            got = build_index(self.vocab, self._indexed_ids, channels)
            self._indexes[channels] = got
        return got

    @functools.cached_property
    def rarely_lowercase(self) -> frozenset[str]:
        """Ordinary words other than syllables that the corpora (``shape.tsv``) write in
        lowercase less than LOWERCASE_RARE_SHARE of the time: in lowercase, evidence of damage."""
        try:
            shapes = load_shape_table()
        except (OSError, ValueError):
            return frozenset()
        out = []
        for w in self._other_words:
            row = shapes.get(w)
            # Not a single letter: its capital is mostly an initial ("anh T."), and in lowercase it
            # is a list's or a formula's letter as often as a lost syllable ("mục t", "v 2.0").
            if len(w) >= 2 and row is not None and sum(row) >= LOWERCASE_MIN_COUNT \
                    and row[0] < LOWERCASE_RARE_SHARE * sum(row):
                out.append(w)
        return frozenset(out)

    @functools.cached_property
    def drop_forms(self) -> DropForms:
        """Membership in the drop index without building it (:class:`~vn_repair.channels.DropForms`)."""
        return DropForms(self.vocab, self._indexed_ids)

    @functools.cached_property
    def _indexed_ids(self) -> list[int]:
        """What the channel indexes invert: the syllables, then the marked words ("đắk" leaves
        "đk" when ắ is dropped, "vắcxin" "vcxin")."""
        return [*self.syllable_ids, *self.marked_words]

    @functools.cached_property
    def marked_words(self) -> list[int]:
        """The marked units with a vowel ("ôtô", "đắk"); not the acronyms ("hđnd", "đb"), whose
        forms without marks ("hdnd", "db") a line of English or code has as many of."""
        return [i for i in self.marked_units if any(c in _VOWELS for c in strip_marks(self.vocab[i]))]

    @functools.cached_property
    def marked_units(self) -> list[int]:
        """Ids of the units that are no syllable but are written with marks ("hđnd", "ôtô",
        "đắk", "vắcxin"): text that lost its marks lost theirs too.  Not those whose form
        without marks is in use as well, at least a tenth as often ("café" and "cafe",
        "Sénégal" and "Senegal", "đ" and "d"): that form may be what was written."""
        out = []
        for i, w in enumerate(self.vocab):
            if i in self.syllable_set or w.startswith("<"):
                continue
            bare = strip_marks(w)
            if bare == w:
                continue
            plain = self.word_ids.get(bare)
            if plain is None or self._unigram_log10[plain] < self._unigram_log10[i] - 1.0:
                out.append(i)
        return out

    @functools.cached_property
    def word_ids(self) -> dict[str, int]:
        """Unit → id (the restorer's as well)."""
        return {w: i for i, w in enumerate(self.vocab)}

    @functools.cached_property
    def stripped_forms(self) -> frozenset[str]:
        """The syllables, and the other units written with marks and a vowel, with their marks
        stripped ("dung" for dung, dùng, dựng...; "oto", "dak").  Not the acronyms ("hdnd",
        "db"): a line of English or code has as many ("# so hit the db")."""
        return frozenset(strip_marks(self.vocab[i]) for i in (*self.syllable_ids, *self.marked_words))

    def estimate(self, text: str, config: Config) -> DamageEstimate:
        """First pass: what damage does ``text`` show, and how often?  Counts only what damage
        explains: non-words a channel can make, placeholders inside words, lines without marks."""
        allowed = _allowed_channels(config)
        # Counting distinct space-separated chunks is much faster than tokenizing, and enough
        # for an estimate: punctuation is trimmed from the ends of each distinct chunk.
        stripped: set[int] = set()
        if "strip" in allowed:
            lines = text.split("\n")
            # The strip index is built only if some line passes the cheap screens.
            stripped = _stripped_lines(lines, lambda: self.stripped_forms)
        # Lines without marks explain their own non-words ("nguoi", "nhieu") and have no marks
        # to count: the evidence of other damage is the other lines.  So a stray marked letter
        # ("Ð", "café") or one clean line does not make a stripped text read as one that lost
        # every letter of the block (and misread the rest).
        seen = text
        if stripped:
            # Clean text's rare non-words are counted against all of it, as before.
            words = len(text.split())
            # In a text mostly without marks, the other lines lost theirs too, but are too
            # short to tell ("QUOC HOI", "Anh: Huu Thang") or hold names and foreign words.
            if 2 * sum(len(lines[n].split()) for n in stripped) > words:
                stripped |= _more_stripped_lines(lines, stripped, self.stripped_forms)
            seen = "\n".join(line for n, line in enumerate(lines) if n not in stripped)
        chunks = seen.split()
        if seen is text:
            words = len(chunks)
        # Membership alone, without the drop index (0.1 s to build) unless it is there already:
        # clean text has only a few hundred distinct rare non-words to ask about.
        drop_index: CandidateIndex | DropForms | None = None
        if "drop" in allowed:
            drop_index = self._indexes.get(frozenset({"drop"})) or self.drop_forms
        # Letters by UTF-8 lead bytes: U+1EA0..U+1EF9 is E1 BA xx / E1 BB xx; the other marked
        # letters (U+00C0..U+01BF) lead with C3..C6, capitals as well as small letters.
        raw = seen.encode("utf-8", "surrogatepass")
        kept_block = raw.count(b"\xe1\xba") + raw.count(b"\xe1\xbb")
        kept_marked = raw.count(b"\xc3") + raw.count(b"\xc4") + raw.count(b"\xc5") + raw.count(b"\xc6")
        unaccented_text = kept_block + kept_marked <= 0.01 * len(chunks)
        ordinary = self.ordinary
        suspects: set[str] = set()
        trailing_placeholders = 0
        distinct = set(chunks)
        # Abbreviations written in lowercase, which the corpora write so rarely ("th", "vt"),
        # stay to be weighed below (the shape table is read only when a text has such a word).
        lowercase_rare = distinct & self._other_words and self.rarely_lowercase
        rare_here = lowercase_rare & distinct if lowercase_rare else None
        distinct.difference_update(ordinary)  # most chunks: a lowercase word without punctuation
        if rare_here:
            distinct.update(rare_here)
        for chunk in distinct:
            if "?" in chunk or "\N{REPLACEMENT CHARACTER}" in chunk:
                # Evidence of placeholders, never of dropped letters ("th?" is not "th").  A "?"
                # after a fragment that is no word ("ph?" for "phố") is a lost letter, not a
                # question mark; after a word without its marks ("duoc?" for "được?") in a text
                # with next to no marks (a stray foreign letter aside), a question mark ("gi?"
                # in a text with marks may be "giờ").
                if chunk.endswith("?") and "placeholder" in allowed:
                    core = chunk.rstrip("?").lstrip(_EDGE_PUNCT).lower()
                    if core.isalpha() and not is_valid_syllable(core) and not (
                            unaccented_text and core.isascii() and core in self.stripped_forms):
                        trailing_placeholders += 1
                continue
            core = chunk.strip(_EDGE_PUNCT)
            w = core.lower()
            # Ordinary words include abbreviations and foreign words that clean text uses too.
            if w in ordinary and not (w in lowercase_rare and core.islower()) \
                    or not w.isalpha() or is_valid_syllable(w):
                continue
            suspects.add(chunk)
        background = BACKGROUND_NONWORDS * words
        placeholders = _count_placeholders(text) + trailing_placeholders if "placeholder" in allowed else 0
        nonword_drop = 0
        # Lowercase non-words no drop explains: look-alike misreadings, or typos.  (Capitalised
        # ones are mostly names, and say nothing about OCR.)
        others: list[tuple[str, int]] = []
        drops: list[tuple[str, int]] = []
        if suspects:
            rare_drops: list[tuple[str, int]] = []
            for chunk, n in Counter(filter(suspects.__contains__, chunks)).items():
                core = chunk.strip(_EDGE_PUNCT)
                w = core.lower()
                rare = w in lowercase_rare
                if drop_index is not None and w in drop_index:
                    (rare_drops if rare else drops).append((w, n))
                elif core.islower() and not rare:
                    others.append((w, n))
            nonword_drop = sum(n for _, n in drops)
            # Lowercase abbreviations tell whether a text lost letters when nothing else shows
            # damage, not how often: a text with other non-words, or placeholders, keeps the
            # rates they give.  And only where block letters are far fewer than clean text has,
            # among enough marked letters to tell (a short text that lost them all: "ngưi này b
            # quên con vt"): informal writing, domains and text about letters use such words
            # too ("số đt", ".vn", "âm th", "sn em gái").
            marks = kept_block + kept_marked
            if rare_drops and nonword_drop <= background and placeholders <= background \
                    and marks >= BLOCK_SHORTFALL_MIN_MARKS and 4 * kept_block < BLOCK_SHARE * marks:
                drops += rare_drops
                nonword_drop += sum(n for _, n in rare_drops)
        # A long text without a mark misread none (below): its look-alike count is not needed
        # then, nor the index for it (0.15 s).  (The one other reader of the count, the
        # foreign-span search, runs only in a text with a marked letter, which this rules out.)
        unmarked = (not kept_block + kept_marked and words >= NO_MARKS_MIN_WORDS
                    and not _NONASCII_LETTER_RE.search(seen))
        nonword_la = 0
        best_fit = False
        unexplained = sum(n for _, n in others)
        foreign: list[tuple[int, int]] = []
        if "lookalike" in allowed and not unmarked and unexplained >= LOOKALIKE_MIN_EVIDENCE \
                and unexplained > max(background, LOOKALIKE_BACKGROUND * words):
            la_index = self.index(frozenset({"drop", "lookalike"}))
            nonword_la = sum(n for w, n in others if w in la_index)
        if (nonword_la or nonword_drop > background) and _NONASCII_LETTER_RE.search(seen) \
                and _ASCII_STRETCH_RE.search(text):
            # English inside Vietnamese ("it is what it is") reads as damage: "it" for "ít",
            # "that" for "thật", "git" for "giết".  Its stretches are kept, and are no evidence.
            stripped_forms = self.stripped_forms

            def explained(w: str) -> bool:
                # A word without marks that look-alikes explain lost every mark, so it is a
                # stripped form, or letters too: no need of the look-alike index (0.3 s to build).
                return w in stripped_forms or drop_index is not None and w in drop_index

            foreign = _foreign_spans(text, explained, stripped_forms)
            if foreign:
                in_foreign = _words_in(text, foreign)
                if nonword_la:
                    nonword_la -= _overlap(in_foreign, (wn for wn in others if wn[0] in la_index))
                nonword_drop -= _overlap(in_foreign, drops)
        if placeholders <= background:
            placeholders = 0  # a stray "?x" (a URL's query string, a typo) opens no channel
        if placeholders >= 2 and "lookalike" in allowed:
            # A code page without Vietnamese, with "best fit": ư, ơ, ă, đ lose their marks and
            # the letters it lacks become "?".  Then those four letters are all but absent.
            # But a code page without best fit loses đ to "?" too, and đ starts one word in
            # twenty: word-initial placeholders are 11-16% of all on simulated plain cp1252 text,
            # 1.2% with best fit (vietnews dev).
            lowered = text.lower()
            horned = sum(lowered.count(c) for c in _BEST_FIT_LOST)
            initial = len(_INITIAL_PLACEHOLDER_RE.findall(text))
            # And best fit keeps the letters cp1252 has (à, ô, é): a text without them was
            # stripped, and its "?" are question marks after unaccented words ("khong?").
            best_fit = (horned <= 0.05 * placeholders and initial <= BEST_FIT_INITIAL_SHARE * placeholders
                        and kept_marked >= 0.2 * placeholders)
        a, b = RATE_PRIOR
        # Clean text has a few rare non-words too (typos, unlisted names): below this background
        # the document is taken as undamaged, which keeps clean text byte for byte and fast.
        if nonword_drop <= background:
            nonword_drop = 0
        if nonword_la <= background:
            nonword_la = 0
        if not kept_block + kept_marked and words >= NO_MARKS_MIN_WORDS:
            # A long text without a single mark misread none: it is stripped (its lines tell,
            # below), or lost every marked letter (text encoded to ASCII ignoring errors: "Vit
            # Nam", a non-word every few words), or another language ("that" is no "thát").
            nonword_la = 0
            if nonword_drop < NO_MARKS_DROP_SHARE * words:
                nonword_drop = 0
        dropped = nonword_drop / NONWORD_SHARE
        # Block letters now written "?" were not dropped: they count with the kept ones.
        drop = (dropped + a) / (dropped + kept_block + placeholders + a + b) if nonword_drop else 0.0
        # Look-alike misreadings need more than a stray typo or foreign word: a few of them, and
        # not drowned among dropped letters (whose non-words the look-alike index also holds).
        def lookalike_rate(nonword_la: int) -> float:
            la_seen = nonword_la >= max(LOOKALIKE_MIN_EVIDENCE, 0.01 * nonword_drop)
            la = (nonword_la + a) / (nonword_la + kept_marked + kept_block + a + b) if la_seen else 0.0
            return max(la, BEST_FIT_RATE) if best_fit else la

        la = lookalike_rate(nonword_la)
        ph = ph_marked = 0.0
        if placeholders:
            # Which letters did the placeholders take?  Clean Vietnamese has about as many
            # marked letters inside the block as outside it (BLOCK_SHARE); what is missing from
            # each class says how often that class was lost.
            total = placeholders + kept_block + kept_marked
            missing_block = max(0.0, BLOCK_SHARE * total - kept_block)
            missing_marked = max(0.0, (1.0 - BLOCK_SHARE) * total - kept_marked)
            share = (missing_block + a) / (missing_block + missing_marked + 2 * a)
            ph = (placeholders * share + a) / (placeholders * share + kept_block + dropped + a + b)
            ph_marked = (placeholders * (1 - share) + a) / (placeholders * (1 - share) + kept_marked + a + b)
        runs: list[tuple[int, int]] = []
        # Look-alike evidence made of unaccented words ("nhieu") shows marks lost by typing,
        # not misread: then no word with marks is read as another's look-alike ("đối" for
        # "đồi").  Only in a text with marks: in plain ASCII (English) every non-word is
        # unaccented.
        # Look-alike evidence with a mark left ("nưóc") counts once it is more than clean text's
        # rare non-words (typos).
        misread = sum(n for w, n in others if w in la_index and not w.isascii()) if nonword_la else 0
        swaps = not nonword_la or misread > background or "strip" not in allowed or not kept_block + kept_marked
        # Unaccented non-words that no look-alike explains ("duoc" for "được" lost a tone too)
        # show marks lost as well, in a text with marks and if no English word has their shape
        # ("duoc", "nguoi", "nhieu"; not "set", "diet", "yet", "quo").
        unaccented = bool(kept_block + kept_marked) and sum(
            n for w, n in others if _UNMISTAKABLE_RE.search(w) and w.isascii() and w in self.stripped_forms
        ) > background
        if "strip" in allowed and drop <= PARTIAL_STRIP_MAX_DROP and not best_fit and (la or ph or stripped
                                                                                        or unaccented):
            # Only a document whose non-words already show marks lost (unaccented words such as
            # "nhieu" read as look-alike damage, or "duoc" above) is searched: the search is a
            # regex pass over the text.  Not one that lost most of its letters: lines of that read as unaccented
            # words, and are not.  Nor one through a code page's best fit: its unaccented words
            # lost ư, ơ, ă or đ, but never a tone (that became "?").
            runs = _stripped_runs(text, stripped, lambda: self.stripped_forms)
            if runs or not swaps or unaccented:
                # A document with such runs has shorter ones too ("rat nhieu" between two
                # marked words): once it shows one, or unaccented non-words as above, a run of
                # STRIPPED_RUN_WORDS_AFTER will do; and a lone word where the look-alike
                # evidence is all unaccented words ("nhieu", "thich", no misread mark such as
                # "nưóc"): words typed without marks are then likelier than OCR.
                shortest = STRIPPED_RUN_WORDS_AFTER if swaps else STRIPPED_RUN_WORDS_UNACCENTED
                runs = _merged(runs + _stripped_runs(text, stripped, lambda: self.stripped_forms, shortest,
                                                     long_valid=bool(runs)))
            if foreign:
                runs = [(lo, hi) for lo, hi in runs if not any(a < hi and lo < b for a, b in foreign)]
            if runs and nonword_la:
                # The unaccented words of those runs are no evidence of look-alikes elsewhere.
                # A lone word ("nhieu") may as well be a look-alike misreading: it still counts.
                in_runs = _words_in(text, [(lo, hi) for lo, hi in runs if " " in text[lo:hi]])
                nonword_la = max(0, nonword_la - _overlap(in_runs, (wn for wn in others if wn[0] in la_index)))
                la = lookalike_rate(nonword_la)
        if config.damage_rate is not None:
            drop = config.damage_rate if "drop" in allowed else 0.0
            if "lookalike" in allowed and config.damage != "auto":
                la = config.damage_rate
            if "placeholder" in allowed and config.damage != "auto":
                ph = ph_marked = config.damage_rate
        # Text forced through cp1252 and read back as UTF-8 shows both marks of loss: "?" where
        # cp1252 had no letter, U+FFFD where its byte for a Latin-1 letter failed to decode.
        fffd = text.count("\N{REPLACEMENT CHARACTER}")
        split = "placeholder" in allowed and fffd >= 2 and placeholders - fffd >= 2
        return DamageEstimate(
            code_page_split=split,
            best_fit=best_fit,
            drop=min(drop, 0.999),
            placeholder=min(ph, 0.999),
            placeholder_marked=min(ph_marked, 0.999),
            lookalike=min(la, 0.999),
            stripped_lines=frozenset(stripped),
            stripped_runs=tuple(runs),
            foreign_spans=tuple(foreign),
            lookalike_swaps=swaps or best_fit,
            evidence={
                "nonword_drop": nonword_drop,
                "nonword_lookalike": nonword_la,
                "placeholder": placeholders,
                "kept_block": kept_block,
                "kept_marked": kept_marked,
                "stripped_lines": len(stripped),
                "stripped_runs": len(runs),
                "foreign_spans": len(foreign),
            },
        )


# Stretches without marks inside a line (ASCII, typographic quotes, dashes and ellipses): long
# enough to hold STRIPPED_RUN_WORDS words, three words or one.
_STRETCH_CHARS = "\x00-\x09\x0b-\x7f\u00a0\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
_ASCII_STRETCH_RE = re.compile(f"(?<![{_STRETCH_CHARS}])[{_STRETCH_CHARS}]{{20,}}")
_SHORT_ASCII_STRETCH_RE = re.compile(f"(?<![{_STRETCH_CHARS}])[{_STRETCH_CHARS}]{{12,}}")
_SHORTEST_ASCII_STRETCH_RE = re.compile(f"(?<![{_STRETCH_CHARS}])[{_STRETCH_CHARS}]{{5,}}")
_CHUNK_RE = re.compile(r"\S+")
_VIETNAMESE_SHAPE_RE = re.compile("[aeiouy]{2}|^(?:nh|ng|kh|gh)")
# Shapes no English word has (uo before a letter, ieu, uye, the initials): evidence alone.
_UNMISTAKABLE_RE = re.compile("uo[a-z]|ieu|uye|^(?:nh|ng|kh|gh)")
# Capitalised words (names, acronyms; not "I" or "A"), numbers and nothing (bare punctuation).
_NEUTRAL_RE = re.compile(r"(?:[A-Z][A-Za-z]+|[0-9][0-9.,:/%-]*)?")
_INITIAL_RE = re.compile(r"[A-Z]\.")  # "anh L. da co vo"


def _words_in(text: str, spans: Iterable[tuple[int, int]]) -> Counter[str]:
    """How often each lowercase word (edge punctuation trimmed) occurs in ``spans``: the
    words that can be look-alike or drop evidence."""
    cores = (c.strip(_EDGE_PUNCT) for lo, hi in spans for c in text[lo:hi].split())
    return Counter(c for c in cores if c.islower())


def _overlap(words: Counter[str], evidence: Iterable[tuple[str, int]]) -> int:
    """How much of ``evidence`` ((word, count) pairs, a word maybe in several) ``words`` holds."""
    counted: Counter[str] = Counter()
    for w, n in evidence:
        counted[w] += n
    return sum(min(n, counted[w]) for w, n in words.items() if w in counted)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted, with those that overlap joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _whole_chunks(text: str, lo: int, hi: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, chunk) of the space-separated chunks that lie whole in ``text[lo:hi]``; one
    that the stretch cuts is part of a word with marks, or of other characters."""
    for m in _CHUNK_RE.finditer(text, lo, hi):
        start, end = m.span()
        if ((start > lo or lo == 0 or text[lo - 1].isspace())
                and (end < hi or hi == len(text) or text[hi].isspace())):
            yield start, end, m.group()


# What a word without marks says in _foreign_spans, and its score there.
_SYLLABLE, _FOREIGN, _DAMAGE, _EITHER, _UNSEEN = range(5)
_SCORES = (0, 1, -1, 0)


def _foreign_spans(text: str, explained: Callable[[str], bool], stripped_forms: Container[str]
                   ) -> list[tuple[int, int]]:
    """(start, end) of each stretch of another language inside the stretches without marks
    (as for runs).  A lowercase word that is no syllable, no syllable's stripped form and no
    damage ``explained`` is foreign ("with", "is", "program"); one that damage explains
    ("nhieu", "dng") speaks against, and one that is either, a stripped form that does not
    look Vietnamese ("it", "that": :func:`_vietnamese_shape`), says nothing.  A span runs
    from a foreign word to a foreign word, where they outnumber the words against by
    FOREIGN_MIN_WORDS or more at the densest, and takes in the words that are either at its
    edges ("that is true").  A stretch with a span and FOREIGN_WHOLE_SHARE times as many
    foreign words as words against or either (and that many at least) is a span as a whole
    (a line of English).  So text that lost its marks keeps only its foreign terms as they
    are ("vi tit mc | opera Queen of the night", "nam gii ln tui mc | vest tuxedo").  Clean
    news has spans only of foreign terms ("(big data)", "bar, pub")."""
    out: list[tuple[int, int]] = []
    verdicts: dict[str, int] = {}
    for stretch in _ASCII_STRETCH_RE.finditer(text):
        lo, hi = stretch.span()
        # Each whole chunk scores +1 (foreign), -1 (damage) or 0 (syllables, names, numbers,
        # punctuation, and English-looking stripped forms such as "it", "that", which are
        # either); spans are its maximum-sum runs, as (first, last) chunk indexes.
        chunks: list[tuple[int, int, int]] = []  # (start, end, verdict)
        for start, end, chunk in _whole_chunks(text, lo, hi):
            core = chunk.strip(_EDGE_PUNCT)
            verdict = _SYLLABLE
            if core.isalpha() and core.islower():
                verdict = verdicts.get(core, _UNSEEN)
                if verdict == _UNSEEN:
                    verdict = verdicts[core] = (
                        _SYLLABLE if is_valid_syllable(core)
                        else _FOREIGN if not explained(core)
                        else _EITHER if core in stripped_forms and not _vietnamese_shape(core)
                        else _DAMAGE)
            chunks.append((start, end, verdict))
        spans: list[tuple[int, int]] = []
        first = last = -1
        total = best = 0
        for i, (_start, _end, verdict) in enumerate(chunks):
            score = _SCORES[verdict]
            if first < 0:
                if score <= 0:
                    continue
                first = i
            total += score
            if total > best:
                best, last = total, i
            if total <= 0:
                if best >= FOREIGN_MIN_WORDS:
                    spans.append((first, last))
                first, total, best = -1, 0, 0
        if first >= 0 and best >= FOREIGN_MIN_WORDS:
            spans.append((first, last))
        if not spans:
            continue
        foreign = sum(c[2] == _FOREIGN for c in chunks)
        if foreign >= FOREIGN_WHOLE_SHARE * max(1, sum(c[2] in (_DAMAGE, _EITHER) for c in chunks)):
            out.append((chunks[0][0], chunks[-1][1]))  # a line of English, say
            continue
        for first, last in spans:
            while first > 0 and chunks[first - 1][2] == _EITHER:
                first -= 1
            while last + 1 < len(chunks) and chunks[last + 1][2] == _EITHER:
                last += 1
            out.append((chunks[first][0], chunks[last][1]))
    return out


def _vietnamese_shape(word: str) -> bool:
    """Whether an unaccented non-word looks Vietnamese alone: a run of vowels ("nhieu",
    "duoc") or an initial no English word has ("nguoi", "khach").  English words that are the
    stripped form of a syllable mostly have one vowel ("set", "chat", "it", "that")."""
    return _VIETNAMESE_SHAPE_RE.search(word) is not None


def _stripped_runs(text: str, stripped_lines: Container[int], strip_index: Callable[[], Container[str]],
                   min_words: int = STRIPPED_RUN_WORDS, long_valid: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each run of ``min_words`` or more space-separated words in a row,
    outside ``stripped_lines``, each of ASCII letters (punctuation at the edges aside), not an
    acronym nor a capital alone ("I"), and the stripped form of a syllable; with non-words as
    written among them ("nhieu", "hoc"), which clean text never has ("trong khi anh ta cho
    con" is clean): one in a run of STRIPPED_RUN_WORDS or more, a lowercase one or two
    capitalised ones in a shorter run, and one that looks Vietnamese in a run of one or two
    (:func:`_vietnamese_shape`: "rat nhieu", not "hip hop").  Names, acronyms, initials,
    numbers and bare punctuation neither end a run nor count in it ("tuong Modi cung"); a
    run of three or more needs two different lowercase words ("Co. op Xtra, Co. op Food"
    has one).  With ``long_valid`` (the document has shown runs), a run of
    STRIPPED_RUN_WORDS needs no non-word ("phe binh cho rang de xay ra") if most of its
    words are lowercase ("Do Re Mi Fa Sol La Si Do" is none)."""
    out: list[tuple[int, int]] = []
    index: Container[str] | None = None
    line_starts: list[int] | None = None
    long_runs = min_words >= STRIPPED_RUN_WORDS
    stretches = (_ASCII_STRETCH_RE if long_runs else _SHORT_ASCII_STRETCH_RE if min_words >= 3
                 else _SHORTEST_ASCII_STRETCH_RE)
    # A long run needs one non-word; a short one a lowercase non-word or two capitalised ones:
    # there one capitalised non-word is as likely a name ("Hat Chao Mai", a park in Thailand).
    need = 1 if long_runs else 2
    for stretch in stretches.finditer(text):
        lo, hi = stretch.span()
        if stripped_lines:
            if line_starts is None:
                line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
            if bisect.bisect_right(line_starts, lo) - 1 in stripped_lines:
                continue
        if index is None:
            index = strip_index()
        runs: list[list[tuple[int, int, str]]] = []  # (start, end, word) of each run
        run: list[tuple[int, int, str]] = []
        for start, end, chunk in _whole_chunks(text, lo, hi):
            core = chunk.strip(_EDGE_PUNCT)
            # Not an acronym, nor a capital alone ("I", "A").
            if core.isalpha() and not core.isupper() and core.lower() in index:
                run.append((start, end, core))
            elif not (run and (_NEUTRAL_RE.fullmatch(core) or _INITIAL_RE.fullmatch(chunk))):
                if run:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
        for run in runs:
            words = len(run)
            lowers = {w for _, _, w in run if w.islower()}
            caps = sum(1 for _, _, w in run if not w.islower())
            # Non-words as written, a capitalised one (maybe a name) counting half.
            odd = [w for _, _, w in run if not is_valid_syllable(w.lower())]
            nonwords = sum(2 if w.islower() else 1 for w in odd)
            shaped = any(w.islower() and _vietnamese_shape(w) for w in odd)
            if words < min_words or words <= SHAPED_RUN_WORDS and not shaped:
                continue  # "hip hop", "set" are English
            if words > SHAPED_RUN_WORDS and len(lowers) < 2:
                continue  # names and a word repeated: "Co. op Xtra, Co. op Food", "Top 500, Top"
            if nonwords >= need or (long_valid and words >= STRIPPED_RUN_WORDS and 2 * caps < words):
                out.append((run[0][0], run[-1][1]))
    return out


@functools.lru_cache(maxsize=8)
def get_lexicon(model: str | None = None) -> Lexicon:
    """The process's :class:`Lexicon` for model file ``model`` (None: the embedded default),
    read without numpy and built once; the file is checked as a model the decoder can use."""
    vocab, unigram, header = read_vocabulary(model)
    check_decoder_order(int(header["order"]))
    return Lexicon(vocab, unigram)


def check_decoder_order(order: int) -> int:
    """``order``, if the decoder works with models of that order (3 or 4); else ValueError."""
    if order not in (3, 4):
        raise ValueError(f"the decoder works with trigram or 4-gram models, not order {order}")
    return order


def _allowed_channels(config: Config) -> frozenset[str]:
    if config.damage == "auto":
        return frozenset(("drop", "strip", "placeholder", "lookalike"))
    return frozenset(config.damage)


def _count_placeholders(text: str) -> int:
    """Placeholders inside a word or starting one ("Vi?t", "?n"), and every U+FFFD; a "?" after
    a word is as likely a question mark and is not counted."""
    n = text.count("\N{REPLACEMENT CHARACTER}")
    i = text.find("?")
    last = len(text) - 1
    while i >= 0:
        if i < last and text[i + 1].isalpha():
            n += 1
        i = text.find("?", i + 1)
    return n


def _more_stripped_lines(lines: list[str], stripped: Container[int], forms: Container[str]) -> set[int]:
    """Lines (by number) outside ``stripped`` that read as stripped in a text mostly stripped:
    words of ASCII letters, and of one to three words each the stripped form of a syllable and
    one at least no syllable as written (``forms``: a heading, a caption), or longer with
    STRIPPED_SHARE_AMONG_STRIPPED of them such forms and STRIPPED_SHARE of the lowercase ones,
    which it has (names in between: "Quan doi Philippines tai thanh pho Marawi")."""
    out: set[int] = set()
    for n, line in enumerate(lines):
        if n in stripped:
            continue
        words = _WORD_RE.findall(line)
        if not words or not all(w.isascii() for w in words):
            continue
        known = sum(1 for w in words if w.lower() in forms)
        if len(words) < 4:
            # With a non-word among them, as a run needs: "I am Sam", "Go", "Chan Chan" are
            # syllables as written.
            if known == len(words) and not all(is_valid_syllable(w.lower()) for w in words):
                out.add(n)
            continue
        # Names aside, the words are as in any stripped line: English has too few such forms
        # among its lowercase words ("He said: to be or not to be"), and a line of names
        # alone ("Tan Dun, Lang Lang, Yo Yo Ma") or English in title case has none.
        lower = [w for w in words if w.islower()]
        if lower and known >= STRIPPED_SHARE_AMONG_STRIPPED * len(words) \
                and sum(1 for w in lower if w in forms) >= STRIPPED_SHARE * len(lower):
            out.add(n)
    return out


def _stripped_lines(lines: list[str], strip_index: Callable[[], Container[str]]) -> set[int]:
    """Lines (by number) that read as Vietnamese with its marks stripped: enough words, one
    marked letter at most or almost none, and most of them the stripped form of a known
    syllable (``strip_index()``, asked for only when a line gets that far)."""
    out: set[int] = set()
    for n, line in enumerate(lines):
        # Cheap screen first: UTF-8 bytes beyond one per character count the marked letters.
        # U+FFFD (three bytes) fails it too: it stands for a marked letter that was replaced,
        # so the plain letters around it are as written, not stripped.
        if len(line.encode("utf-8", "surrogatepass")) - len(line) > 0.1 * line.count(" ") + 4 \
                or "\N{REPLACEMENT CHARACTER}" in line:
            continue
        if "@" in line or "://" in line or "www." in line:
            # An address's parts are no words ("congty", "vn"): chunks with "@" or "://", or
            # starting "www.", are left out (a split, not a regex: linear in a long chunk).
            line = " ".join(c for c in line.split() if "@" not in c and "://" not in c and not c.startswith("www."))
        words = _WORD_RE.findall(line)
        if len(words) < 4:
            continue
        marked = len(_NONASCII_LETTER_RE.findall(line))
        if marked > max(1, 0.05 * len(words)):
            continue  # one stray letter ("Ðoan Van Minh", "Pokémon") is no line with marks
        index = strip_index()
        syllables = sum(map(index.__contains__, map(str.lower, words)))
        if syllables >= STRIPPED_SHARE * len(words):
            out.add(n)
    return out
