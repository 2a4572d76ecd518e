"""The Spark iterator pandas UDF in a local[2] session: correct output, nulls kept, and the model
loaded at most once per Python worker process over 100k rows.

Starting the JVM and the first Python workers (pandas, pyarrow, the model) dominates the cost:
about a minute on a busy 2-core machine, for a few seconds of repair work.  Skipped, with the
reason, where pyspark, pandas, pyarrow or java is missing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pandas", reason="pandas is not installed (pip install vn-repair[spark])")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install vn-repair[spark])")
pytest.importorskip("pyspark", reason="pyspark is not installed (pip install vn-repair[spark])")

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf

import vn_repair
from vn_repair import Config
from vn_repair.integrations.spark import repair_batches, repair_udf
from vn_repair.pipeline import load_count

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

ROWS = 100_000
NFD = "Hoa\u0300 bi\u0300nh"
NFC = "Hoà bình"
CFG = Config(threshold=0.9375)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("no java on PATH and no JAVA_HOME: Spark needs a JVM (Java 17)")
    from pyspark.sql import SparkSession

    # The workers must run this interpreter, where vn_repair is installed.
    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("vn-repair-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.python.worker.reuse", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _frame(spark: Any, rows: int, vietnamese_every: int = 1) -> Any:
    # Made in the JVM (no driver-side pandas conversion): every 1000th row null, every
    # ``vietnamese_every``-th NFD Vietnamese text, the others short ASCII text (cheap for the
    # engine, so that 100k rows test the per-worker loading, not the engine's speed).
    id_text = F.col("id").cast("string")
    text = (F.when(F.col("id") % vietnamese_every == 0, F.concat(F.lit(NFD + " "), id_text))
            .otherwise(F.concat(F.lit("row "), id_text)))
    return spark.range(0, rows, numPartitions=4).select(
        "id", F.when(F.col("id") % 1000 == 1, F.lit(None)).otherwise(text).alias("text"))


def test_repair_udf_output_and_nulls(spark: Any) -> None:
    df = _frame(spark, 3000).withColumn("fixed", repair_udf(CFG)("text"))
    rows = df.orderBy("id").collect()
    assert len(rows) == 3000
    for r in rows:
        if r.id % 1000 == 1:
            assert r.text is None and r.fixed is None
        else:
            assert r.fixed == vn_repair.repair(r.text, CFG)
    assert rows[2].fixed == NFC + " 2"


def test_repair_udf_options(spark: Any) -> None:
    df = spark.createDataFrame([(NFD,)], ["text"])
    got = df.select(repair_udf(tone_style="new")("text").alias("t")).first().t
    assert got == vn_repair.repair(NFD, tone_style="new")


def test_model_loaded_at_most_once_per_worker_over_100k_rows(spark: Any) -> None:
    cfg = CFG

    # Defined here, not at module level, so Spark pickles it by value: the workers cannot import
    # this test module.
    def tag_process(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        """The UDF's own batch loop, reporting after each batch which worker process ran it and
        how many model loads that process had made."""
        for out in repair_batches(batches, cfg):
            tag = f"{os.getpid()}:{load_count()}"
            yield pd.Series([tag] * len(out), index=out.index, dtype=object)

    tag_process.__annotations__ = {"batches": Iterator[pd.Series], "return": Iterator[pd.Series]}
    probe = pandas_udf(tag_process, "string")
    # Small Arrow batches, so each worker runs many batches and many tasks.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
    df = _frame(spark, ROWS, vietnamese_every=50).repartition(8)
    pairs = [r.tag for r in df.select(probe("text").alias("tag")).distinct().collect()]
    spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    loads = {int(pid): int(n) for pid, n in (p.split(":") for p in pairs)}
    assert len(pairs) == len(loads), f"one process reported two counts: {pairs}"
    assert os.getpid() not in loads
    assert loads and all(n == 1 for n in loads.values()), loads
