"""The command line: ``vn-repair [FILE...]`` repairs text; subcommands normalize, train, damage
and evaluate.

A thin layer over the library.  Input is read as bytes and decoded explicitly (UTF-8 unless
``--input-encoding`` says otherwise), output written as UTF-8 bytes, whatever the locale.
Memory stays flat on inputs of any size: lines are read one at a time and handed to the repair
in windows of at most :data:`WINDOW_LINES` lines or :data:`WINDOW_BYTES` bytes (each window is
one document for the engine's damage estimate); a longer line is cut at whitespace into pieces.
In ``--jsonl`` mode each record is one document.

Subcommands are chosen by the first argument only (``normalize``, ``train``, ``damage``,
``evaluate``, ``repair``), and their modules are imported only when chosen, so start-up stays
fast; to repair a file literally named like a subcommand, write ``vn-repair repair train`` or
``vn-repair ./train``.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import importlib
import importlib.util
import os
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, NoReturn

from .config import decoder_threads

__all__ = ["SUBCOMMANDS", "WINDOW_BYTES", "WINDOW_LINES", "main"]

PROG = "vn-repair"
#: First arguments that select a subcommand rather than name a file.
SUBCOMMANDS = ("repair", "normalize", "train", "damage", "evaluate")
# Subcommands provided by other modules through add_arguments(parser) and run_cli(args) -> int.
_MODULE_COMMANDS = {
    "train": ("vn_repair.train", "train a language model on UTF-8 text"),
    "damage": ("vn_repair.damage", "damage clean text reproducibly, for measuring"),
    "evaluate": ("vn_repair.evaluate", "score a repair against the clean text"),
}

#: Most lines handed to the repair as one document.
WINDOW_LINES = 10_000
#: Most bytes handed to the repair as one document (a line longer than this is cut into pieces).
#: A file is one document for the damage estimate as far as memory allows: small windows would
#: each pay for their own estimate and chunk analyses (a 200-line window made the command 3-6x
#: slower than one ``repair()`` of the whole file) and would judge damage on less evidence.
WINDOW_BYTES = 1 << 20

_ERROR_POLICIES = ("strict", "replace", "surrogateescape")


class CliError(Exception):
    """A problem to report as one line on stderr, with an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``vn-repair: error: ...``) and help written as UTF-8
    whatever the locale."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            _write_utf8(file or sys.stderr, message)


# --------------------------------------------------------------------------------------------
# Entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    # The repair is one thread (``--jobs`` runs processes), and numpy's BLAS threads, started
    # with numpy, spin on the other cores after its start and after each product; set before
    # numpy loads (in workers too), unless the caller set it.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        decoder_threads()  # a bad VN_REPAIR_THREADS is said now, not after the first documents
    except ValueError as e:
        _report(f"{PROG}: error: {e}")
        return 2
    try:
        return _dispatch(args)
    except CliError as e:
        _report(f"{PROG}: error: {e.message}")
        return e.status
    except BrokenPipeError:
        # The reader went away (``vn-repair big.txt | head -1``): stop quietly, as cat does.
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        return 130


def _write_utf8(stream: IO[str], text: str) -> None:
    """Write ``text`` to a text stream as UTF-8 bytes (through its buffer), whatever the locale."""
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(text)
        else:
            stream.flush()
            buffer.write(text.encode("utf-8", "backslashreplace"))
            buffer.flush()
    except (BrokenPipeError, ValueError):
        pass


def _report(message: str) -> None:
    _write_utf8(sys.stderr, message + "\n")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the flush at interpreter exit has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    finally:
        os.close(devnull)


def _dispatch(args: list[str]) -> int:
    if args and args[0] in _MODULE_COMMANDS:
        return _run_module_command(args[0], args[1:])
    mode = "repair"
    if args and args[0] in ("repair", "normalize"):
        mode = args.pop(0)
    ns = _build_parser(mode).parse_args(args)
    return _run(ns, mode)


def _available_commands() -> list[str]:
    """Subcommands whose module is installed, found without importing them."""
    out = []
    for name, (module, _) in _MODULE_COMMANDS.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            out.append(name)
    return out


def _run_module_command(name: str, rest: list[str]) -> int:
    module_name, description = _MODULE_COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise CliError(f"the '{name}' command is not available in this installation "
                           f"({module_name} is missing)", 2) from None
        raise CliError(f"the '{name}' command needs the package {e.name!r}, which is not installed") from None
    parser = _Parser(prog=f"{PROG} {name}", description=description)
    module.add_arguments(parser)
    ns = parser.parse_args(rest)
    return int(module.run_cli(ns))


