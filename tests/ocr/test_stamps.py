"""Page numbers stamped in a corner of scanned pages are read whatever their ink: a red number
fades with the seals when red ink is suppressed, a blue one looks like pen ink, a larger one like
handwriting — and a volume's page numbers are read from them (``extractors.volumes``)."""

from __future__ import annotations

import pytest

from fixtures import sheets
from fixtures.scan import Degradation, degrade

from extractors import ocr, ocr_engine

SCAN = Degradation(dpi=200, angle=0.7, blur=0.5, noise=3.0, jpeg_quality=70)
RED, BLUE = (205, 35, 40), (40, 60, 185)


def _page(number: str, ink, seal: bool = False, seed: int = 21):
    page = sheets.blank_sheet(seed)
    h, w = page.shape[:2]
    sheets._text(page, number, (w - 230, 70), 40, fill=ink)
    sheets._text(page, "询问笔录", (w // 2, 260), 56, centre=True)
    for k, line in enumerate(["时间：2024年3月5日9时10分至2024年3月5日10时20分", "地点：某某派出所询问室",
                              "问：你今天为什么来派出所？", "答：我来反映我家被盗的情况。"]):
        sheets._text(page, line, (200, 420 + 70 * k), 34)
    if seal:
        sheets._seal(page, w - 600, h - 420, 200)   # a seal low on the page, reaching into the bottom margin
    return degrade(page, SCAN, seed=seed)


@pytest.mark.parametrize("ink", [RED, BLUE, (30, 30, 30)], ids=["red", "blue", "black"])
def test_a_stamped_page_number_is_read_whatever_its_ink(ink):
    page = ocr.ocr_image(_page("17", ink), dpi=200)
    assert page.lines[0].text == "17"
    assert page.lines[0].bbox[3] < 0.1 * page.height   # in the top margin, where volumes look for it
    assert any("询问笔录" in ln.text for ln in page.lines)


def test_a_seal_in_the_bottom_margin_is_no_page_number(monkeypatch):
    """Red ink reaching into the margin from a seal is no digit-sized group: it is not read again."""
    calls = []
    real = ocr_engine.run_engine
    monkeypatch.setattr(ocr_engine, "run_engine", lambda engine, name, img, *a, **k: calls.append(img.shape) or
                        real(engine, name, img, *a, **k))
    page = ocr.ocr_image(_page("18", RED, seal=True), dpi=200)
    assert page.lines[0].text == "18" and any(m.kind == "seal" for m in page.marks)
    assert len(calls) == 2   # the page, and the red number's crop — not the seal's edge in the margin
    assert not any(ln.bbox[1] > 0.9 * page.height for ln in page.lines)


def test_a_red_page_number_on_a_photo_page():
    image = sheets.photo_page(22)
    sheets._text(image, "41", (image.shape[1] - 230, 70), 40, fill=RED)
    page = ocr.ocr_image(degrade(image, SCAN, seed=22), dpi=200.0)
    assert page.skipped == "photo" and page.lines[0].text == "41" and page.lines[0].bbox[3] < 0.1 * page.height
    assert any("照片1" in ln.text for ln in page.lines)
