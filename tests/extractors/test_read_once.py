"""Every input file is hashed once, page-counted once and opened once per scan: the dossier key of the
dispositions (looked up before the scan), the service's content hash and the scan's own
``SourceFile.sha256`` share one digest per file (:func:`extractors.ingest.sha256_of`), the page count
taken for progress is the one the page budget uses, and one PDFium document per PDF serves the page
count, the text, the renderings for marks and the pen-ink text (:func:`extractors.pdf.documents_shared`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from extractors import case as case_mod
from extractors import ingest
from models.settings import Settings
from tests.extractors.test_ingest import make_pdf


@pytest.fixture()
def counted(monkeypatch):
    """(bytes reads of each file through ``Path.open`` — every hash reads a file so —, page counts,
    PDFium documents opened)."""
    opened: Counter = Counter()
    counted_pages: Counter = Counter()
    documents: Counter = Counter()
    real_open, real_count, real_document = Path.open, case_mod.page_count, pdfium.PdfDocument.__init__

    def open_(self, mode="r", *args, **kwargs):
        if "r" in mode and "b" in mode and self.suffix == ".pdf":
            opened[self.name] += 1
        return real_open(self, mode, *args, **kwargs)

    def page_count(f, settings=None):
        counted_pages[f.name] += 1
        return real_count(f, settings)

    def document(self, source, *args, **kwargs):
        documents[Path(str(source)).name] += 1
        return real_document(self, source, *args, **kwargs)

    monkeypatch.setattr(ingest, "_DIGESTS", {})
    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(case_mod, "page_count", page_count)
    monkeypatch.setattr(pdfium.PdfDocument, "__init__", document)
    return opened, counted_pages, documents


def test_a_scanned_folder_reads_each_file_once_for_its_hash_and_page_count(tmp_path, counted):
    from assistant.dispositions import dossier_key_for_path
    from assistant.service import content_hash

    folder = tmp_path / "卷宗"
    folder.mkdir()
    make_pdf(folder / "起诉书.pdf")
    make_pdf(folder / "不起诉决定书.pdf", title="不 起 诉 决 定 书")
    opened, pages, documents = counted
    key = dossier_key_for_path(folder)  # the CLI looks the dispositions up first
    content_hash([(p.name, p) for p in sorted(folder.iterdir())])  # the service and batch content hash
    case = case_mod.extract_case(folder, Settings(ocr_engine="none", ocr_workers=1, data_dir=tmp_path / "data"))
    assert key and {f.name for f in case.files} == {"起诉书.pdf", "不起诉决定书.pdf"}
    assert all(f.sha256 for f in case.files)
    assert opened == Counter({"起诉书.pdf": 1, "不起诉决定书.pdf": 1})  # one hash each, shared
    assert pages == Counter({"起诉书.pdf": 1, "不起诉决定书.pdf": 1})
    assert documents == Counter({"起诉书.pdf": 1, "不起诉决定书.pdf": 1})  # one PDFium document each


def test_the_sample_dossier_opens_each_pdf_once(tmp_path, counted):
    """The sample dossier: text-layer volumes whose pages are rendered for marks and whose handwritten
    dates are OCR'd from the page image — still one PDFium document per file."""
    sample = Path(__file__).resolve().parents[2] / "fixtures" / "sample" / "dossier"
    case = case_mod.extract_case(sample, Settings(ocr_workers=1, data_dir=tmp_path / "data"))
    pdfs = {f.name for f in case.files if f.kind == "pdf"}
    assert pdfs and counted[2] == Counter({name: 1 for name in pdfs})


def test_a_changed_file_is_hashed_again(tmp_path, counted):
    pdf = make_pdf(tmp_path / "a.pdf")
    first = ingest.sha256_of(pdf)
    make_pdf(pdf, body="被告人李四，女，1991年2月2日出生，另一份内容。")
    assert ingest.sha256_of(pdf) != first
    assert counted[0]["a.pdf"] == 2
