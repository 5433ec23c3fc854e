"""Documents that span several loose image files (one scanned image per page).

Unit tests of the splitter on synthetic pages, of the consumers (locations, slot texts,
report), and one end-to-end scan: a two-page 起诉书 as ``起诉书_p001.jpg`` +
``起诉书_p002.jpg`` read through ``extract_case`` against its text-layer PDF.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models import CaseFile, Document, DocumentPart, Line, Page, Slot, vocab
from tests.ocr.pages import INDICTMENT

from extractors.split import file_runs, split_files


def _page(file: str, number: int = 1, lines: tuple[str, ...] = (), source: str = "ocr") -> Page:
    out = []
    for k, text in enumerate(lines):
        title = k == 0 and len(text) < 10
        x0, x1 = (250.0, 345.0) if title else (72.0, 523.0)
        out.append(Line(text=text, bbox=(x0, 60.0 + 22 * k, x1, 76.0 + 22 * k)))
    return Page(file=file, number=number, width=595.0, height=842.0, text="\n".join(lines), lines=out,
                text_source=source)


P1 = ("起诉书", "京朝检刑诉〔2024〕123号", "被告人张明，男，1990年3月15日出生。")
P2 = ("本院认为，被告人张明的行为触犯了《中华人民共和国刑法》第二百六十四条，", "提起公诉，请依法判处。", "此致")
RECEIPT = ("送达回证", "受送达人：张明", "送达文书：起诉书")


def test_untitled_image_continues_the_previous_image():
    segs = split_files([("卷/起诉书_p001.jpg", "image", [_page("卷/起诉书_p001.jpg", 1, P1)]),
                        ("卷/起诉书_p002.jpg", "image", [_page("卷/起诉书_p002.jpg", 1, P2)])])
    assert [s.type for s in segs] == [vocab.INDICTMENT]
    assert segs[0].parts() == [("卷/起诉书_p001.jpg", [1]), ("卷/起诉书_p002.jpg", [1])]


def test_titled_image_starts_a_new_document():
    segs = split_files([("a_p001.jpg", "image", [_page("a_p001.jpg", 1, P1)]),
                        ("a_p002.jpg", "image", [_page("a_p002.jpg", 1, P2)]),
                        ("a_p003.png", "image", [_page("a_p003.png", 1, RECEIPT)])])
    assert [(s.type, s.parts()) for s in segs] == [
        (vocab.INDICTMENT, [("a_p001.jpg", [1]), ("a_p002.jpg", [1])]),
        (vocab.SERVICE_RECEIPT, [("a_p003.png", [1])]),
    ]


def test_page_marker_continues_across_files():
    second = ("起诉书", *P2, "第2页 共2页")
    segs = split_files([("x_p001.jpg", "image", [_page("x_p001.jpg", 1, (*P1, "第1页 共2页"))]),
                        ("x_p002.jpg", "image", [_page("x_p002.jpg", 1, second)])])
    assert len(segs) == 1 and len(segs[0].pages) == 2


def test_pdf_and_folders_do_not_run_on():
    pdf = [_page("卷.pdf", 1, P1, "text-layer"), _page("卷.pdf", 2, P2, "text-layer")]
    files = [("卷.pdf", "pdf", pdf),
             ("续_p001.jpg", "image", [_page("续_p001.jpg", 1, P2)]),
             ("甲/p1.jpg", "image", [_page("甲/p1.jpg", 1, P1)]),
             ("乙/p2.jpg", "image", [_page("乙/p2.jpg", 1, P2)]),
             ("说明.txt", "text", [_page("说明.txt", 1, P2, "text-layer")])]
    assert [[f[0] for f in run] for run in file_runs(files)] == [["卷.pdf"], ["续_p001.jpg"], ["甲/p1.jpg"], ["乙/p2.jpg"],
                                                                 ["说明.txt"]]
    segs = split_files(files)
    assert segs[0].parts() == [("卷.pdf", [1, 2])]
    assert all(len(s.parts()) == 1 for s in segs) and len(segs) == 5


def test_multipage_tiff_then_loose_image():
    tiff = [_page("扫描.tif", 1, P1), _page("扫描.tif", 2, ("被告人张明自愿认罪认罚。",))]
    segs = split_files([("扫描.tif", "image", tiff), ("扫描_续.jpg", "image", [_page("扫描_续.jpg", 1, P2)])])
    assert [s.parts() for s in segs] == [[("扫描.tif", [1, 2]), ("扫描_续.jpg", [1])]]


def test_blank_image_does_not_break_a_document():
    blank = Page(file="b_p002.jpg", number=1, width=595.0, height=842.0, text_source="none")
    segs = split_files([("b_p001.jpg", "image", [_page("b_p001.jpg", 1, P1)]), ("b_p002.jpg", "image", [blank]),
                        ("b_p003.jpg", "image", [_page("b_p003.jpg", 1, P2)])])
    assert [s.parts() for s in segs] == [[("b_p001.jpg", [1]), ("b_p003.jpg", [1])]]


def _spanning_doc() -> Document:
    seal = Slot(role=vocab.SLOT_COURT_SEAL, kind="seal", page=1, file="起诉书_p002.jpg", filled=False,
                bbox=(300.0, 600.0, 500.0, 760.0))
    return Document(id="d1", type=vocab.INDICTMENT, title="起诉书", file="起诉书_p001.jpg", pages=[1],
                    parts=[DocumentPart(file="起诉书_p001.jpg", pages=[1]), DocumentPart(file="起诉书_p002.jpg", pages=[1])],
                    slots=[seal])


def test_locations_name_every_file():
    from checks.engine import where
    from checks.rules._common import slot_ev, slot_pages_text

    doc = _spanning_doc()
    assert doc.page_refs() == [("起诉书_p001.jpg", 1), ("起诉书_p002.jpg", 1)]
    assert where(doc) == "起诉书_p001.jpg 第1页 至 起诉书_p002.jpg 第1页"
    assert slot_pages_text(doc, doc.slots) == "起诉书_p002.jpg 第1页"
    assert [(e.file, e.page) for e in slot_ev(doc, doc.slots)] == [("起诉书_p002.jpg", 1)]
    single = Document(id="d2", type=vocab.INDICTMENT, file="卷.pdf", pages=[3, 4],
                      slots=[Slot(role="院印", kind="seal", page=4, file="卷.pdf", filled=False)])
    assert where(single) == "卷.pdf 第3–4页" and slot_pages_text(single, single.slots) == "第4页"


def test_report_lists_parts_and_slot_files():
    from assistant.render import render_html
    from assistant.report import _document

    out = _document(_spanning_doc())
    assert out["source"] == {"file": "起诉书_p001.jpg", "pages": [1], "parts": [
        {"file": "起诉书_p001.jpg", "pages": [1]}, {"file": "起诉书_p002.jpg", "pages": [1]}]}
    assert out["slots"][0]["file"] == "起诉书_p002.jpg"
    single = Document(id="d2", type=vocab.INDICTMENT, file="卷.pdf", pages=[3, 4])
    assert _document(single)["source"] == {"file": "卷.pdf", "pages": [3, 4]}
    report = {"schema_version": "1", "dossier": {"name": "卷", "files": [], "pages": 2}, "documents": [out],
              "case": {}, "findings": [], "key_review": {"required": False, "reasons": []}, "grade": "优秀",
              "points": 0, "warnings": []}
    html = render_html(report)
    assert "起诉书_p001.jpg 第1页<br>起诉书_p002.jpg 第1页" in html


# --- end to end: a two-page 起诉书 scanned as two loose images -------------------------------

#: The rendered 起诉书 of the OCR tests, split after the facts: page 2 carries the reasoning and the 落款.
PAGE1 = INDICTMENT[:11]
PAGE2 = INDICTMENT[11:]


def _two_page_indictment(path: Path) -> None:
    """A text-layer A4 PDF: header and facts on page 1, reasoning, 落款 and the seal on page 2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from tests.ocr import pages

    pages._font(canvas)
    W, H = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    for lines, first in ((PAGE1, True), (PAGE2, False)):
        y = H - 80
        for i, text in enumerate(lines):
            big = first and i < 2
            c.setFont("WQY", 18 if big else 12)
            if first and i < 3:
                c.drawCentredString(W / 2, y, text)
            elif text.startswith(("检察官", "二〇", "北京市朝阳区人民法院")) and not first:
                c.drawRightString(W - 90, y, text) if not text.startswith("北京") else c.drawString(72, y, text)
            else:
                c.drawString(72, y, text)
            last_y = y
            y -= 36 if big else 20
        if not first:
            pages.seal(c, W - 150, last_y - 58, text="")  # ring and star only: no seal characters in the text layer
        c.showPage()
    c.save()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    from PIL import Image

    from fixtures.scan import Degradation, degrade, rasterize

    root = tmp_path_factory.mktemp("multifile")
    text_dir, image_dir = root / "text", root / "images"
    text_dir.mkdir()
    image_dir.mkdir()
    _two_page_indictment(text_dir / "起诉书.pdf")
    for i, img in sorted(rasterize(text_dir / "起诉书.pdf", 200).items()):
        d = Degradation(dpi=200, angle=0.6 if i else -0.4, noise=4.0, jpeg_quality=80, paper=(252, 249, 240))
        Image.fromarray(degrade(img, d, seed=i)).save(image_dir / f"起诉书_p{i + 1:03d}.jpg", quality=85, dpi=(200, 200))
    from extractors import extract_case

    return extract_case(text_dir), extract_case(image_dir)


