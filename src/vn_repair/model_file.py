"""The language-model file's header and vocabulary, read without numpy.

A document's first pass (:mod:`vn_repair.estimate`) needs only the model's units and unigram
log10 probabilities; most documents are clean and need nothing more, so those are read here
with the standard library, and numpy and the n-gram tables load only when a document needs
decoding (:meth:`vn_repair.lm.NgramModel.load`, which reads the header the same way).  The
file layout is described in :mod:`vn_repair.lm`.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

__all__ = ["ALIGN", "DEFAULT_MODEL_NAME", "FORMAT_NAME", "FORMAT_VERSION", "MAGIC", "ModelFormatError",
           "decode_vocabulary", "default_model_path", "open_model_file", "read_vocabulary", "required_arrays"]

FORMAT_NAME = "vn-repair-ngram"
FORMAT_VERSION = 1
MAGIC = b"VNREPAIR-NGRAM\n\x00"
#: File name of the embedded default model inside the ``vn_repair.data`` package.
DEFAULT_MODEL_NAME = "default-model.bin"
#: Every array starts at a multiple of this many bytes.
ALIGN = 64


class ModelFormatError(ValueError):
    """A model file is not a valid ``vn-repair-ngram`` file; the message names the file."""


def open_model_file(path: str) -> tuple[Any, dict[str, Any]]:
    """(memory map, header) of the model file ``path``, its magic, header, format version and
    array layout checked; raises :class:`ModelFormatError` naming the file, or OSError."""
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
    _check_arrays(path, header, size)
    return buf, header


def decode_vocabulary(raw: bytes, header: dict[str, Any], where: str) -> list[str]:
    """The units of the ``vocab`` array's bytes, as many as the header's ``vocab_size`` says
    (else :class:`ModelFormatError` naming ``where``)."""
    vocab = raw.decode("utf-8").split("\n")
    if len(vocab) != int(header["vocab_size"]):
        raise ModelFormatError(f"{where}: vocabulary has {len(vocab)} units, header says {header['vocab_size']}")
    return vocab


def required_arrays(order: int, quantized: bool) -> list[str]:
    """The arrays a model of ``order`` needs (see :mod:`vn_repair.lm`)."""
    names = ["vocab", "uni_logp", "uni_bow"]
    for k in range(2, order + 1):
        names += [f"words_{k}", f"logp_{k}", f"first_{k}", f"parent_{k - 1}"]
        if quantized:
            names.append(f"logp_{k}_codebook")
        if k < order:
            names.append(f"bow_{k}")
            if quantized:
                names.append(f"bow_{k}_codebook")
    return names


def _check_arrays(path: str, header: dict[str, Any], size: int) -> None:
    """The header names the model's order, size and every array it needs, and each array lies
    inside the file at an aligned offset."""
    try:
        order, quantized, arrays = int(header["order"]), bool(header["quantized"]), header["arrays"]
        int(header["vocab_size"])
        extents = [(name, int(offset), str(dtype), [int(n) for n in shape])
                   for name, (offset, dtype, shape) in arrays.items()]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ModelFormatError(f"{path}: header lacks the order, vocabulary size or array layout") from None
    for name in required_arrays(order, quantized):
        if name not in arrays:
            raise ModelFormatError(f"{path}: array {name!r} is missing")
    for name, offset, dtype, shape in extents:
        if len(dtype) < 3 or dtype[0] not in "<>|=" or dtype[1] not in "uifb" or not dtype[2:].isdigit():
            raise ModelFormatError(f"{path}: array {name!r} has an unknown type {dtype!r}")
        count = 1
        for n in shape:
            count *= n
        if offset % ALIGN or offset < 0 or offset + count * int(dtype[2:]) > size:
            raise ModelFormatError(f"{path}: array {name!r} lies outside the file (truncated?)")


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


def read_vocabulary(model: str | None = None) -> tuple[list[str], list[float], dict[str, Any]]:
    """The units of model file ``model`` (None: the embedded default model), their unigram
    log10 probabilities, as :class:`vn_repair.lm.NgramModel` reads them (``vocab``,
    ``unigram_log10``), and the file's header; without numpy."""
    if model is None:
        with default_model_path() as path:
            return _read_vocabulary(path)
    return _read_vocabulary(os.fspath(model))


def _read_vocabulary(path: str) -> tuple[list[str], list[float], dict[str, Any]]:
    buf, header = open_model_file(path)
    arrays = header["arrays"]  # checked by open_model_file
    v_off, v_dtype, v_shape = arrays["vocab"]
    u_off, u_dtype, u_shape = arrays["uni_logp"]
    if v_dtype != "|u1" or u_dtype != "<f4" or sys.byteorder != "little":
        # Another layout than the one this reader knows: let numpy read it.
        from .lm import NgramModel

        model = NgramModel.load(path)
        return list(model.vocab), model.unigram_log10.astype(float).tolist(), header
    n_bytes, n_units = int(v_shape[0]), int(u_shape[0])
    vocab = decode_vocabulary(bytes(buf[v_off : v_off + n_bytes]), header, path)
    if len(vocab) != n_units:
        raise ModelFormatError(f"{path}: {n_units} unigram probabilities for {len(vocab)} units")
    return vocab, list(struct.unpack_from(f"<{n_units}f", buf, u_off)), header
