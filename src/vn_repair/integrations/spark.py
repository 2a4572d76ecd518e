"""Spark: an iterator pandas UDF that repairs a string column, the model loaded once per worker.

>>> from pyspark.sql import SparkSession                       # doctest: +SKIP
>>> from vn_repair.integrations.spark import repair_udf       # doctest: +SKIP
>>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
>>> df = spark.createDataFrame([("Hoa\\u0300 bi\\u0300nh",)], ["text"])  # doctest: +SKIP
>>> df.select(repair_udf(tone_style="new")("text").alias("text")).first().text  # doctest: +SKIP
'Hòa bình'

The UDF is of the iterator kind (``Iterator[pd.Series] -> Iterator[pd.Series]``): a Python worker
gets the repairer once (:func:`vn_repair.pipeline.get_repairer`, which loads the model the first
time in that process) and then streams every Arrow batch of its partitions through it.  Spark
reuses Python workers between tasks (``spark.python.worker.reuse``, on by default), so the model is
loaded once per worker process for the whole job.  Only the :class:`vn_repair.Config` is shipped
with the UDF.  Each row is one document for the engine's damage estimate; nulls stay null.

Needs pyspark with pandas and pyarrow on the driver and the workers:
``pip install vn-repair[spark]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..pipeline import get_repairer, make_config, repair_series

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["repair_batches", "repair_udf"]


def repair_batches(batches: Iterable[pd.Series], config: Config | None = None,
                   **overrides: Any) -> Iterator[pd.Series]:
    """Repair each Series of ``batches`` and yield it: the body of :func:`repair_udf`, usable
    with ``mapInPandas`` or any other batch-wise framework."""
    cfg = make_config(config, **overrides)
    get_repairer(cfg)  # load the model before the first batch, once per process
    for batch in batches:
        yield repair_series(batch, cfg)


def repair_udf(config: Config | None = None, **overrides: Any) -> Any:
    """A pandas UDF (iterator kind) returning the repaired text of a string column.

    ``df.withColumn("text", repair_udf(tone_style="new")("text"))``.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    cfg = make_config(config, **overrides)

    def vn_repair(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        return repair_batches(batches, cfg)

    # Real objects, not the strings this module's postponed annotations would give: Spark reads
    # them to tell an iterator UDF from a scalar one.
    vn_repair.__annotations__ = {"batches": Iterator[pd.Series], "return": Iterator[pd.Series]}
    return pandas_udf(vn_repair, "string")  # type: ignore[call-overload]