def test_two_images_form_one_indictment(scanned):
    text_case, case = scanned
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]
    doc = case.documents[0]
    assert [(p.file, p.pages) for p in doc.parts] == [("起诉书_p001.jpg", [1]), ("起诉书_p002.jpg", [1])]
    assert (doc.file, doc.pages) == ("起诉书_p001.jpg", [1])
    text_doc = text_case.documents[0]
    for name in (vocab.DOC_NUMBER, vocab.DATE, vocab.CHARGES):
        assert doc.value(name) == text_doc.value(name) is not None, name
    rec = doc.value(vocab.RECOMMENDATION) or {}
    assert (rec.get("kind"), rec.get("months")) == ("有期徒刑", 8)
    assert [e.file for e in doc.evidence(vocab.DATE)] == ["起诉书_p002.jpg"]
    assert [e.file for e in doc.evidence(vocab.DOC_NUMBER)] == ["起诉书_p001.jpg"]


def test_seal_slot_on_the_second_image(scanned):
    text_case, case = scanned
    seals = case.documents[0].slots_for(kind="seal")
    assert [(s.file, s.page, s.filled) for s in seals] == [("起诉书_p002.jpg", 1, True)]
    assert [(s.file, s.filled) for s in text_case.documents[0].slots_for(kind="seal")] == [("起诉书.pdf", True)]


def test_no_document_findings_beyond_the_text_layer(scanned):
    from checks.catalog import load_catalog
    from checks.runner import run_rules

    catalog = load_catalog()
    text_case, case = scanned
    keys = {f.rule_id for f in run_rules(text_case, catalog).findings}
    extra = [f for f in run_rules(case, catalog).findings
             if f.rule_id.startswith(("DOC-", "SG-")) and f.rule_id not in keys]
    assert not extra, [(f.rule_id, f.message) for f in extra]
