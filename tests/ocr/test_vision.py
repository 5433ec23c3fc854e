"""Seals, fingerprints and handwriting on page images; red suppression under seals."""

from __future__ import annotations

import pytest

from extractors import ocr, vision
from extractors.pdf import read_pdf
from tests.ocr import pages
from tests.ocr.conftest import char_accuracy


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.fixture(scope="module")
def marked(marks_pdf):
    path, placed = marks_pdf
    [page] = read_pdf(path, path.name)
    image = ocr.rasterize_pdf_page(path, 0, 150)
    return image, page, placed


def test_marks_found_where_placed(marked):
    image, page, placed = marked
    marks = vision.detect_marks(image, page.width, page.height, [ln.bbox for ln in page.lines])
    kinds = {m.kind: [x for x in marks if x.kind == m.kind] for m in marks}
    assert [m for m in kinds.get("seal", []) if _overlaps(m.bbox, placed["seal"])]
    assert [m for m in kinds.get("fingerprint", []) if _overlaps(m.bbox, placed["fingerprint"])]
    assert [m for m in kinds.get("handwriting", []) if _overlaps(m.bbox, placed["signature"])]
    assert len(kinds.get("seal", [])) == 1 and len(kinds.get("fingerprint", [])) == 1
    assert all(0.0 < m.score <= 1.0 for m in marks)


def test_no_marks_on_plain_text_page(indictment_pdf):
    [page] = read_pdf(indictment_pdf, indictment_pdf.name)
    image = ocr.rasterize_pdf_page(indictment_pdf, 0, 150)
    assert vision.detect_marks(image, page.width, page.height, [ln.bbox for ln in page.lines]) == []


def test_red_text_line_is_not_a_seal(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pages._font(canvas)
    path = tmp_path / "red.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFillColorRGB(0.85, 0.1, 0.1)
    c.setFont("WQY", 22)
    c.drawString(72, 700, "北京市朝阳区人民检察院文件")
    c.rect(72, 680, 450, 3, stroke=0, fill=1)
    c.showPage()
    c.save()
    image = ocr.rasterize_pdf_page(path, 0, 150)
    marks = vision.detect_marks(image, 595.3, 841.9, [])
    assert not [m for m in marks if m.kind in ("seal", "fingerprint")]


def test_suppressing_red_reads_text_under_seal(tmp_path):
    path = tmp_path / "sealed.pdf"
    placed = pages.render(path, pages.INDICTMENT, marks=True, seal_over_text=True)
    image = ocr.rasterize_pdf_page(path, 0, 200)
    top = int((placed["seal"][1] - 20) * 200 / 72)
    crop = image[top:int((placed["seal"][3] + 10) * 200 / 72)]
    ref = "检察官：王立新二〇二四年三月二十日"
    with_supp = ocr.ocr_image(crop, 200, marks=False).text
    without = ocr.ocr_image(crop, 200, marks=False, suppress_red=False).text
    keep = set(ref)
    acc_with = char_accuracy(ref, "".join(c for c in with_supp if c in keep))
    acc_without = char_accuracy(ref, "".join(c for c in without if c in keep))
    assert "王立新" in with_supp
    assert acc_with >= 0.85 and acc_with >= acc_without


def test_sampled_red_mask_and_boxed_suppression_match_full_page(marks_pdf):
    import cv2
    import numpy as np

    path, _ = marks_pdf
    image = ocr.rasterize_pdf_page(path, 0, 150)
    full = vision._red(image)
    mask = vision.red_mask(image)
    assert full.any() and (mask == full).all()
    area = cv2.dilate(full, np.ones((3, 3), np.uint8)) > 0
    expected = image.copy()
    expected[area] = cv2.LUT(image[..., 0], vision._FADE)[area][:, None]
    assert (vision.suppress_red(image, mask) == expected).all()
