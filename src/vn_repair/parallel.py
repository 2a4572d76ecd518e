"""Repair a stream of lines on many cores, in order, in bounded memory.

Lines are grouped into chunks of ``chunk_lines`` consecutive lines; each chunk is one *document*
for the engine (its per-document damage estimate is made over the chunk), repaired by a worker
process that loaded the model once, in its initializer.  Results come back in input order, and at
most ``READ_AHEAD * jobs`` chunks are read ahead, so memory stays bounded however long the input is.

The output depends on the chunking, never on ``jobs``: ``jobs=1`` repairs the same chunks in the
calling process, so ``vn-repair --jobs 1`` and ``--jobs 8`` write the same bytes.

>>> list(repair_lines_parallel(["Hoa\\u0300 bi\\u0300nh\\n", "Vi\\u00ea\\u0323t Nam"], jobs=1))
['Hoà bình\\n', 'Việt Nam']
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from .config import Config, usable_cpus
from .pipeline import get_repairer, make_config

__all__ = ["default_jobs", "repair_chunk", "repair_lines_parallel"]


def _join(lines: list[str]) -> tuple[str, list[int], list[bool]]:
    """One text for a chunk: each line ends with a newline (added where it had none, and
    remembered); also how many newline-ended pieces each line spans, so a line that holds newlines
    of its own comes back whole."""
    pieces: list[int] = []
    added: list[bool] = []
    parts: list[str] = []
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise TypeError(f"line {i} of the chunk is {type(line).__name__}, not str: decode it first")
        missing = not line.endswith("\n")
        parts.append(line + "\n" if missing else line)
        pieces.append(line.count("\n") + missing)
        added.append(missing)
    return "".join(parts), pieces, added


def _split(text: str, pieces: list[int], added: list[bool], before: str) -> list[str]:
    segments = text.split("\n")
    # "a\nb\n".split("\n") ends with an empty string after the last newline.
    if len(segments) - 1 != sum(pieces) or segments[-1] != "":
        raise RuntimeError(
            f"the repair changed the line structure of a chunk ({before.count(chr(10))} newlines in, "
            f"{text.count(chr(10))} out); this is a bug in vn-repair, please report it with the chunk")
    out: list[str] = []
    pos = 0
    for n, was_added in zip(pieces, added):
        line = "\n".join(segments[pos:pos + n]) + "\n"
        pos += n
        out.append(line[:-1] if was_added else line)
    return out


def repair_chunk(lines: list[str], config: Config | None = None) -> list[str]:
    """Repair ``lines`` as one document and return them, one output line per input line.

    Each line keeps its ending (``"\\n"``, ``"\\r\\n"`` or none).  The chunk is repaired as one text,
    so the damage estimate sees all of its lines.
    """
    text, pieces, added = _join(lines)
    return _split(get_repairer(config)(text), pieces, added, text)


def _init_worker(config: Config) -> None:
    # The workers have the cores between them: one decoder thread each, unless the caller says.
    if not os.environ.get("VN_REPAIR_THREADS", "").strip():
        os.environ["VN_REPAIR_THREADS"] = "1"
    get_repairer(config)


def _start_pool(config: Config, jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes that each load the model for ``config`` as they start."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                               initializer=_init_worker, initargs=(config,))


def _context() -> multiprocessing.context.BaseContext:
    # Not fork: the caller may hold threads or a loaded model whose copy-on-write pages would be
    # touched anyway; forkserver starts clean workers cheaply where the platform has it.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


#: Chunks read ahead per worker.  Output is in order, so a slow chunk at the head (a stripped
#: block can take 100 times as long as a clean one) holds back the rest: with 2 per worker the
#: workers of the 50 MB mixed benchmark were busy about half the time, with 8 two thirds of it;
#: 32 lets the other worker run through the clean chunks behind a slow one.  Memory stays
#: bounded: 32 chunks of 2,000 lines per worker is about 10 MB of news text.
READ_AHEAD = 32


def repair_lines_parallel(lines: Iterable[str], config: Config | None = None, jobs: int = 1,
                          chunk_lines: int = 2000) -> Iterator[str]:
    """Repair ``lines`` with ``jobs`` processes and yield them in input order, one per input line.

    ``lines`` may keep their endings (as read from a file) or not; each output line has the same
    ending as its input line.  Every ``chunk_lines`` consecutive lines form one document for the
    engine's damage estimate, whatever ``jobs`` is, so the output is the same for every ``jobs``.
    ``jobs=1`` works in the calling process; more starts that many worker processes, each loading
    the model once, with at most ``READ_AHEAD * jobs`` chunks in flight.  A worker's error is
    raised here.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, not {jobs!r}")
    if isinstance(chunk_lines, bool) or not isinstance(chunk_lines, int) or chunk_lines < 1:
        raise ValueError(f"chunk_lines must be a whole number >= 1, not {chunk_lines!r}")
    if isinstance(lines, (str, bytes)):
        raise TypeError("lines must be an iterable of lines, not one "
                        f"{type(lines).__name__}: use text.splitlines(keepends=True)")
    return _run(iter(lines), make_config(config), jobs, chunk_lines)


def _chunks(lines: Iterator[str], chunk_lines: int) -> Iterator[list[str]]:
    while chunk := list(islice(lines, chunk_lines)):
        yield chunk


def _run(lines: Iterator[str], config: Config, jobs: int, chunk_lines: int) -> Iterator[str]:
    chunks = _chunks(lines, chunk_lines)
    if jobs == 1:
        for chunk in chunks:
            yield from repair_chunk(chunk, config)
        return
    pool = _start_pool(config, jobs)
    in_flight: deque[Future[list[str]]] = deque()
    try:
        for chunk in chunks:
            in_flight.append(pool.submit(repair_chunk, chunk, config))
            if len(in_flight) >= READ_AHEAD * jobs:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
    finally:
        # Reached on normal exit, on a worker's error and when the consumer stops early (a closed
        # pipe): pending chunks are dropped rather than repaired for nobody.
        pool.shutdown(wait=True, cancel_futures=True)


def default_jobs() -> int:
    """The number of cores this process may use (for ``--jobs 0``)."""
    return usable_cpus()
