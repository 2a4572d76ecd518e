"""Many-core speed-up of vn_repair.parallel.repair_lines_parallel, and that it writes the same bytes.

Builds a test file of about ``--size-mb`` MB (default 50) from ../shared/corpora/vietnews/dev.txt:
the dev text repeated, with one block of ``--chunk-lines`` lines in ``--damaged-every`` (default 4)
damaged by one simulated kind (sparse drop, placeholder, strip, look-alikes in turn), so a chunk is a
clean or a damaged document as in real collections.  Then repairs it with ``--jobs 1`` (the same
chunking, in this process) and with ``--jobs N``, streaming line by line as the CLI does, and
reports MB/s for each, the speed-up, and whether the outputs are byte-identical.

    .venv/bin/python benchmarks/parallel.py                    # 50 MB, jobs 1 vs 2
    .venv/bin/python benchmarks/parallel.py --size-mb 5        # a quick look

On a shared machine the wall-clock ratio only means something while the other cores are idle: the
script prints the load average before and after, and also projects the speed-up on idle cores from
the CPU time of this process and of each worker.  It warns when vn_repair's files change during
the run (workers import the code when they start).  Nothing of the corpus is written outside a temporary
folder (``--keep`` keeps the test file there for the CLI: ``vn-repair --jobs 2 FILE``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from vn_repair import Config, parallel
from vn_repair.parallel import _start_pool, repair_lines_parallel

KINDS = ("sparse", "placeholder", "strip", "lookalike")


def _shared() -> Path:
    env = os.environ.get("VN_REPAIR_SHARED")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    if not (path / "corpora").is_dir():
        sys.exit(f"benchmarks/parallel.py: no corpora under {path}; set VN_REPAIR_SHARED")
    return path


def build_input(path: Path, size_mb: float, block: int, damaged_every: int, rate: float) -> tuple[int, int]:
    """Write the test file; return (bytes, lines)."""
    from vn_repair.damage import damage_lines

    dev = (_shared() / "corpora" / "vietnews" / "dev.txt").read_text("utf-8").splitlines(keepends=True)
    if len(dev) < block:
        sys.exit(f"benchmarks/parallel.py: --chunk-lines {block} is longer than dev.txt ({len(dev)} lines)")
    target = int(size_mb * 1_000_000)
    written = lines = 0
    block_no = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        while written < target:
            # Whole blocks only, so that every chunk the repair sees is one block: clean, or
            # damaged by one kind, never a mix.
            for start in range(0, len(dev) - block + 1, block):
                chunk = dev[start:start + block]
                if block_no % damaged_every == damaged_every - 1:
                    kind = KINDS[(block_no // damaged_every) % len(KINDS)]
                    chunk = list(damage_lines(chunk, kind, rate=rate, seed=block_no))
                text = "".join(chunk)
                out.write(text)
                written += len(text.encode("utf-8"))
                lines += len(chunk)
                block_no += 1
                if written >= target:
                    break
    return written, lines


def _source_digest() -> str:
    """A digest of vn_repair's code and data: workers import the code when they start, so an edit
    made during the run (a shared checkout) would compare two different programs."""
    import vn_repair

    root = Path(vn_repair.__file__).parent
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".bin", ".txt"):
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def _read_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", newline="") as f:
        yield from f


_pools: list[ProcessPoolExecutor] = []


def _keep_pool(config: Config, jobs: int) -> ProcessPoolExecutor:
    pool = _start_pool(config, jobs)
    _pools.append(pool)
    return pool


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(path: Path, config: Config, jobs: int, chunk_lines: int) -> dict[str, object]:
    """Repair the file streaming, as the CLI does; return wall and CPU seconds, the output's
    sha256, the number of lines changed and each worker's CPU seconds."""
    digest = hashlib.sha256()
    changed = 0
    _pools.clear()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    out = repair_lines_parallel(_read_lines(path), config, jobs=jobs, chunk_lines=chunk_lines)
    for before, after in zip(_read_lines(path), out):
        digest.update(after.encode("utf-8"))
        changed += before != after
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    # The workers are still alive (the generator has not been closed): read their CPU time now.
    workers = [_cpu_seconds(p) for pool in _pools for p in pool._processes] if _pools else []
    out.close()
    return {"wall": wall, "cpu": cpu, "sha256": digest.hexdigest(), "changed": changed, "workers": workers}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=50.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--chunk-lines", type=int, default=2000)
    ap.add_argument("--damaged-every", type=int, default=4, help="one block in N is damaged (default 4)")
    ap.add_argument("--rate", type=float, default=0.05, help="damage rate of the rate kinds (default 0.05)")
    ap.add_argument("--keep", action="store_true", help="keep the test file and print its path")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="vn-repair-parallel-"))
    path = tmp / "input.txt"
    size, lines = build_input(path, args.size_mb, args.chunk_lines, args.damaged_every, args.rate)
    mb = size / 1e6
    print(f"input: {mb:.1f} MB, {lines} lines, chunks of {args.chunk_lines} lines, "
          f"1 block in {args.damaged_every} damaged ({', '.join(KINDS)} in turn, rate {args.rate})")
    print(f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()}")
    config = Config()
    source = _source_digest()
    parallel._start_pool = _keep_pool  # to read the workers' CPU time; same pool otherwise
    try:
        one = run(path, config, 1, args.chunk_lines)
        print(f"jobs=1: {one['wall']:.1f} s, {mb / one['wall']:.2f} MB/s, CPU {one['cpu']:.1f} s, "
              f"{one['changed']} lines changed")
        many = run(path, config, args.jobs, args.chunk_lines)
        workers = many["workers"]
        print(f"jobs={args.jobs}: {many['wall']:.1f} s, {mb / many['wall']:.2f} MB/s, CPU: this process "
              f"{many['cpu']:.1f} s, workers {', '.join(f'{w:.1f}' for w in workers)} s")
        same = one["sha256"] == many["sha256"]
        print(f"speed-up (wall clock): {one['wall'] / many['wall']:.2f}x   same output bytes: {same}")
        # What the same work would take on otherwise idle cores: the busiest worker, or all the
        # CPU time shared among the cores, whichever is longer.  Robust to other load.
        total = many["cpu"] + sum(workers)
        cores = min(args.jobs, os.cpu_count() or 1)
        projected = max(max(workers, default=0.0), total / cores)
        print(f"CPU: jobs=1 {one['cpu']:.1f} s, jobs={args.jobs} {total:.1f} s in all "
              f"({(total / one['cpu'] - 1) * 100:+.1f} %); speed-up on {cores} idle cores "
              f"(from CPU times): {one['cpu'] / projected:.2f}x")
        print(f"load average after: {os.getloadavg()}")
        if _source_digest() != source:
            print("WARNING: vn_repair's code or data changed during the run; the two runs used "
                  "different programs. Run again on a copy that nobody edits.")
            same = False
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            path.unlink()
            tmp.rmdir()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