# --------------------------------------------------------------------------------------------
# The repair and normalize commands: options


def _build_parser(mode: str) -> _Parser:
    from . import __version__

    normalize_only = mode == "normalize"
    prog = f"{PROG} normalize" if normalize_only else PROG
    commands = ", ".join(["repair (the default)", "normalize", *_available_commands()])
    parser = _Parser(
        prog=prog,
        description=("Normalize Vietnamese text (Unicode forms, invisible characters, look-alike "
                     "letters, tone-mark placement, encodings), without the language model."
                     if normalize_only else
                     "Repair damaged Vietnamese text: dropped letters, stripped diacritics, '?' "
                     "placeholders, OCR look-alikes, Unicode forms and legacy encodings."),
        epilog=(f"commands: {commands}; 'vn-repair COMMAND --help' for each. The first argument "
                "chooses the command: to repair a file named like one, write 'vn-repair repair "
                "FILE' or 'vn-repair ./FILE'."),
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="input files, read in order as if concatenated ('-' or none: standard input)")
    parser.add_argument("-c", dest="text", metavar="TEXT", help="repair TEXT instead of files")
    parser.add_argument("-o", "--output", metavar="OUTPUT",
                        help="write here instead of standard output (never one of the inputs)")
    parser.add_argument("--explain", action="store_true",
                        help="write the edits instead of the text, one JSON object per line: file, "
                             "line, offset (code points into the line), before, after, kind, confidence")
    parser.add_argument("--tone-style", choices=("keep", "old", "new"), default="keep",
                        help="tone-mark placement: keep (default), old ('hoà', 'thuỷ') or new ('hòa', 'thủy')")
    if not normalize_only:
        parser.add_argument("--threshold", type=float, metavar="X",
                            help="least posterior probability for replacing a word that is itself a valid "
                                 "syllable (default 0.5); non-words are replaced whenever a restoration "
                                 "is likelier than the written form")
        parser.add_argument("--damage-rate", type=float, metavar="R",
                            help="per-letter damage rate to assume instead of estimating it per document "
                                 "(0 < R <= 1), e.g. to repair a short text that shows no other damage")
        parser.add_argument("--damage", metavar="auto|KIND,...", default="auto",
                            help="damage to repair: auto (default: estimated per document) or a "
                                 "comma-separated list of drop, strip, placeholder, lookalike")
        parser.add_argument("--no-restore", action="store_true",
                            help="normalization only: do not restore letters with the language model")
        parser.add_argument("--model", metavar="PATH",
                            help="language model file made by 'vn-repair train' (default: the embedded one)")
    parser.add_argument("--normalize-spaces", action="store_true",
                        help="turn NBSP and other odd spaces into plain spaces")
    parser.add_argument("--no-fix-encoding", action="store_true",
                        help="leave mojibake and legacy-encoded text alone")
    parser.add_argument("--no-fold-lookalikes", action="store_true",
                        help="leave look-alike letters (ī, ǎ, Ę, Cyrillic о, small capital ᴠ ...) alone")
    parser.add_argument("--input-encoding", default="utf-8", metavar="ENC",
                        help="encoding of the input bytes: utf-8 (default), auto (detect per file), "
                             "cp1258, cp1252, latin-1, tcvn3, vni, viscii, viqr")
    parser.add_argument("--errors", choices=_ERROR_POLICIES, default="strict",
                        help="undecodable input: strict (default: stop with an error naming the byte), "
                             "replace (U+FFFD), surrogateescape (pass the bytes through unchanged)")
    parser.add_argument("--jsonl", action="store_true",
                        help="the input is JSON Lines: repair the --field fields of each record")
    parser.add_argument("--field", action="append", default=[], metavar="NAME",
                        help="with --jsonl: a top-level string field to repair (repeatable)")
    parser.add_argument("--jsonl-invalid", choices=("error", "pass"), default="error",
                        help="with --jsonl: a line that is not JSON stops with an error (default) "
                             "or is passed through unchanged")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="worker processes (default 1; 0: one per core)")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _config_from(ns: argparse.Namespace, mode: str) -> Any:
    from .config import Config

    fields: dict[str, Any] = {
        "tone_style": ns.tone_style,
        "normalize_spaces": ns.normalize_spaces,
        "fix_encoding": not ns.no_fix_encoding,
        "fold_lookalikes": not ns.no_fold_lookalikes,
        "restore": mode == "repair" and not ns.no_restore,
    }
    if mode == "repair":
        fields["damage"] = ns.damage
        if ns.threshold is not None:
            fields["threshold"] = ns.threshold
        if ns.damage_rate is not None:
            fields["damage_rate"] = ns.damage_rate
        if ns.model is not None:
            fields["model"] = ns.model
    try:
        return Config(**fields)
    except (ValueError, TypeError) as e:
        raise CliError(str(e), 2) from None


