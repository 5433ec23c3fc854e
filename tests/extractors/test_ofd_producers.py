"""OFD files from other producers (issue 24), checked against the PDFs they came from.

Two shared foreign dossiers (D002: three volumes, D014: ten single documents) are converted at
test time by ``easyofd`` (a test dependency) and, for D014, by a second independent structure
(:func:`tests.extractors.ofd_producers.write_producer_b`). Each must give the same document types
and the same findings as its PDFs, with the text where the PDF has it. A page drawn as glyph
outlines and an image-only OFD go to OCR.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from models.settings import get_settings
from extractors.ofd import OfdDocument, Package, read_ofd
from extractors.ofd_render import OfdPageSource
from extractors.pdf import read_pdf
from tests.extractors.ofd_producers import easyofd_convert, outline_page_ofd, write_producer_b

FOREIGN = get_settings().shared_dir / "dossiers" / "foreign"
DOSSIERS = ("D002", "D014")

pytestmark = pytest.mark.skipif(not (FOREIGN / "D014" / "text").is_dir(), reason="共享卷宗不可用")


def _need_easyofd() -> None:
    """easyofd is a test dependency (``.[dev]``); found without importing it (it logs at import)."""
    import importlib.util

    if importlib.util.find_spec("easyofd") is None:
        pytest.skip("未安装 easyofd（pip install -e '.[dev]'）")


def _pdfs(name: str) -> list[Path]:
    return sorted((FOREIGN / name / "text").glob("*.pdf"))


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> dict[str, Path]:
    """Folders of OFD files: ``easyofd/D002``, ``easyofd/D014`` and ``b/D014``."""
    _need_easyofd()
    root = tmp_path_factory.mktemp("ofd-producers")
    out = {f"easyofd/{d}": root / "easyofd" / d / "text" for d in DOSSIERS}
    easyofd_convert([(pdf, out[f"easyofd/{d}"] / f"{pdf.stem}.ofd") for d in DOSSIERS for pdf in _pdfs(d)])
    out["b/D014"] = root / "b" / "D014" / "text"
    for pdf in _pdfs("D014"):
        write_producer_b(pdf, out["b/D014"] / f"{pdf.stem}.ofd")
    return out


@pytest.fixture(scope="session")
def scans(converted) -> dict[str, dict]:
    """Reports of the PDFs and of every OFD rendering (the real pipeline, no OCR needed)."""
    from assistant.pipeline import scan

    settings = get_settings().model_copy(update={"ocr_engine": "none"})
    reports = {f"pdf/{d}": scan(FOREIGN / d / "text", settings).report for d in DOSSIERS}
    reports.update({key: scan(path, settings).report for key, path in converted.items()})
    return reports


def _docs(report: dict) -> list[tuple]:
    return [(Path(d["source"]["file"]).stem, tuple(d["source"]["pages"]), d["type"]) for d in report["documents"]]


def _findings(report: dict) -> list[tuple]:
    return sorted((f["rule_id"], f["message"].replace(".ofd", ".pdf")) for f in report["findings"])


@pytest.mark.parametrize("key", ["easyofd/D002", "easyofd/D014", "b/D014"])
def test_same_documents_and_findings_as_the_pdf(scans, key):
    ref, got = scans[f"pdf/{key.split('/')[1]}"], scans[key]
    assert len(got["documents"]) >= 3 and all(d["text_source"] == "text-layer" for d in got["documents"])
    assert _docs(got) == _docs(ref)
    assert _findings(got) == _findings(ref)
    assert got["grade"] == ref["grade"] and got["coverage"]["gradable"]
    assert got["coverage"]["pages"]["unread"] == ref["coverage"]["pages"]["unread"]
    assert got["case"]["suspects"][0] == ref["case"]["suspects"][0] and got["case"]["charges"] == ref["case"]["charges"]


def test_producer_b_gives_the_pdf_warnings_too(scans):
    """Producer B keeps the pictures in place (seal under Signs/, pictures in composite objects) and
    the pen-ink colour of signatures written as text: the slots are decided as on the PDF."""
    norm = lambda r: sorted(w.replace(".ofd", ".pdf") for w in r["warnings"])  # noqa: E731
    assert norm(scans["b/D014"]) == norm(scans["pdf/D014"])


def test_easyofd_pictures_are_not_trusted_for_marks(scans):
    """easyofd writes image boundaries that are no positions and drops pen strokes: seal and fingerprint
    slots stay undecided (a warning to check by hand), never "not sealed"."""
    got = scans["easyofd/D014"]
    assert not any(f["rule_id"].startswith("SG-") for f in got["findings"])
    assert any("院印区域无法辨认" in w for w in got["warnings"]) and any("指印区域无法辨认" in w for w in got["warnings"])


def _nearest(line, lines):
    return min(lines, key=lambda o: abs(o.bbox[1] - line.bbox[1]) + abs(o.bbox[0] - line.bbox[0])
               + 1000 * (o.text.replace(" ", "") != line.text.replace(" ", "")))


@pytest.mark.parametrize("key, share", [("easyofd/D014", 0.9), ("b/D014", 1.0)])
def test_text_where_the_pdf_has_it(converted, key, share):
    """Every page has the PDF's characters; its lines sit on the PDF's rows (centres within 2.5 pt or a
    quarter of the line height) and start where
    the PDF's do. easyofd spreads each run evenly over its box, so a run with a wide gap inside
    (``告知日期：…        告知人：…``) puts what follows the gap off: ``share`` of the lines start in place."""
    placed = total = 0
    for pdf in _pdfs("D014"):
        ofd = converted[key] / f"{pdf.stem}.ofd"
        got, ref = read_ofd(ofd, ofd.name), read_pdf(pdf, pdf.name)
        assert [v for p in got for v in (p.width, p.height)] == pytest.approx([v for p in ref for v in (p.width, p.height)],
                                                                              abs=0.5)
        for g, r in zip(got, ref):
            assert sorted("".join(g.text.split())) == sorted("".join(r.text.split())), (pdf.name, g.number)
            for line in r.lines:
                near = _nearest(line, g.lines)
                if near.text.replace(" ", "") != line.text.replace(" ", ""):
                    continue
                height = line.bbox[3] - line.bbox[1]
                assert abs(near.bbox[1] + near.bbox[3] - line.bbox[1] - line.bbox[3]) / 2 <= max(2.5, 0.25 * height), \
                    (pdf.name, line.text)
                total += 1
                placed += abs(near.bbox[0] - line.bbox[0]) <= 2.5
    assert total > 150 and placed >= share * total


def test_easyofd_structure_is_what_the_reader_handles(converted):
    """The differences from the standard's own layout that made every page read empty before."""
    path = converted["easyofd/D014"] / "10_起诉书.ofd"
    with zipfile.ZipFile(path) as zf:
        content = zf.read("Doc_0/Pages/Page_0/Content.xml").decode()
        document = zf.read("Doc_0/Document.xml").decode()
    assert 'xmlns:ofd="http://www.ofdspec.org/2016"' not in content
    assert ' size="' in content and ' Size="' not in content                  # lower-case attribute
    assert "<ofd:PageArea>" in content and "<ofd:Area>" not in content         # page box inside Content
    assert "0 0 595.27" in content and "0 0 140 90" in document               # points; a default box unlike the pages
    with Package(path) as pkg:
        doc = OfdDocument(pkg)
        data = doc.page(0)
        assert doc.placement_lost()
    assert data.unit == pytest.approx(200 / 72, rel=1e-3)                     # content in points ÷ (200/25.4), in mm
    assert (data.width * data.unit, data.height * data.unit) == pytest.approx((210.0, 297.0), abs=0.3)


