"""The Scrapy item pipeline, driven through a real (offline) crawler object."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest

scrapy = pytest.importorskip("scrapy", reason="Scrapy is not installed (pip install vn-repair[scrapy])")
pytest.importorskip("itemadapter", reason="itemadapter is not installed (pip install vn-repair[scrapy])")

from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

import vn_repair
from vn_repair import Config
from vn_repair.integrations.scrapy import VnRepairPipeline, config_from_settings

PIPELINE = "vn_repair.integrations.scrapy.VnRepairPipeline"
NFD = "Hoa\u0300 bi\u0300nh"
NFC = "Hoà bình"


def _crawler(**settings: Any) -> Any:
    return get_crawler(settings_dict={"ITEM_PIPELINES": {PIPELINE: 300}, **settings})


def _pipeline(crawler: Any) -> VnRepairPipeline:
    try:
        from scrapy.utils.misc import build_from_crawler
    except ImportError:  # Scrapy < 2.12
        return VnRepairPipeline.from_crawler(crawler)
    return build_from_crawler(VnRepairPipeline, crawler)


class ArticleItem(scrapy.Item):
    title = scrapy.Field()
    body = scrapy.Field()
    url = scrapy.Field()


@dataclasses.dataclass
class ArticleData:
    title: str
    body: str
    url: str


def _attrs_item() -> Any:
    attr = pytest.importorskip("attr", reason="attrs is not installed")

    @attr.s(auto_attribs=True)
    class ArticleAttrs:
        title: str
        body: str
        url: str

    return ArticleAttrs(NFD, "Việt Nam " + NFD, "https://example.org/a")


@pytest.mark.parametrize("make", [
    lambda: {"title": NFD, "body": "Việt Nam " + NFD, "url": "https://example.org/a"},
    lambda: ArticleItem(title=NFD, body="Việt Nam " + NFD, url="https://example.org/a"),
    lambda: ArticleData(NFD, "Việt Nam " + NFD, "https://example.org/a"),
    _attrs_item,
], ids=["dict", "Item", "dataclass", "attrs"])
def test_every_item_type_is_repaired_and_counted(make: Any) -> None:
    from itemadapter import ItemAdapter

    crawler = _crawler(VN_REPAIR_FIELDS=["title", "body"])
    pipe = _pipeline(crawler)
    pipe.open_spider()
    item = make()
    assert pipe.process_item(item) is item
    adapter = ItemAdapter(item)
    assert adapter["title"] == NFC
    assert adapter["body"] == vn_repair.repair("Việt Nam " + NFD)
    assert adapter["url"] == "https://example.org/a"
    stats = crawler.stats
    assert stats.get_value("vn_repair/items") == 1
    assert stats.get_value("vn_repair/items_changed") == 1
    assert stats.get_value("vn_repair/fields_changed") == 2
    # The same item again is clean now: counted as seen, not as changed.
    pipe.process_item(item, None)
    assert stats.get_value("vn_repair/items") == 2
    assert stats.get_value("vn_repair/fields_changed") == 2


def test_all_text_fields_by_default_and_lists_of_paragraphs() -> None:
    crawler = _crawler()
    pipe = _pipeline(crawler)
    item = {"title": NFD, "paragraphs": [NFD, "Việt Nam\n", NFD], "n": 3, "tags": (), "none": None}
    pipe.process_item(item)
    assert item["title"] == NFC
    assert item["paragraphs"] == [NFC, vn_repair.repair("Việt Nam\n"), NFC]
    assert item["n"] == 3 and item["tags"] == () and item["none"] is None
    assert crawler.stats.get_value("vn_repair/fields_changed") == 2


def test_named_fields_missing_none_or_wrong_type() -> None:
    pipe = _pipeline(_crawler(VN_REPAIR_FIELDS="title, body"))
    assert pipe.fields == ("title", "body")
    item: dict[str, Any] = {"title": None}
    assert pipe.process_item(item) == {"title": None}
    with pytest.raises(TypeError, match="'body', which holds int"):
        pipe.process_item({"title": NFD, "body": 7})


def test_settings_map_to_config_fields() -> None:
    crawler = _crawler(VN_REPAIR_TONE_STYLE="new", VN_REPAIR_THRESHOLD="0.95", VN_REPAIR_NFC="False",
                       VN_REPAIR_DAMAGE="drop,strip", VN_REPAIR_DAMAGE_RATE="0.02", VN_REPAIR_MODEL="None")
    pipe = _pipeline(crawler)
    assert pipe.config == Config(tone_style="new", threshold=0.95, nfc=False, damage=("drop", "strip"),
                                 damage_rate=0.02, model=None)
    assert config_from_settings(_crawler().settings) == Config()


def test_bad_settings_are_loud() -> None:
    with pytest.raises(ValueError, match="unknown setting VN_REPAIR_TONESTYLE; known: .*VN_REPAIR_TONE_STYLE"):
        _pipeline(_crawler(VN_REPAIR_TONESTYLE="new"))
    with pytest.raises(ValueError, match="VN_REPAIR_THRESHOLD must be a number"):
        _pipeline(_crawler(VN_REPAIR_THRESHOLD="high"))
    with pytest.raises(ValueError, match="VN_REPAIR_RESTORE must be a boolean"):
        _pipeline(_crawler(VN_REPAIR_RESTORE="maybe"))
    with pytest.raises(ValueError, match="tone_style"):
        _pipeline(_crawler(VN_REPAIR_TONE_STYLE="newest"))


def test_disabled_raises_not_configured() -> None:
    with pytest.raises(NotConfigured, match="VN_REPAIR_ENABLED"):
        _pipeline(_crawler(VN_REPAIR_ENABLED=False))


def test_item_pipeline_manager_loads_it_without_deprecation_warnings() -> None:
    from scrapy.pipelines import ItemPipelineManager

    crawler = _crawler()
    with warnings.catch_warnings():
        warnings.simplefilter("error", scrapy.exceptions.ScrapyDeprecationWarning)
        manager = ItemPipelineManager.from_crawler(crawler)
    assert [type(mw) for mw in manager.middlewares] == [VnRepairPipeline]


def test_disabled_pipeline_is_dropped_by_the_manager() -> None:
    from scrapy.pipelines import ItemPipelineManager

    manager = ItemPipelineManager.from_crawler(_crawler(VN_REPAIR_ENABLED="0"))
    assert manager.middlewares == ()