def _check_options(ns: argparse.Namespace, mode: str) -> None:
    if ns.text is not None and ns.files:
        raise CliError("give either -c TEXT or files, not both", 2)
    if ns.field and not ns.jsonl:
        raise CliError("--field needs --jsonl", 2)
    if ns.jsonl and not ns.field:
        raise CliError("--jsonl needs at least one --field NAME to repair", 2)
    if ns.jsonl and ns.input_encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise CliError("--jsonl reads UTF-8 JSON; --input-encoding does not apply", 2)
    if ns.jobs < 0:
        raise CliError(f"--jobs must be 0 (one per core) or more, not {ns.jobs}", 2)
    if ns.explain and ns.jobs not in (1,):
        raise CliError("--explain works in one process: drop --jobs", 2)
    if mode == "repair" and ns.model is not None and not ns.no_restore:
        if not os.path.exists(ns.model):
            raise CliError(f"model file not found: {ns.model}")
        if os.path.isdir(ns.model):
            raise CliError(f"model path is a directory, not a model file: {ns.model}")


# --------------------------------------------------------------------------------------------
# Input: sources, reading in bounded units, decoding


@dataclass
class _Source:
    name: str  # as shown in messages and --explain ("-" standard input, "-c" inline text)
    stream: IO[bytes]
    size: int | None  # bytes, when known (a regular file)
    interactive: bool  # a terminal: hand over each line at once

    @property
    def label(self) -> str:
        """The name for messages."""
        return {"-": "<stdin>", "-c": "-c TEXT"}.get(self.name, self.name)


def _open_sources(ns: argparse.Namespace) -> list[str]:
    """Input names, checked before any output is written."""
    if ns.text is not None:
        return ["-c"]
    names = ns.files or ["-"]
    for name in names:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise CliError(f"cannot open {name}: No such file or directory")
        if os.path.isdir(name):
            raise CliError(f"cannot read {name}: it is a directory")
        if not os.access(name, os.R_OK):
            raise CliError(f"cannot open {name}: Permission denied")
    return names


def _source(name: str, ns: argparse.Namespace) -> _Source:
    import io

    if name == "-c":
        data = os.fsencode(ns.text)
        if not data.endswith(b"\n"):
            data += b"\n"
        return _Source("-c", io.BytesIO(data), None, False)
    if name == "-":
        stream = sys.stdin.buffer
        size = None
        try:
            st = os.fstat(stream.fileno())
            if stat.S_ISREG(st.st_mode):
                size = st.st_size
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return _Source("-", stream, size, stream.isatty())
    try:
        f = open(name, "rb")  # noqa: SIM115 - closed by _run when the run ends
    except OSError as e:
        raise CliError(f"cannot open {name}: {e.strerror}") from None
    return _Source(name, f, os.fstat(f.fileno()).st_size, False)


def _cut_point(data: bytes) -> int:
    """Where to cut a piece of an over-long line: after its last whitespace byte, or else before
    a UTF-8 lead byte near the end (never inside a character)."""
    cut = max(data.rfind(b" "), data.rfind(b"\t"), data.rfind(b"\r")) + 1
    if cut > 0:
        return cut
    cut = len(data) - 1
    while cut > 0 and 0x80 <= data[cut] <= 0xBF:
        cut -= 1
    return cut if cut > 0 else len(data)


def _read_units(stream: IO[bytes], limit: int) -> Iterator[tuple[bytes, int, int]]:
    """``(bytes, byte offset, line number)`` of each line of ``stream`` (with its ending), a line
    longer than ``limit`` bytes coming as several pieces cut at whitespace."""
    offset = 0
    line_no = 1
    carry = b""
    while True:
        data = carry + stream.readline(limit - len(carry))
        carry = b""
        if not data:
            return
        if len(data) >= limit and not data.endswith(b"\n"):
            cut = _cut_point(data)
            data, carry = data[:cut], data[cut:]
        yield data, offset, line_no
        offset += len(data)
        if data.endswith(b"\n"):
            line_no += 1


