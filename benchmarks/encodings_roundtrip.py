"""Measure vn_repair.encodings: round trips, auto-detection, false detections, throughput.

Reproduce every figure in docs/encodings.md with

    .venv/bin/python benchmarks/encodings_roundtrip.py                     # vietnews/dev.txt
    .venv/bin/python benchmarks/encodings_roundtrip.py --viwiki            # + false detections on viwiki
    .venv/bin/python benchmarks/encodings_roundtrip.py --ftfy              # + ftfy on the same paths

Round trip: every line of the corpus is damaged (encoded in a legacy encoding and read back as
cp1252, or UTF-8 read as cp1252/latin-1/cp1258 one or two times over, or bytes decoded with
decode_bytes) and repaired; a token (whitespace-separated) counts as exact when the repaired
token equals the original.  Tokens holding a character the encoding cannot represent are
reported apart ("unrepresentable") and excluded from the "representable" figure.

Detection: the corpus is cut into consecutive samples of whole words of at least 1 KB once
encoded; decode_bytes(sample) must name the encoding it was encoded in.

False detections: lines of clean text that fix_encoding changes (should be none).
Throughput: fix_encoding over the whole clean file as one str, and line by line.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from vn_repair.encodings import decode_bytes, encode_legacy, fix_encoding, make_mojibake


def shared_dir() -> Path:
    env = os.environ.get("VN_REPAIR_SHARED")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    if not (path / "corpora").is_dir():
        sys.exit(f"no corpora under {path}: set VN_REPAIR_SHARED")
    return path


def representable(token: str, encoding: str) -> bool:
    try:
        encode_legacy(token, encoding)
    except UnicodeEncodeError:
        return False
    return True


def text_paths() -> dict[str, Callable[[str], str]]:
    """Damage -> repair functions for each text-level path."""
    paths: dict[str, Callable[[str], str]] = {}
    for enc in ("tcvn3", "vni", "viscii"):
        paths[f"{enc} read as cp1252"] = lambda s, e=enc: fix_encoding(make_mojibake(s, e))[0]
    paths["viqr"] = lambda s: fix_encoding(encode_legacy(s, "viqr", errors="replace"))[0]  # type: ignore[arg-type]
    for view in ("cp1252", "latin-1", "cp1258"):
        for layers in (1, 2):
            name = f"utf-8 read as {view}" + (" twice" if layers == 2 else "")
            paths[name] = lambda s, v=view, n=layers: fix_encoding(make_mojibake(s, view=v, layers=n))[0]
    paths["tcvn3 read as cp1252, stored as UTF-8, read as cp1252"] = (
        lambda s: fix_encoding(make_mojibake(make_mojibake(s, "tcvn3"), "utf-8"))[0])
    for enc in ("cp1258", "tcvn3", "vni", "viscii", "viqr"):
        def via_bytes(s: str, e: str = enc) -> str:
            data = encode_legacy(s, e, errors="replace")
            raw = data.encode("ascii") if isinstance(data, str) else data
            return decode_bytes(raw, e).text
        paths[f"bytes {enc} -> decode_bytes(encoding='{enc}')"] = via_bytes
    return paths


def path_encoding(name: str) -> str:
    for enc in ("tcvn3", "vni", "viscii", "viqr", "cp1258"):
        if name.startswith(enc) or f" {enc} " in name:
            return enc
    return "utf-8"


def round_trip(lines: list[str], ftfy_too: bool) -> None:
    paths = text_paths()
    if ftfy_too:
        import ftfy

        for view in ("cp1252", "latin-1", "cp1258"):
            for layers in (1, 2):
                name = f"ftfy: utf-8 read as {view}" + (" twice" if layers == 2 else "")
                paths[name] = lambda s, v=view, n=layers: ftfy.fix_text(
                    make_mojibake(s, view=v, layers=n), normalization="NFC")
    print(f"\n## Round trip ({len(lines)} lines)\n")
    print("| path | tokens | exact | exact % | representable exact % | lines exact % | s |")
    print("|---|---|---|---|---|---|---|")
    for name, fn in paths.items():
        enc = path_encoding(name.removeprefix("ftfy: "))
        t0 = time.perf_counter()
        total = exact = rep_total = rep_exact = lines_ok = 0
        for line in lines:
            out = fn(line)
            lines_ok += out == line
            a, b = line.split(), out.split()
            if len(a) != len(b):
                b = b + [""] * (len(a) - len(b))
            for x, y in zip(a, b):
                total += 1
                exact += x == y
                if x.isascii() or representable(x, enc):
                    rep_total += 1
                    rep_exact += x == y
        dt = time.perf_counter() - t0
        print(f"| {name} | {total} | {exact} | {100 * exact / total:.3f} | "
              f"{100 * rep_exact / max(rep_total, 1):.3f} | {100 * lines_ok / len(lines):.2f} | {dt:.1f} |")


def samples(lines: list[str], encoding: str, size: int = 1024) -> Iterator[bytes]:
    buf: list[bytes] = []
    n = 0
    for line in lines:
        for word in line.split():
            data = encode_legacy(word, encoding, errors="replace")
            raw = data.encode("ascii") if isinstance(data, str) else data
            buf.append(raw)
            n += len(raw) + 1
            if n >= size:
                yield b" ".join(buf)
                buf, n = [], 0


def detection(lines: list[str]) -> None:
    print("\n## Auto-detection on 1 KB samples\n")
    print("| encoded in | samples | right | % | chosen instead |")
    print("|---|---|---|---|---|")
    for enc in ("utf-8", "cp1258", "tcvn3", "vni", "viscii", "viqr"):
        right = total = 0
        wrong: dict[str, int] = {}
        for sample in samples(lines, enc):
            got = decode_bytes(sample).encoding
            total += 1
            if got == enc:
                right += 1
            else:
                wrong[got] = wrong.get(got, 0) + 1
        print(f"| {enc} | {total} | {right} | {100 * right / total:.2f} | {wrong or ''} |")


def false_detections(name: str, lines: Iterator[str], show: int = 5) -> None:
    total = changed = 0
    examples = []
    t0 = time.perf_counter()
    for line in lines:
        total += 1
        out, edits = fix_encoding(line)
        if out != line:
            changed += 1
            if len(examples) < show:
                examples.append((line, edits))
    dt = time.perf_counter() - t0
    print(f"| {name} | {total} | {changed} | {dt:.1f} |")
    for line, edits in examples:
        print(f"|  | {line[:80]!r} | {[(e.before, e.after) for e in edits][:5]} | |")


def throughput(text: str) -> None:
    size = len(text.encode("utf-8")) / 1e6
    best = min(_timed(lambda: fix_encoding(text)) for _ in range(5))
    lines = text.split("\n")
    best_lines = min(_timed(lambda: [fix_encoding(x) for x in lines]) for _ in range(3))
    # Baseline measured in the same run (these machines are noisy): NFC normalization, the
    # other step that runs on every input.
    nfc = min(_timed(lambda: unicodedata.normalize("NFC", text)) for _ in range(5))
    print("\n## Throughput of fix_encoding on clean text\n")
    print(f"- whole file as one str: {size:.2f} MB in {best * 1000:.1f} ms = {size / best:.0f} MB/s")
    print(f"- line by line ({len(lines)} calls): {size / best_lines:.1f} MB/s")
    print(f"- baseline, unicodedata.normalize('NFC') on the whole file: {size / nfc:.0f} MB/s "
          f"(fix_encoding takes {best / nfc:.2f}x its time)")


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="vietnews/dev.txt", help="file under shared/corpora")
    parser.add_argument("--viwiki", action="store_true", help="also count false detections on viwiki")
    parser.add_argument("--ftfy", action="store_true", help="also run ftfy on the mojibake paths")
    parser.add_argument("--skip-roundtrip", action="store_true")
    args = parser.parse_args()
    corpora = shared_dir() / "corpora"
    text = (corpora / args.corpus).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    print(f"# vn_repair.encodings on {args.corpus} (Python {sys.version.split()[0]})")
    throughput(text)
    print("\n## False detections on clean text (lines changed)\n")
    print("| corpus | lines | changed | s |")
    print("|---|---|---|---|")
    false_detections(args.corpus, iter(lines))
    if args.viwiki:
        with gzip.open(corpora / "viwiki" / "viwiki.txt.gz", "rt", encoding="utf-8") as f:
            false_detections("viwiki/viwiki.txt.gz", (line.rstrip("\n") for line in f))
    detection(lines)
    if not args.skip_roundtrip:
        round_trip(lines, args.ftfy)


if __name__ == "__main__":
    main()
