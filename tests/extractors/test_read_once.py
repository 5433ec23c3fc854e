"""Every input file is hashed once and page-counted once per scan: the dossier key of the dispositions
(looked up before the scan), the service's content hash and the scan's own ``SourceFile.sha256`` share
one digest per file (:func:`extractors.ingest.sha256_of`), and the page count taken for progress is the
one the page budget uses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extractors import case as case_mod
from extractors import ingest
from models.settings import Settings
from tests.extractors.test_ingest import make_pdf


@pytest.fixture()
def counted(monkeypatch):
    """(bytes reads of each file through ``Path.open`` — every hash reads a file so —, page counts)."""
    opened: Counter = Counter()
    counted_pages: Counter = Counter()
    real_open, real_count = Path.open, case_mod.page_count

    def open_(self, mode="r", *args, **kwargs):
        if "r" in mode and "b" in mode and self.suffix == ".pdf":
            opened[self.name] += 1
        return real_open(self, mode, *args, **kwargs)

    def page_count(f, settings=None):
        counted_pages[f.name] += 1
        return real_count(f, settings)

    monkeypatch.setattr(ingest, "_DIGESTS", {})
    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(case_mod, "page_count", page_count)
    return opened, counted_pages


def test_a_scanned_folder_reads_each_file_once_for_its_hash_and_page_count(tmp_path, counted):
    from assistant.dispositions import dossier_key_for_path
    from assistant.service import content_hash

    folder = tmp_path / "卷宗"
    folder.mkdir()
    make_pdf(folder / "起诉书.pdf")
    make_pdf(folder / "不起诉决定书.pdf", title="不 起 诉 决 定 书")
    opened, pages = counted
    key = dossier_key_for_path(folder)  # the CLI looks the dispositions up first
    content_hash([(p.name, p) for p in sorted(folder.iterdir())])  # the service and batch content hash
    case = case_mod.extract_case(folder, Settings(ocr_engine="none", ocr_workers=1, data_dir=tmp_path / "data"))
    assert key and {f.name for f in case.files} == {"起诉书.pdf", "不起诉决定书.pdf"}
    assert all(f.sha256 for f in case.files)
    assert opened == Counter({"起诉书.pdf": 1, "不起诉决定书.pdf": 1})  # one hash each, shared
    assert pages == Counter({"起诉书.pdf": 1, "不起诉决定书.pdf": 1})


def test_a_changed_file_is_hashed_again(tmp_path, counted):
    pdf = make_pdf(tmp_path / "a.pdf")
    first = ingest.sha256_of(pdf)
    make_pdf(pdf, body="被告人李四，女，1991年2月2日出生，另一份内容。")
    assert ingest.sha256_of(pdf) != first
    assert counted[0]["a.pdf"] == 2
