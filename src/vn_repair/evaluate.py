"""Score a repair against the clean text, token by token.

The three texts (clean, damaged, repaired) are compared line by line.  Damage and repair never
change spaces, so each line is split on ``" "`` and the tokens are paired by position (a one-letter
word that vanished leaves an empty token in its place).  Only when a line splits into a
different number of tokens (another tool re-spaced it) is it aligned with :mod:`difflib`, and
the line is counted in ``realigned_lines``.

Each token position of a line falls in one class:

* **damaged** (damaged != clean): *restored* if repaired == clean, *missed* if the repair left it
  as it was (repaired == damaged), else a *wrong fix*;
* **undamaged** (damaged == clean, not empty): *broken* if the repair changed it.

Tokens are compared whole and exactly: case, punctuation and Unicode form count.  A word
inserted where the clean and damaged texts both had an empty token (a double space) counts as
broken too, although empty positions are not counted among the undamaged tokens.

>>> s = evaluate("xây dựng  đất", "xây dng  đt", "xây dựng  đá")
>>> (s.damaged_tokens, s.restored, s.wrong_fixes, s.missed, s.broken)
(2, 1, 1, 0, 0)
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import Config
from .damage import RATE_KINDS, SIMULATED_DAMAGE, damage_text, parse_kinds, quiet_broken_pipe, text_output
from .orthography import is_valid_syllable
from .tokenize import PLACEHOLDERS as _PLACEHOLDERS

__all__ = [
    "CATEGORIES",
    "CategoryScores",
    "ErrorPattern",
    "Report",
    "Scores",
    "add_arguments",
    "evaluate",
    "format_errors",
    "run_cli",
    "run_evaluation",
    "wrap_lines",
]

Outcome = Literal["restored", "wrong", "missed", "broken"]

#: How a damaged token is classed in the breakdown (by what the damage left), in report order:
#: ``vanished`` (nothing left), ``placeholder`` (a "?" or U+FFFD stands for a letter),
#: ``punctuation`` (only the characters around the word changed), ``non-word`` (the letters
#: left are not a Vietnamese syllable), ``valid-word`` (they are one: only context can tell),
#: ``other`` (the clean token is no single syllable: a name, foreign word, number, compound).
#: Broken tokens are classed by the clean token: ``valid-word``, ``other``, or ``empty``
#: (a word inserted into a double space).
CATEGORIES = ("vanished", "placeholder", "punctuation", "non-word", "valid-word", "other", "empty")

_CORE_RE = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)


def _core(token: str) -> str:
    """The token without the punctuation, digits and symbols around it."""
    m = _CORE_RE.match(token)
    return m.group(1) if m else token


def _classify_damaged(clean: str, damaged: str) -> str:
    if not damaged:
        return "vanished"
    if sum(damaged.count(p) for p in _PLACEHOLDERS) > sum(clean.count(p) for p in _PLACEHOLDERS):
        return "placeholder"
    core = _core(damaged)
    clean_core = _core(clean)
    if core == clean_core:
        return "punctuation"
    if not is_valid_syllable(clean_core):
        return "other"
    return "valid-word" if is_valid_syllable(core) else "non-word"


def _classify_clean(clean: str) -> str:
    if not clean:
        return "empty"
    return "valid-word" if is_valid_syllable(_core(clean)) else "other"


@dataclass(frozen=True)
class CategoryScores:
    """Counts for one class of damaged (or broken) token."""

    damaged: int = 0
    restored: int = 0
    wrong: int = 0
    missed: int = 0
    broken: int = 0

    @property
    def recall(self) -> float | None:
        return self.restored / self.damaged if self.damaged else None


@dataclass(frozen=True)
class ErrorPattern:
    """One kind of mistake left after repair, with how often it happened.

    ``outcome`` is ``"wrong"``, ``"missed"`` or ``"broken"``; ``line`` is the 1-based line of its
    first occurrence and ``index`` the 0-based position of the token in that line.
    """

    outcome: str
    category: str
    clean: str
    damaged: str
    repaired: str
    count: int
    line: int
    index: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Scores:
    """Token-level scores of a repair.  Counts are fields; rates are derived properties."""

    lines: int
    clean_tokens: int
    damaged_tokens: int
    restored: int
    wrong_fixes: int
    missed: int
    undamaged_tokens: int
    broken: int
    #: Positions where the repair changed the damaged token (whatever the outcome).
    changed_tokens: int
    #: Lines whose token counts differed, aligned with difflib instead of by position.
    realigned_lines: int
    #: Per-category counts, in :data:`CATEGORIES` order (categories that never occur omitted).
    breakdown: tuple[tuple[str, CategoryScores], ...] = ()
    #: Mistakes grouped by (outcome, clean, damaged, repaired), most frequent first.
    errors: tuple[ErrorPattern, ...] = field(default=(), compare=False, repr=False)

    @property
    def errors_before(self) -> int:
        """Token positions that differ from the clean text before repair."""
        return self.damaged_tokens

    @property
    def errors_after(self) -> int:
        """Token positions that differ from the clean text after repair."""
        return self.wrong_fixes + self.missed + self.broken

    @property
    def recall(self) -> float | None:
        """Share of damaged tokens restored exactly."""
        return self.restored / self.damaged_tokens if self.damaged_tokens else None

    @property
    def wrong_fix_rate(self) -> float | None:
        """Share of damaged tokens changed into something still wrong."""
        return self.wrong_fixes / self.damaged_tokens if self.damaged_tokens else None

    @property
    def missed_rate(self) -> float | None:
        """Share of damaged tokens left as they were."""
        return self.missed / self.damaged_tokens if self.damaged_tokens else None

    @property
    def damage_rate(self) -> float | None:
        """Share of clean tokens that the damage changed."""
        return self.damaged_tokens / self.clean_tokens if self.clean_tokens else None

    @property
    def broken_per_10k(self) -> float | None:
        """Undamaged tokens the repair changed, per 10,000 undamaged tokens."""
        return 1e4 * self.broken / self.undamaged_tokens if self.undamaged_tokens else None

    @property
    def precision(self) -> float | None:
        """Share of the repair's changes that gave exactly the clean token."""
        return self.restored / self.changed_tokens if self.changed_tokens else None

    @property
    def error_reduction(self) -> float | None:
        """1 - errors after / errors before (negative when the repair made things worse)."""
        return 1.0 - self.errors_after / self.errors_before if self.errors_before else None

    def to_dict(self, *, max_errors: int | None = 0) -> dict[str, Any]:
        """Counts, derived rates and breakdown as plain JSON-ready data; ``max_errors`` error
        patterns of each outcome are included (``None`` for all)."""
        out: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("lines", "clean_tokens", "damaged_tokens", "restored", "wrong_fixes", "missed",
                         "undamaged_tokens", "broken", "changed_tokens", "realigned_lines",
                         "errors_before", "errors_after", "damage_rate", "recall", "wrong_fix_rate",
                         "missed_rate", "broken_per_10k", "precision", "error_reduction")
        }
        out["breakdown"] = {name: {**asdict(c), "recall": c.recall} for name, c in self.breakdown}
        if max_errors != 0:
            out["errors"] = [e.to_dict() for e in self.top_errors(max_errors)]
        return out

    def top_errors(self, n: int | None) -> list[ErrorPattern]:
        """The ``n`` most frequent patterns of each outcome: broken, then wrong, then missed."""
        picked: list[ErrorPattern] = []
        for outcome in ("broken", "wrong", "missed"):
            of_kind = [e for e in self.errors if e.outcome == outcome]
            picked.extend(of_kind if n is None else of_kind[:n])
        return picked

    def format_table(self) -> str:
        """The scores as an aligned plain-text table."""
        rows = [
            ("lines", _n(self.lines), ""),
            ("clean tokens", _n(self.clean_tokens), ""),
            ("damaged tokens", _n(self.damaged_tokens), f"{_pct(self.damage_rate)} of clean tokens"),
            ("restored", _n(self.restored), f"recall {_pct(self.recall)}"),
            ("wrong fixes", _n(self.wrong_fixes), f"{_pct(self.wrong_fix_rate)} of damaged"),
            ("missed", _n(self.missed), f"{_pct(self.missed_rate)} of damaged"),
            ("broken", _n(self.broken),
             f"{_num(self.broken_per_10k)} per 10k of {_n(self.undamaged_tokens)} undamaged"),
            ("changed tokens", _n(self.changed_tokens), f"precision {_pct(self.precision)}"),
            ("errors before/after", f"{_n(self.errors_before)} / {_n(self.errors_after)}",
             f"error reduction {_pct(self.error_reduction)}"),
        ]
        if self.realigned_lines:
            rows.append(("realigned lines", _n(self.realigned_lines), "token counts differed (difflib)"))
        text = _table(rows)
        if self.breakdown:
            head = ("category", "damaged", "restored", "wrong", "missed", "recall", "broken")
            body = [(name, _n(c.damaged), _n(c.restored), _n(c.wrong), _n(c.missed), _pct(c.recall),
                     _n(c.broken)) for name, c in self.breakdown]
            text += "\n\n" + _grid(head, body)
        return text


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _table(rows: Sequence[tuple[str, str, str]]) -> str:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{w0}}  {b:>{w1}}  {c}".rstrip() for a, b, c in rows)