@dataclass
class _Unit:
    text: str
    line: int  # 1-based line number in its source
    column: int  # code points from the start of the line to the start of this unit
    nbytes: int


class _Decoder:
    """Decode a source's units under the chosen encoding and error policy."""

    def __init__(self, ns: argparse.Namespace, source: _Source) -> None:
        self.source = source
        self.errors = ns.errors
        self.requested = ns.input_encoding.strip().lower()
        if self.requested in ("utf8", "utf_8"):
            self.requested = "utf-8"
        self.encoding: str | None = None if self.requested == "auto" else self.requested
        self._decode_bytes: Callable[..., Any] | None = None
        if self.requested != "utf-8":
            try:
                from .encodings import decode_bytes
            except ModuleNotFoundError as e:
                if e.name != "vn_repair.encodings":
                    raise
                raise CliError(f"--input-encoding {ns.input_encoding} needs vn_repair.encodings, "
                               "which is not installed", 2) from None
            self._decode_bytes = decode_bytes
            if self.encoding is not None:
                try:
                    self.encoding = decode_bytes(b"", self.encoding).encoding
                except ValueError as e:
                    raise CliError(str(e), 2) from None
                if self.encoding != "utf-8" and self.errors == "surrogateescape":
                    raise CliError("--errors surrogateescape works with UTF-8 input only", 2)

    def detect(self, sample: bytes) -> None:
        """Choose the encoding from the first window's bytes (``--input-encoding auto``)."""
        assert self._decode_bytes is not None
        policy = "strict" if self.errors == "surrogateescape" else self.errors
        try:
            found = self._decode_bytes(sample, "auto", errors=policy)
        except UnicodeDecodeError:
            found = None
        self.encoding = found.encoding if found is not None else "utf-8"
        confidence = f" (confidence {found.confidence:.2f})" if found is not None else ""
        _report(f"{PROG}: {self.source.label}: input decoded as {self.encoding}{confidence}")

    def decode(self, data: bytes, offset: int, line: int) -> str:
        if self.encoding in ("utf-8", None):
            try:
                return data.decode("utf-8", self.errors)
            except UnicodeDecodeError as e:
                raise CliError(
                    f"{self.source.label}: invalid UTF-8 at byte {offset + e.start} (line {line}); "
                    "use --errors replace or --errors surrogateescape to pass it through, "
                    "or --input-encoding auto to detect the encoding") from None
        assert self._decode_bytes is not None
        policy = "replace" if self.errors != "strict" else "strict"
        try:
            return str(self._decode_bytes(data, self.encoding, errors=policy).text)
        except UnicodeDecodeError as e:
            raise CliError(f"{self.source.label}: byte {offset + e.start} (line {line}) is not valid "
                           f"{self.encoding}; use --errors replace to pass it through") from None


def _raw_windows(source: _Source, decoder: _Decoder) -> Iterator[list[tuple[bytes, int, int]]]:
    """The units of ``source`` (bytes, offset, line) grouped into windows (documents)."""
    units = _read_units(source.stream, WINDOW_BYTES)
    max_lines = 1 if source.interactive else WINDOW_LINES
    if decoder.encoding is None:  # auto: look at the first window's bytes first
        head: list[tuple[bytes, int, int]] = []
        size = 0
        for u in units:
            head.append(u)
            size += len(u[0])
            if len(head) >= WINDOW_LINES or size >= WINDOW_BYTES:
                break
        decoder.detect(b"".join(u[0] for u in head))
        units = _chain(head, units)
    window: list[tuple[bytes, int, int]] = []
    lines = size = 0
    for unit in units:
        window.append(unit)
        size += len(unit[0])
        if unit[0].endswith(b"\n"):
            lines += 1
        if lines >= max_lines or size >= WINDOW_BYTES:
            yield window
            window = []
            lines = size = 0
    if window:
        yield window


def _window_text(decoder: _Decoder, raw: list[tuple[bytes, int, int]]) -> str:
    """A window decoded in one call; on an error, unit by unit to name the line."""
    try:
        return decoder.decode(b"".join(u[0] for u in raw), raw[0][1], raw[0][2])
    except CliError:
        for data, offset, line in raw:
            decoder.decode(data, offset, line)
        raise


