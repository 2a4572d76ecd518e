"""The datatrove formatter step: over Documents directly and inside a LocalPipelineExecutor."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datatrove", reason="datatrove is not installed (pip install vn-repair[datatrove])")

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.formatters.base import BaseFormatter

import vn_repair
from vn_repair import Config
from vn_repair.integrations.datatrove import VnRepairFormatter
from vn_repair.pipeline import load_count

NFD = "Hoa\u0300 bi\u0300nh"
NFC = "Hoà bình"


def _docs(n: int) -> list[Document]:
    return [Document(text=f"{NFD} {i}" if i % 2 else f"Việt Nam {i}", id=str(i)) for i in range(n)]


def test_formatter_over_documents_records_stats() -> None:
    step = VnRepairFormatter(Config(threshold=0.95))
    assert isinstance(step, BaseFormatter)
    assert step.format(NFD) == vn_repair.repair(NFD, Config(threshold=0.95)) == NFC
    docs = list(step.run(_docs(10)))
    assert [d.text for d in docs] == [vn_repair.repair(t.text) for t in _docs(10)]
    assert docs[1].text == NFC + " 1"
    stats = step.stats.to_dict()["stats"]
    assert stats["total"] == 10
    assert stats["vn_repair_changed"] == 6  # format(NFD) above, and the 5 odd documents


def test_formatter_pickles_small_and_takes_options() -> None:
    step = VnRepairFormatter(tone_style="new")
    assert step.config == Config(tone_style="new")
    data = pickle.dumps(step)
    assert len(data) < 4096, "the step must ship its config, never a model"
    assert pickle.loads(data).format(NFD) == vn_repair.repair(NFD, tone_style="new")
    with pytest.raises(TypeError, match="unknown option"):
        VnRepairFormatter(tone="new")


def _tag_process(data: Any, rank: int = 0, world_size: int = 1) -> Any:
    """A pipeline step that records which process handled each document and how many model
    loads that process had made by then."""
    for doc in data:
        doc.metadata["pid"] = os.getpid()
        doc.metadata["loads"] = load_count()
        yield doc


class _Write:
    """A minimal JSON-lines writer step (datatrove's JsonlWriter needs orjson): one file per task."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{rank:05d}.jsonl", "w", encoding="utf-8") as f:
            for doc in data:
                f.write(json.dumps({"id": doc.id, "text": doc.text, "metadata": doc.metadata}) + "\n")
                yield doc


def _run(tmp_path: Path, tasks: int, workers: int) -> tuple[list[dict[str, Any]], Any]:
    out = tmp_path / "out"
    executor = LocalPipelineExecutor(
        pipeline=[_docs(40), VnRepairFormatter(Config(threshold=0.875)), _tag_process, _Write(out)],
        tasks=tasks, workers=workers, logging_dir=str(tmp_path / "logs"))
    stats = executor.run()
    rows = [json.loads(line) for f in sorted(out.glob("*.jsonl")) for line in f.read_text("utf-8").splitlines()]
    return rows, stats


def test_local_executor_in_process(tmp_path: Path) -> None:
    rows, stats = _run(tmp_path, tasks=1, workers=1)
    assert len(rows) == 40
    assert {r["id"]: r["text"] for r in rows} == {d.id: vn_repair.repair(d.text) for d in _docs(40)}
    assert all(r["metadata"]["loads"] >= 1 for r in rows)
    step_stats = [s.to_dict() for s in stats.stats if "vn-repair" in s.name]
    assert step_stats and step_stats[0]["stats"]["vn_repair_changed"] == 20


def test_local_executor_two_worker_processes_load_once_each(tmp_path: Path) -> None:
    # Each task reads the whole in-memory list: 2 tasks write 80 documents, from 2 processes.
    rows, _ = _run(tmp_path, tasks=2, workers=2)
    assert len(rows) == 80
    assert {r["text"] for r in rows} == {vn_repair.repair(d.text) for d in _docs(40)}
    by_pid: dict[int, set[int]] = {}
    for r in rows:
        by_pid.setdefault(r["metadata"]["pid"], set()).add(r["metadata"]["loads"])
    assert os.getpid() not in by_pid
    assert all(loads == {1} for loads in by_pid.values()), by_pid
