"""Thin layers over :mod:`vn_repair.pipeline` for data frameworks, one submodule each.

Each submodule imports its framework when it is imported itself, never before, so
``import vn_repair`` needs none of them.  Install a framework with its extra:

=============================================  ======================================
``vn_repair.integrations.scrapy``              ``pip install vn-repair[scrapy]``
``vn_repair.integrations.datatrove``           ``pip install vn-repair[datatrove]``
``vn_repair.integrations.spark``               ``pip install vn-repair[spark]``
``vn_repair.pandas`` (the ``.vn`` accessor)    ``pip install vn-repair[pandas]``
=============================================  ======================================

See docs/integrations/ for a runnable example of each, and recipes for Dask and NeMo Curator.
"""

from __future__ import annotations

__all__: list[str] = []