def _grid(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *body]) for i in range(len(head))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join(fmt(r).rstrip() for r in [head, *body])


def _align(reference: list[str], other: list[str]) -> list[str]:
    """For each token of ``reference``, the matching text of ``other`` ("" when none).

    Used only when the counts differ.  A replaced run of unequal length goes whole to its first
    reference token (so it cannot match by accident unless it is one token); tokens inserted
    after a position are appended to that position's text, so an insertion is an error there.
    """
    out = [""] * len(reference)
    leading: list[str] = []  # inserted before the first reference token
    sm = difflib.SequenceMatcher(None, reference, other, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            out[i1:i2] = other[j1:j2]
        elif tag == "replace":
            out[i1] = " ".join(other[j1:j2])
        elif tag == "insert" and i1 > 0:
            out[i1 - 1] = " ".join(x for x in (out[i1 - 1], *other[j1:j2]) if x)
        elif tag == "insert":
            leading.extend(other[j1:j2])
        # "delete": those reference tokens have no counterpart and stay ""
    if leading:
        out[0] = " ".join(x for x in (*leading, out[0]) if x)
    return out


def evaluate(clean: str, damaged: str, repaired: str) -> Scores:
    """Score ``repaired`` against ``clean``, knowing the ``damaged`` text it was made from.

    The three texts must have the same number of ``"\\n"``-separated lines.
    """
    for name, value in (("clean", clean), ("damaged", damaged), ("repaired", repaired)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be str, not {type(value).__name__}")
    c_lines, d_lines, r_lines = clean.split("\n"), damaged.split("\n"), repaired.split("\n")
    if not len(c_lines) == len(d_lines) == len(r_lines):
        raise ValueError(
            f"line counts differ: clean {len(c_lines)}, damaged {len(d_lines)}, repaired {len(r_lines)}; "
            "damage and repair must keep the line structure")
    counts: Counter[str] = Counter()
    per_cat: dict[str, Counter[str]] = {}
    patterns: Counter[tuple[str, str, str, str, str]] = Counter()
    first_seen: dict[tuple[str, str, str, str, str], tuple[int, int]] = {}
    realigned = 0
    for lineno, (cl, dl, rl) in enumerate(zip(c_lines, d_lines, r_lines), 1):
        if cl == dl == rl:  # the common case: nothing to look at token by token
            ct = cl.split(" ")
            counts["clean"] += len(ct) - ct.count("")
            counts["undamaged"] += len(ct) - ct.count("")
            continue
        ct, dt, rt = cl.split(" "), dl.split(" "), rl.split(" ")
        if len(dt) != len(ct) or len(rt) != len(ct):
            realigned += 1
            if len(dt) != len(ct):
                dt = _align(ct, dt)
            if len(rt) != len(ct):
                rt = _align(ct, rt)
        for index, (c, d, r) in enumerate(zip(ct, dt, rt)):
            if c:
                counts["clean"] += 1
            if r != d:
                counts["changed"] += 1
            if d != c:
                category = _classify_damaged(c, d)
                outcome: Outcome = "restored" if r == c else ("missed" if r == d else "wrong")
                counts[outcome] += 1
                cat = per_cat.setdefault(category, Counter())
                cat["damaged"] += 1
                cat[outcome] += 1
            else:
                if c:
                    counts["undamaged"] += 1
                if r == c:
                    continue
                category = _classify_clean(c)
                outcome = "broken"
                counts["broken"] += 1
                per_cat.setdefault(category, Counter())["broken"] += 1
            if outcome != "restored":
                key = (outcome, category, c, d, r)
                patterns[key] += 1
                first_seen.setdefault(key, (lineno, index))
    errors = tuple(
        ErrorPattern(*key, count=n, line=first_seen[key][0], index=first_seen[key][1])
        for key, n in sorted(patterns.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))
    )
    breakdown = tuple(
        (name, CategoryScores(**{k: per_cat[name][k] for k in
                                 ("damaged", "restored", "wrong", "missed", "broken")}))
        for name in CATEGORIES if name in per_cat
    )
    return Scores(
        lines=len(c_lines) - (1 if clean.endswith("\n") else 0),  # a final newline ends a line
        clean_tokens=counts["clean"],
        damaged_tokens=counts["restored"] + counts["wrong"] + counts["missed"],
        restored=counts["restored"],
        wrong_fixes=counts["wrong"],
        missed=counts["missed"],
        undamaged_tokens=counts["undamaged"],
        broken=counts["broken"],
        changed_tokens=counts["changed"],
        realigned_lines=realigned,
        breakdown=breakdown,
        errors=errors,
    )


# --------------------------------------------------------------------------------------------
# A whole run: damage, repair, score


@dataclass(frozen=True)
class Report:
    """What :func:`run_evaluation` measured."""

    kinds: tuple[str, ...]
    rate: float | None
    seed: int | None
    scores: Scores
    input_mb: float
    repair_seconds: float
    damage_seconds: float = 0.0
    #: Scores of repairing the clean text itself (every change there is a break), if asked.
    clean_scores: Scores | None = None
    clean_repair_seconds: float | None = None
    #: Whether the repaired clean text was byte for byte the clean text, if asked.
    clean_identical: bool | None = None
    config: dict[str, Any] | None = None
    source: str | None = None
    #: The damaged and repaired texts, kept for saving and inspection.
    damaged_text: str | None = field(default=None, repr=False, compare=False)
    repaired_text: str | None = field(default=None, repr=False, compare=False)

    @property
    def mb_per_s(self) -> float | None:
        """Input megabytes (10^6 bytes of UTF-8) repaired per second."""
        return self.input_mb / self.repair_seconds if self.repair_seconds > 0 else None

    @property
    def clean_changes_per_10k(self) -> float | None:
        """Tokens changed per 10,000 when the input was the clean text."""
        return self.clean_scores.broken_per_10k if self.clean_scores else None

    def to_dict(self, *, max_errors: int | None = 0) -> dict[str, Any]:
        return {
            "source": self.source,
            "kinds": list(self.kinds),
            "rate": self.rate,
            "seed": self.seed,
            "input_mb": round(self.input_mb, 6),
            "repair_seconds": round(self.repair_seconds, 4),
            "mb_per_s": None if self.mb_per_s is None else round(self.mb_per_s, 4),
            "damage_seconds": round(self.damage_seconds, 4),
            "scores": self.scores.to_dict(max_errors=max_errors),
            "clean_run": None if self.clean_scores is None else {
                "changes_per_10k": self.clean_changes_per_10k,
                "changed_tokens": self.clean_scores.broken,
                "identical": self.clean_identical,
                "repair_seconds": self.clean_repair_seconds,
            },
            "config": self.config,
        }

    def format_table(self, *, show: int = 0) -> str:
        rate = f" rate {self.rate}" if self.rate is not None and set(self.kinds) & RATE_KINDS else ""
        seed = f" seed {self.seed}" if self.seed is not None else ""
        title = f"damage {','.join(self.kinds) or 'given'}{rate}{seed}"
        if self.source:
            title += f" on {self.source}"
        speed = (f"repair {self.repair_seconds:.2f} s, {_num(self.mb_per_s)} MB/s "
                 f"({self.input_mb:.2f} MB); damage {self.damage_seconds:.2f} s")
        parts = [title, speed, "", self.scores.format_table()]
        if self.clean_scores is not None:
            parts += ["", (f"clean text: {_n(self.clean_scores.broken)} tokens changed, "
                           f"{_num(self.clean_changes_per_10k)} per 10k; byte-identical: "
                           f"{self.clean_identical}; {self.clean_repair_seconds or 0.0:.2f} s")]
        if show:
            parts += ["", format_errors(self.scores, show)]
            if self.clean_scores is not None and self.clean_scores.broken:
                parts += ["", "on the clean text:", format_errors(self.clean_scores, show)]
        return "\n".join(parts)


def format_errors(scores: Scores, n: int) -> str:
    """The ``n`` most frequent mistakes of each outcome, one per line:
    count, outcome, category, line:token, clean / damaged / repaired."""
    picked = scores.top_errors(n)
    if not picked:
        return "no mistakes"
    head = ("count", "outcome", "category", "where", "clean", "damaged", "repaired")
    body = [(_n(e.count), e.outcome, e.category, f"{e.line}:{e.index}", repr(e.clean), repr(e.damaged),
             repr(e.repaired)) for e in picked]
    return _grid(head, body)


RepairFn = Callable[[str], str]


def _default_repair(config: Config | None, per_line: bool = False) -> RepairFn:
    from .api import repair  # late: the engine is heavy and only needed here

    cfg = config or Config()
    if per_line:  # each line its own document, as a pipeline repairs one record at a time
        return lambda text: "\n".join(repair(line, cfg) for line in text.split("\n"))
    return lambda text: repair(text, cfg)


def run_evaluation(clean_text: str, kinds: str | Sequence[str], rate: float = 0.05, seed: int = 0,
                   config: Config | None = None, *, placeholder: str = "?", clean_run: bool = False,
                   repair_fn: RepairFn | None = None, source: str | None = None,
                   per_line: bool = False) -> Report:
    """Damage ``clean_text``, repair it as one document (each line as its own with
    ``per_line``), and score the result.

    ``repair_fn`` (text -> text) replaces ``vn_repair.repair(text, config)``, to score another
    tool; ``clean_run`` also repairs the clean text itself and counts what changed there.
    """
    names = parse_kinds(kinds)
    if repair_fn is not None and per_line:
        raise ValueError("per_line applies to vn-repair's own repair; split the lines in repair_fn instead")
    fn = repair_fn or _default_repair(config, per_line)
    t0 = time.perf_counter()
    damaged = damage_text(clean_text, names, rate, seed, placeholder)
    t1 = time.perf_counter()
    repaired = fn(damaged)
    t2 = time.perf_counter()
    scores = evaluate(clean_text, damaged, repaired)
    clean_scores = clean_seconds = identical = None
    if clean_run:
        t3 = time.perf_counter()
        repaired_clean = fn(clean_text)
        clean_seconds = time.perf_counter() - t3
        clean_scores = evaluate(clean_text, clean_text, repaired_clean)
        identical = repaired_clean == clean_text
    return Report(
        kinds=names, rate=rate, seed=seed, scores=scores,
        input_mb=len(damaged.encode("utf-8")) / 1e6, repair_seconds=t2 - t1, damage_seconds=t1 - t0,
        clean_scores=clean_scores, clean_repair_seconds=clean_seconds, clean_identical=identical,
        config=_config_dict(config) if repair_fn is None else None, source=source,
        damaged_text=damaged, repaired_text=repaired,
    )


def _config_dict(config: Config | None) -> dict[str, Any]:
    out = asdict(config or Config())
    if isinstance(out.get("damage"), tuple):
        out["damage"] = list(out["damage"])
    return out


# --------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``vn-repair evaluate``."""
    parser.description = (
        "Measure the repair: damage a clean text (--damage), repair it, and score the repair "
        "token by token against the clean text.  With --damaged, score the repair of a given "
        "damaged text; with --repaired too, score without running the repair.")
    parser.add_argument("--clean", required=True, metavar="FILE", help="the clean text (UTF-8)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--damage", metavar="KIND[,KIND...]",
                        help=f"simulate this damage (applied in order): {', '.join(SIMULATED_DAMAGE)}")
    source.add_argument("--damaged", metavar="FILE", help="a damaged version of the clean text")
    parser.add_argument("--repaired", metavar="FILE",
                        help="the repaired version of --damaged: score it without repairing")
    parser.add_argument("--rate", type=float, default=0.05,
                        help="per-letter damage probability for sparse, drop-any, placeholder, "
                             "lookalike (default 0.05)")
    parser.add_argument("--seed", type=int, default=0, help="damage seed (default 0)")
    parser.add_argument("--placeholder", default="?", help="'?' (default) or 'fffd' for U+FFFD")
    parser.add_argument("--limit-lines", type=int, metavar="N", help="use only the first N lines")
    parser.add_argument("--per-line", action="store_true",
                        help="repair each line as its own document, as a pipeline repairs one record "
                             "(a title, a comment) at a time")
    parser.add_argument("--wrap", type=int, metavar="N",
                        help="wrap the clean text's lines at N columns first, as text extracted from a "
                             "PDF is (after --limit-lines)")
    parser.add_argument("--threshold", type=float, help="Config.threshold for the repair")
    parser.add_argument("--damage-kinds", metavar="KIND[,KIND...]",
                        help="Config.damage for the repair (what it may assume; default auto)")
    parser.add_argument("--model", metavar="FILE", help="Config.model: a model file instead of the embedded one")
    parser.add_argument("--clean-run", action="store_true",
                        help="also repair the clean text and count the changes made there")
    parser.add_argument("--show", type=int, default=0, metavar="N",
                        help="list the N most frequent mistakes of each outcome")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--save-damaged", metavar="FILE", help="write the damaged text here")
    parser.add_argument("--save-repaired", metavar="FILE", help="write the repaired text here")


def _limit(text: str, limit: int | None) -> str:
    if limit is None:
        return text
    return "\n".join(text.split("\n")[:limit])


def wrap_lines(text: str, width: int | None) -> str:
    """``text`` with every line wrapped at ``width`` columns by :func:`textwrap.wrap`, words
    never broken: tabs and a trailing "\\r" become spaces, whitespace where a line is cut is
    dropped, and a line of spaces only becomes empty.  The clean text so wrapped is the
    reference the damaged one is scored against."""
    if width is None:
        return text
    return "\n".join("\n".join(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False))
                     for line in text.split("\n"))


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``vn-repair evaluate``; returns the exit status."""
    prog = "vn-repair evaluate"
    if args.repaired and not args.damaged:
        print(f"{prog}: error: --repaired needs --damaged (the text it was repaired from)", file=sys.stderr)
        return 2
    if args.limit_lines is not None and args.limit_lines < 1:
        print(f"{prog}: error: --limit-lines must be at least 1", file=sys.stderr)
        return 2
    if args.wrap is not None and (args.wrap < 10 or args.damaged):
        what = "--wrap must be at least 10" if args.wrap < 10 else "--wrap needs --damage (a given damaged text has its own lines)"
        print(f"{prog}: error: {what}", file=sys.stderr)
        return 2
    if args.per_line and (args.wrap is not None or args.repaired):
        # Wrapped lines are pieces of sentences: alone, they say nothing of wrapped text.
        what = "--wrap" if args.wrap is not None else "--repaired (nothing is repaired then)"
        print(f"{prog}: error: --per-line does not go with {what}", file=sys.stderr)
        return 2
    config_fields: dict[str, Any] = {}
    if args.threshold is not None:
        config_fields["threshold"] = args.threshold
    if args.damage_kinds:
        config_fields["damage"] = args.damage_kinds
    if args.model:
        config_fields["model"] = args.model
    inputs = [p for p in (args.clean, args.damaged, args.repaired) if p]
    for out in (args.save_damaged, args.save_repaired):
        if out and any(Path(out).resolve() == Path(p).resolve() for p in inputs):
            print(f"{prog}: error: refusing to overwrite the input {out}", file=sys.stderr)
            return 2
    try:
        config = Config(**config_fields)
        clean = wrap_lines(_limit(_read_all(args.clean), args.limit_lines), args.wrap)
        if args.damage:
            placeholder = "\ufffd" if args.placeholder.lower() in ("fffd", "u+fffd") else args.placeholder
            report = run_evaluation(clean, args.damage, args.rate, args.seed, config,
                                    placeholder=placeholder, clean_run=args.clean_run, per_line=args.per_line,
                                    source=args.clean + ("" if args.wrap is None else f" wrapped at {args.wrap} columns")
                                    + (", each line a document" if args.per_line else ""))
            damaged, repaired = report.damaged_text or "", report.repaired_text or ""
        else:
            damaged = _limit(_read_all(args.damaged), args.limit_lines)
            if args.repaired:
                repaired = _limit(_read_all(args.repaired), args.limit_lines)
                seconds = 0.0
                cfg_dict = None
            else:
                repair_fn = _default_repair(config, args.per_line)
                t0 = time.perf_counter()
                repaired = repair_fn(damaged)
                seconds = time.perf_counter() - t0
                cfg_dict = _config_dict(config)
            clean_scores = identical = clean_seconds = None
            if args.clean_run and not args.repaired:
                t0 = time.perf_counter()
                repaired_clean = _default_repair(config, args.per_line)(clean)
                clean_seconds = time.perf_counter() - t0
                clean_scores = evaluate(clean, clean, repaired_clean)
                identical = repaired_clean == clean
            report = Report(kinds=(), rate=None, seed=None, scores=evaluate(clean, damaged, repaired),
                            input_mb=len(damaged.encode("utf-8")) / 1e6, repair_seconds=seconds,
                            clean_scores=clean_scores, clean_repair_seconds=clean_seconds,
                            clean_identical=identical, config=cfg_dict,
                            source=args.damaged + (", each line a document" if args.per_line else ""))
    except OSError as e:
        # A file we open has a filename; the engine's own errors (a missing model) say it all.
        what = f"cannot read {e.filename}: {e.strerror}" if e.filename else str(e) or repr(e)
        print(f"{prog}: error: {what}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as e:
        print(f"{prog}: error: input is not UTF-8 ({e})", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    if args.save_damaged:
        _write(args.save_damaged, damaged)
    if args.save_repaired:
        _write(args.save_repaired, repaired)
    try:
        with text_output(None) as out:
            if args.json:
                out.write(json.dumps(report.to_dict(max_errors=args.show), ensure_ascii=False, indent=2))
            else:
                out.write(report.format_table(show=args.show))
            out.write("\n")
    except BrokenPipeError:
        quiet_broken_pipe()
    return 0


def _read_all(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()
