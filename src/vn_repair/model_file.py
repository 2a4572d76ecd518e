"""The language-model file's header and vocabulary, read without numpy.

A document's first pass (:mod:`vn_repair.estimate`) needs only the model's units and unigram
log10 probabilities; most documents are clean and need nothing more, so those are read here
with the standard library, and numpy and the n-gram tables load only when a document needs
decoding (:meth:`vn_repair.lm.NgramModel.load`, which reads the header the same way).  The
file layout is described in :mod:`vn_repair.lm`.
"""

from __future__ import annotations

import functools
import json
import mmap
import os
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

__all__ = ["DEFAULT_MODEL_NAME", "FORMAT_NAME", "FORMAT_VERSION", "MAGIC", "ModelFormatError",
           "default_model_path", "open_model_file", "read_vocabulary"]

FORMAT_NAME = "vn-repair-ngram"
FORMAT_VERSION = 1
MAGIC = b"VNREPAIR-NGRAM\n\x00"
#: File name of the embedded default model inside the ``vn_repair.data`` package.
DEFAULT_MODEL_NAME = "default-model.bin"
ALIGN = 64


class ModelFormatError(ValueError):
    """A model file is not a valid ``vn-repair-ngram`` file; the message names the file."""


def open_model_file(path: str) -> tuple[Any, dict[str, Any], int]:
    """(memory map, header, file size) of the model file ``path``, its magic, header and format
    version checked; raises :class:`ModelFormatError` naming the file, or OSError."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < len(MAGIC) + 8:
                raise ModelFormatError(f"{path}: not a vn-repair model (file is only {size} bytes)")
            buf: Any = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open language model {path}: {exc.strerror}") from exc
    if buf[: len(MAGIC)] != MAGIC:
        raise ModelFormatError(
            f"{path}: not a vn-repair model (bad magic {bytes(buf[:len(MAGIC)])!r}; "
            f"expected {MAGIC!r})"
        )
    (hlen,) = struct.unpack_from("<Q", buf, len(MAGIC))
    start = len(MAGIC) + 8
    if start + hlen > size:
        raise ModelFormatError(f"{path}: truncated header ({hlen} bytes announced, file has {size})")
    try:
        header = json.loads(bytes(buf[start : start + hlen]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: unreadable header: {exc}") from None
    if header.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{path}: format is {header.get('format')!r}, expected {FORMAT_NAME!r}")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{path}: format version {header.get('format_version')!r} is not supported "
            f"(this vn-repair reads version {FORMAT_VERSION}); rebuild the model with `vn-repair train`"
        )
    return buf, header, size


@contextmanager
def default_model_path() -> Iterator[str]:
    """The path of the embedded default model (``vn_repair/data/default-model.bin``)."""
    ref = resources.files("vn_repair.data").joinpath(DEFAULT_MODEL_NAME)
    if not ref.is_file():
        raise FileNotFoundError(
            f"the embedded language model {DEFAULT_MODEL_NAME} is missing from the vn_repair package "
            f"({ref}); build it with scripts/build_default_model.sh or pass a model path"
        )
    with resources.as_file(ref) as path:
        yield os.fspath(path)


@functools.lru_cache(maxsize=8)
def read_vocabulary(model: str | None = None) -> tuple[list[str], list[float]]:
    """The units of model file ``model`` (None: the embedded default model) and their unigram
    log10 probabilities, as :class:`vn_repair.lm.NgramModel` reads them (``vocab``,
    ``unigram_log10``), without numpy."""
    if model is None:
        with default_model_path() as path:
            return _read_vocabulary(path)
    return _read_vocabulary(os.fspath(model))


def _read_vocabulary(path: str) -> tuple[list[str], list[float]]:
    buf, header, size = open_model_file(path)
    try:
        arrays = header["arrays"]
        v_off, v_dtype, v_shape = arrays["vocab"]
        u_off, u_dtype, u_shape = arrays["uni_logp"]
    except (KeyError, TypeError, ValueError):
        raise ModelFormatError(f"{path}: header lacks the vocabulary or unigram arrays") from None
    if v_dtype != "|u1" or u_dtype != "<f4" or sys.byteorder != "little":
        # Another layout than the one this reader knows: let numpy read it.
        from .lm import NgramModel

        model = NgramModel.load(path)
        return list(model.vocab), model.unigram_log10.astype(float).tolist()
    n_bytes, n_units = int(v_shape[0]), int(u_shape[0])
    if v_off + n_bytes > size or u_off + 4 * n_units > size:
        raise ModelFormatError(f"{path}: vocabulary lies outside the file (truncated?)")
    vocab = bytes(buf[v_off : v_off + n_bytes]).decode("utf-8").split("\n")
    if len(vocab) != n_units or len(vocab) != int(header["vocab_size"]):
        raise ModelFormatError(f"{path}: vocabulary has {len(vocab)} units, header says {header['vocab_size']}")
    return vocab, list(struct.unpack_from(f"<{n_units}f", buf, u_off))
