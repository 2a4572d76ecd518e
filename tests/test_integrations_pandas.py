"""The opt-in ``.vn`` pandas accessor (``import vn_repair.pandas``)."""

from __future__ import annotations

import pytest

pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install vn-repair[pandas])")

import vn_repair
import vn_repair.pandas  # registers the .vn accessor
from vn_repair import Config, Repaired

NFD = "Hoa\u0300 bi\u0300nh"
NFC = "Hoà bình"


def test_accessor_repairs_a_dataframe_column() -> None:
    df = pd.DataFrame({"id": [1, 2, 3], "text": [NFD, None, "Việt Nam"]})
    df["fixed"] = df["text"].vn.repair()
    # pandas 3 stores the None of a text column as NaN, pandas 2 as None: either stays missing.
    assert df["fixed"].isna().tolist() == [False, True, False]
    assert df["fixed"][0] == NFC and df["fixed"][2] == vn_repair.repair("Việt Nam")
    assert df["fixed"].dtype == df["text"].dtype
    assert df["text"][0] == NFD


def test_accessor_passes_config_and_options() -> None:
    s = pd.Series([NFD], dtype="string")
    cfg = Config(tone_style="new")
    assert s.vn.repair(cfg).iloc[0] == vn_repair.repair(NFD, cfg)
    assert s.vn.repair(tone_style="new").iloc[0] == vn_repair.repair(NFD, tone_style="new")
    with pytest.raises(TypeError, match="unknown option"):
        s.vn.repair(tone="new")


def test_accessor_explains() -> None:
    s = pd.Series([NFD, pd.NA], index=["a", "b"], dtype="string", name="t")
    out = s.vn.repair_and_explain()
    assert out.index.tolist() == ["a", "b"] and out.name == "t"
    first = out["a"]
    assert isinstance(first, Repaired) and first.text == NFC
    assert vn_repair.apply_edits(NFD, first.edits) == NFC
    assert out["b"] is pd.NA


def test_accessor_refuses_non_text_series() -> None:
    assert not hasattr(pd.Series([1, 2]), "vn")
    with pytest.raises(AttributeError, match="Series of text"):
        pd.Series([1.5]).vn.repair()
