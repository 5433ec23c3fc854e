"""Finding ids are stable across packaging: a folder and a zip of the same dossier give the same ids."""

from __future__ import annotations

from checks.catalog import load_catalog
from checks.engine import Context


def _id(key: str) -> str:
    entry = load_catalog()["DL-010"]
    return Context(entry).report("消息", key=key).id


def test_path_prefixes_do_not_change_the_id():
    folder = _id("起诉书（公诉文书.docx 第2页）作出日期2023-03-12")
    zipped = _id("起诉书（dossier.zip/dossier/公诉文书.docx 第2页）作出日期2023-03-12")
    assert folder == zipped


def test_different_problems_keep_different_ids():
    assert _id("起诉书（公诉文书.docx 第2页）") != _id("起诉书（公诉文书.docx 第3页）")
    assert _id("起诉书（甲.docx 第2页）") != _id("起诉书（乙.docx 第2页）")
