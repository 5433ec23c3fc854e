"""A greyscale scan has no colour to tell a seal's ink from print: the seal's strokes crossing the
落款 must not make the date under it look handwritten (``extractors.ocr_lines.classify_chars``
with the seal discs of ``extractors.vision.grey_seals``)."""

from __future__ import annotations

from fixtures import sheets
from fixtures.scan import Degradation, degrade

from extractors import ocr

SCAN = Degradation(dpi=200, angle=0.7, blur=0.5, noise=3.0, jpeg_quality=70)


def _grey_seal_over_date(seed: int = 23):
    import cv2

    page = sheets.blank_sheet(seed)
    h, w = page.shape[:2]
    sheets._text(page, "起诉意见书", (w // 2, 240), 56, centre=True)
    for k, line in enumerate(["犯罪嫌疑人某某，男，汉族，因涉嫌盗窃罪于2024年3月1日被刑事拘留。",
                              "现将此案移送审查起诉。"]):
        sheets._text(page, line, (200, 420 + 70 * k), 34)
    sheets._text(page, "某某市公安局某某分局", (1000, 900), 38)
    sheets._text(page, "2024年3月5日", (1060, 960), 38)
    sheets._seal(page, 1050, 800, 200)   # its ring crosses the date line
    grey = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)   # a greyscale scan
    return degrade(grey, SCAN, seed=seed)


def test_a_date_under_a_grey_seal_is_printed_text():
    """On a greyscale scan nothing tells a seal's ink from print by colour: the seal's ring crossing
    the 落款 date makes its characters tall, like handwriting. Under a seal's disc a character is
    never taken for handwriting by its height (as under red ink on a colour page), so the date is read."""
    page = ocr.ocr_image(_grey_seal_over_date(), dpi=200)
    assert any(m.kind == "seal" for m in page.marks)
    assert "2024年3月5日" in page.text.replace(" ", "")