def _windows(source: _Source, decoder: _Decoder) -> Iterator[list[_Unit]]:
    """Windows of decoded units that know their line and column (for ``--explain``)."""
    column = 0
    for raw in _raw_windows(source, decoder):
        window = []
        for data, offset, line in raw:
            text = decoder.decode(data, offset, line)
            window.append(_Unit(text, line, column, len(data)))
            column = 0 if data.endswith(b"\n") else column + len(text)
        yield window


def _chain(head: list[tuple[bytes, int, int]], rest: Iterator[tuple[bytes, int, int]]) -> Iterator[tuple[bytes, int, int]]:
    yield from head
    yield from rest


# --------------------------------------------------------------------------------------------
# Output


class _Sink:
    """Standard output, or a file written under a temporary name and renamed at the end (a
    failed run leaves the old file as it was)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.tmp: str | None = None
        self.mode: int | None = None
        if path is None or path == "-":
            self.stream: IO[bytes] = sys.stdout.buffer
            self.path = None
            return
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise CliError(f"cannot write {path}: {e.strerror}") from None
        try:
            if st is not None and not stat.S_ISREG(st.st_mode):
                # A device or a pipe: write to it directly.
                self.stream = open(path, "wb")  # noqa: SIM115 - closed by commit() or abort()
                return
            self.mode = stat.S_IMODE(st.st_mode) if st is not None else None
            directory = os.path.dirname(os.path.abspath(path))
            self.tmp = os.path.join(directory, f".{os.path.basename(path)}.vn-repair-{os.getpid()}.tmp")
            self.stream = open(self.tmp, "wb")  # noqa: SIM115 - closed by commit() or abort()
        except OSError as e:
            raise CliError(f"cannot write {path}: {e.strerror}") from None

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def commit(self) -> None:
        self.stream.flush()
        if self.path is None:
            return
        self.stream.close()
        if self.tmp is not None:
            if self.mode is not None:
                os.chmod(self.tmp, self.mode)
            os.replace(self.tmp, self.path)
            self.tmp = None

    def abort(self) -> None:
        if self.path is None:
            return
        try:
            self.stream.close()
        except OSError:
            pass
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


def _refuse_overwriting_inputs(output: str | None, names: list[str]) -> None:
    if output is None or output == "-" or not os.path.exists(output):
        return
    out_stat = os.stat(output)
    for name in names:
        if name == "-c":
            continue
        try:
            in_stat = os.fstat(sys.stdin.fileno()) if name == "-" else os.stat(name)
        except (OSError, ValueError):
            continue
        if os.path.samestat(in_stat, out_stat) and stat.S_ISREG(out_stat.st_mode):
            shown = "standard input" if name == "-" else name
            raise CliError(f"refusing to overwrite the input {shown} with -o {output}", 2)


class _Progress:
    """``bytes done / total, MB/s`` on stderr, when it is a terminal and the total is known."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total is not None and total > 0
        self.done = 0
        self.start = time.monotonic()
        self.shown = self.start  # nothing for the first quarter second: short runs stay silent
        self.drawn = False

    def advance(self, nbytes: int) -> None:
        if not self.enabled:
            return
        self.done += nbytes
        now = time.monotonic()
        if now - self.shown < 0.25:
            return
        self.shown = now
        assert self.total is not None
        rate = self.done / 1e6 / max(now - self.start, 1e-6)
        _write_stderr(f"\r{PROG}: {self.done / 1e6:.1f} / {self.total / 1e6:.1f} MB, {rate:.1f} MB/s")
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            _write_stderr("\r\x1b[K")


def _write_stderr(text: str) -> None:
    try:
        _write_utf8(sys.stderr, text)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Running


def _load_model(config: Any) -> None:
    """Load the model named by ``--model`` now, so that a bad file is one clear error before any
    output.  (The embedded model loads when the first text needs it: ``echo x | vn-repair``
    never pays for it.)"""
    from . import api

    with _model_errors():
        loader = getattr(api, "load_model", None)
        if loader is not None:
            loader(config)
            return
        try:
            from .restore import get_restorer
        except ModuleNotFoundError as e:
            if e.name == "vn_repair.restore":
                return  # no restoration engine installed: nothing to load
            raise
        get_restorer(config.model)


