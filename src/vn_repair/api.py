"""The public entry points: repair, repair_and_explain, normalize."""

from __future__ import annotations

from typing import Any

from .config import Config
from .edits import Edit, Repaired, compose_edits, edit_records, splice
from .normalize import normalize_text

__all__ = ["normalize", "repair", "repair_and_explain"]


def _check_text(text: object) -> str:
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise TypeError("vn_repair works on str, not bytes: decode first (e.g. data.decode('utf-8')), "
                        "or use vn_repair.decode_bytes() to detect the encoding")
    if not isinstance(text, str):
        raise TypeError(f"expected str, not {type(text).__name__}")
    return text


def _config(config: Config | None, overrides: dict[str, Any]) -> Config:
    return (config or Config()).with_overrides(**overrides)


def repair_and_explain(text: str, config: Config | None = None, **overrides: Any) -> Repaired:
    """Repair ``text`` and say how: returns :class:`Repaired` (text, edits)."""
    out, edits = _repair(text, _config(config, overrides), explain=True)
    return Repaired(out, tuple(edits))


def repair(text: str, config: Config | None = None, **overrides: Any) -> str:
    """Repair ``text`` and return the result."""
    return _repair(text, _config(config, overrides), explain=False)[0]


def _repair(text: str, cfg: Config, explain: bool) -> tuple[str, list[Edit]]:
    """The repaired text, and with ``explain`` its edits on ``text`` (else none: rebasing the
    restorations onto the input costs a tenth of a second on a few megabytes)."""
    _check_text(text)
    out, edits = normalize_text(text, cfg)
    if cfg.restore:
        from .engine import restore_text

        restored = restore_text(out, cfg)
        if restored:
            final = splice(out, restored)
            edits = compose_edits(text, edits, edit_records(restored)) if explain else []
            out = final
    return out, list(edits) if explain else []


def normalize(text: str, config: Config | None = None, **overrides: Any) -> str:
    """Normalization steps only (Unicode forms, invisible characters, spaces, look-alikes, tone
    style, encodings; no language model): :func:`vn_repair.normalize.normalize_text`'s text."""
    _check_text(text)
    return normalize_text(text, _config(config, overrides))[0]