def test_producer_b_structure(converted):
    path = converted["b/D014"] / "10_起诉书.ofd"
    pdf = FOREIGN / "D014" / "text" / "10_起诉书.pdf"
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        doc_xml = zf.read("Doc_0/Document.xml").decode()
    assert {"Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Tpls/Tpl_0/Content.xml"} <= names
    assert "TemplatePage" in doc_xml and "0 0 297 420" in doc_xml
    got = read_ofd(path, path.name)
    ref = read_pdf(pdf, pdf.name)
    # the first page's header comes from the template page, at the PDF's place
    top = min(ref[0].lines, key=lambda ln: ln.bbox[1])
    near = _nearest(top, got[0].lines)
    assert near.text.replace(" ", "") == top.text.replace(" ", "") and abs(near.bbox[1] - top.bbox[1]) < 2.5
    with Package(path) as pkg:
        doc = OfdDocument(pkg)
        stamps = [s for p in doc.stamps.values() for s in p]
        assert stamps and all(picture and picture.startswith(b"\x89PNG") for _, picture in stamps)
        assert not doc.placement_lost()
    # a composite graphic unit draws its picture where the PDF has it (a fingerprint on the transcript)
    transcript = converted["b/D014"] / "02_讯问笔录_第一次.ofd"
    with Package(transcript) as pkg:
        doc = OfdDocument(pkg)
        assert doc.composites
        placed = [g for i in range(len(doc.pages)) for g in doc.page(i).graphics if g.outer is not None]
    assert placed and all(g.kind == "image" for g in placed)


def test_text_drawn_as_outlines_goes_to_ocr(tmp_path: Path):
    path = outline_page_ofd(tmp_path / "卷宗" / "起诉书.ofd", ["某某市某某区人民检察院", "起诉书", "被告人张某某涉嫌盗窃罪"])
    page = read_ofd(path, path.name)[0]
    assert page.needs_ocr and page.text_source == "none" and not page.lines
    # even-odd fill: the counter of a glyph stays open (口 is a dark ring around white), so OCR can read it
    ring = outline_page_ofd(tmp_path / "口" / "口.ofd", ["口"], size_mm=40.0)
    ink = OfdPageSource(ring, 0).rasterize(50).min(axis=2) < 128
    ys, xs = np.where(ink)
    assert ys.size and not ink[(ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2]
    assert ink[(ys.min() + ys.max()) // 2, xs.min() + 1]

    from extractors import extract_case
    from models.settings import Limits, Settings

    case = extract_case(path.parent, Settings(limits=Limits(), ocr_engine="rapidocr", ocr_workers=1, ocr_dpi=200))
    assert case.pages[0].ocr_run and "人民检察院" in case.pages[0].text and "盗窃罪" in case.pages[0].text


def test_image_only_easyofd_goes_to_ocr(tmp_path: Path):
    _need_easyofd()
    import subprocess
    import sys

    pdf = FOREIGN / "D014" / "text" / "10_起诉书.pdf"
    out = tmp_path / "scan.ofd"
    script = ("import os,sys,tempfile;from pathlib import Path;from easyofd import OFD;os.chdir(tempfile.mkdtemp());"
              "Path(sys.argv[2]).write_bytes(OFD().pdf2ofd(Path(sys.argv[1]).read_bytes(), optional_text=False))")
    subprocess.run([sys.executable, "-c", script, str(pdf), str(out)], check=True, capture_output=True, timeout=120)
    pages = read_ofd(out, out.name)
    assert len(pages) == 2 and all(p.needs_ocr and not p.lines for p in pages)
    img = OfdPageSource(out, 0).rasterize(100)
    assert img.shape[0] > img.shape[1] > 100 and img.min(axis=2).mean() < 250    # the page picture is drawn