@contextlib.contextmanager
def _model_errors() -> Iterator[None]:
    """Turn a model that cannot be loaded (missing, unreadable, not a model) into a CliError.
    Inside a repair nothing else does I/O, so an OSError there is the model's."""
    try:
        yield
    except (OSError, ValueError) as exc:
        lm = sys.modules.get("vn_repair.lm")
        bad_model = isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError)
        if lm is not None and isinstance(exc, getattr(lm, "ModelFormatError", ())):
            bad_model = True
        if bad_model:
            raise CliError(str(exc)) from None
        raise


def _run(ns: argparse.Namespace, mode: str) -> int:
    _check_options(ns, mode)
    config = _config_from(ns, mode)
    names = _open_sources(ns)
    _refuse_overwriting_inputs(ns.output, names)
    jobs = ns.jobs
    if jobs == 0:
        jobs = os.cpu_count() or 1
        try:
            jobs = len(os.sched_getaffinity(0))
        except AttributeError:
            pass
    if config.restore and config.model is not None and jobs == 1:
        _load_model(config)
    sources = [_source(n, ns) for n in names]
    total = None
    if all(s.size is not None for s in sources) and ns.text is None:
        total = sum(s.size or 0 for s in sources)
    stdout_is_output = ns.output in (None, "-")
    progress = _Progress(total, sys.stderr.isatty() and not (stdout_is_output and sys.stdout.isatty()))
    out_errors = "surrogateescape" if ns.errors == "surrogateescape" else "strict"
    sink = _Sink(ns.output)
    ok = False
    try:
        run = _run_jsonl if ns.jsonl else _run_text
        run(ns, config, sources, sink, progress, jobs, out_errors)
        sink.commit()
        ok = True
    finally:
        progress.finish()
        if not ok:
            sink.abort()
        for s in sources:
            if s.name not in ("-", "-c"):
                s.stream.close()
    return 0


def _repair_texts(texts: Iterable[str], config: Any, jobs: int) -> Iterator[str]:
    """Each text repaired as one document, in order; with several jobs, in worker processes."""
    if jobs == 1:
        from .api import repair

        for text in texts:
            with _model_errors():
                result = repair(text, config)
            yield result
        return
    try:
        from .parallel import repair_lines_parallel
    except ModuleNotFoundError as e:
        if e.name != "vn_repair.parallel":
            raise
        raise CliError("--jobs needs vn_repair.parallel, which is not installed; use --jobs 1", 2) from None
    # Each text is one "line" of a one-line chunk: one document per text, as with jobs == 1.
    results = repair_lines_parallel(texts, config, jobs=jobs, chunk_lines=1)
    try:
        while True:
            with _model_errors():
                try:
                    result = next(results)
                except StopIteration:
                    return
            yield result
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


def _encode(text: str, errors: str) -> bytes:
    return text.encode("utf-8", errors)


def _run_text(ns: argparse.Namespace, config: Any, sources: list[_Source], sink: _Sink,
              progress: _Progress, jobs: int, out_errors: str) -> None:
    if ns.explain:
        _explain_text(ns, config, sources, sink, progress)
        return
    pending: deque[tuple[_Source, int]] = deque()

    def documents() -> Iterator[str]:
        for source in sources:
            decoder = _Decoder(ns, source)
            for raw in _raw_windows(source, decoder):
                pending.append((source, sum(len(u[0]) for u in raw)))
                yield _window_text(decoder, raw)

    for repaired in _repair_texts(documents(), config, jobs):
        source, nbytes = pending.popleft()
        sink.write(_encode(repaired, out_errors))
        if source.interactive:
            sink.flush()
        progress.advance(nbytes)


def _explain_text(ns: argparse.Namespace, config: Any, sources: list[_Source], sink: _Sink,
                  progress: _Progress) -> None:
    import json

    from .api import repair_and_explain

    for source in sources:
        decoder = _Decoder(ns, source)
        for window in _windows(source, decoder):
            text = "".join(u.text for u in window)
            with _model_errors():
                result = repair_and_explain(text, config)
            starts = []
            pos = 0
            for u in window:
                starts.append(pos)
                pos += len(u.text)
            for e in result.edits:
                i = bisect.bisect_right(starts, e.offset) - 1
                unit = window[max(i, 0)]
                record = {"file": source.name, "line": unit.line,
                          "offset": unit.column + e.offset - starts[max(i, 0)],
                          "before": e.before, "after": e.after, "kind": e.kind, "confidence": e.confidence}
                sink.write(_json_line(json, record))
            if source.interactive:
                sink.flush()
            progress.advance(sum(u.nbytes for u in window))


def _json_line(json: Any, record: dict[str, Any], separators: tuple[str, str] | None = None) -> bytes:
    """One JSON record and a newline, non-ASCII written as is; lone surrogates (undecodable
    input kept with surrogateescape) are escaped so that the line stays valid UTF-8."""
    text = json.dumps(record, ensure_ascii=False, separators=separators)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        return json.dumps(record, ensure_ascii=True, separators=separators).encode("ascii") + b"\n"


# --------------------------------------------------------------------------------------------
# JSON Lines


@dataclass
class _Record:
    source: _Source
    line: int
    raw: bytes  # the line as read, written back unchanged when nothing was repaired
    obj: Any = None
    fields: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    ending: str = ""
    separators: tuple[str, str] | None = None


def _read_records(ns: argparse.Namespace, source: _Source) -> Iterator[_Record]:
    import json

    offset = 0
    for line_no, raw in enumerate(iter(source.stream.readline, b""), 1):
        start = offset
        offset += len(raw)
        try:
            text = raw.decode("utf-8", ns.errors)
        except UnicodeDecodeError as e:
            raise CliError(f"{source.label}: invalid UTF-8 at byte {start + e.start} (line {line_no}); "
                           "use --errors replace or --errors surrogateescape to pass it through") from None
        body = text.rstrip("\r\n")
        record = _Record(source, line_no, raw, ending=text[len(body):])
        if not body.strip():
            yield record
            continue
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as e:
            if ns.jsonl_invalid == "pass":
                yield record
                continue
            raise CliError(f"{source.label}:{line_no}: not valid JSON ({e.msg} at column {e.colno}); "
                           "use --jsonl-invalid pass to copy such lines unchanged") from None
        if isinstance(obj, dict):
            fields = tuple(f for f in dict.fromkeys(ns.field) if isinstance(obj.get(f), str))
            if fields:
                record.obj = obj
                record.fields = fields
                record.values = tuple(obj[f] for f in fields)
                compact = '":' in body and '": ' not in body
                record.separators = (",", ":") if compact else None
        yield record


def _run_jsonl(ns: argparse.Namespace, config: Any, sources: list[_Source], sink: _Sink,
               progress: _Progress, jobs: int, out_errors: str) -> None:
    import json

    if ns.explain:
        from .api import repair_and_explain
    pending: deque[_Record] = deque()

    def documents() -> Iterator[str]:
        for source in sources:
            for record in _read_records(ns, source):
                pending.append(record)
                # The record's fields as one document, one after another on their own lines
                # (the repair keeps line structure, so they split back apart).
                yield "\n".join(record.values)

    if ns.explain:
        for doc in documents():
            record = pending.popleft()
            if record.values:
                with _model_errors():
                    result = repair_and_explain(doc, config)
                starts = list(_field_starts(record.values))
                for e in result.edits:
                    i = max(bisect.bisect_right(starts, e.offset) - 1, 0)
                    sink.write(_json_line(json, {
                        "file": record.source.name, "line": record.line, "field": record.fields[i],
                        "offset": e.offset - starts[i], "before": e.before, "after": e.after,
                        "kind": e.kind, "confidence": e.confidence}))
            progress.advance(len(record.raw))
        return

    for repaired in _repair_texts(documents(), config, jobs):
        record = pending.popleft()
        progress.advance(len(record.raw))
        if not record.values or repaired == "\n".join(record.values):
            sink.write(record.raw)
            continue
        new_values = _split_fields(repaired, record.values)
        if new_values is None:  # the repair changed line structure: repair field by field
            from .api import repair

            new_values = [repair(v, config) for v in record.values]
        for name, value in zip(record.fields, new_values):
            record.obj[name] = value
        line = _json_line(json, record.obj, record.separators)
        sink.write(line[:-1] + _encode(record.ending, out_errors))


def _field_starts(values: Sequence[str]) -> Iterator[int]:
    pos = 0
    for v in values:
        yield pos
        pos += len(v) + 1


def _split_fields(text: str, values: Sequence[str]) -> list[str] | None:
    pieces = text.split("\n")
    counts = [v.count("\n") + 1 for v in values]
    if len(pieces) != sum(counts):
        return None
    out = []
    pos = 0
    for n in counts:
        out.append("\n".join(pieces[pos:pos + n]))
        pos += n
    return out
