"""A text layer is read only when it is text: a font without its ToUnicode map decodes to control
characters and Latin letters, and such a page is read from its image instead (extractors.pdf)."""

from __future__ import annotations

import pikepdf
import pytest

from extractors import ocr
from extractors.pdf import read_pdf, usable_text
from tests.ocr import pages


@pytest.mark.parametrize("text,ok", [
    ("本院认为，被告人张三的行为触犯了《中华人民共和国刑法》第二百六十四条，应当以盗窃罪追究其刑事责任。", True),
    ("第3页  共5页", True),                                          # too short to judge
    ("2024-03-01 受理 (2024) 京0105刑初123号 “张三” …… ×", True),
    ("\x01  \x04\n\x07\x08  \x0e\x0f \x0e\x01\n\x12 \x14\x15 \x16  \x18\n\x19  \x1b  ÄÅÇÉÑ\x13 2  220804", False),
    ("óòôö õ\x0fúù2022û8ü2\x16†°\x05\x06\x07¢\x06£\x08 §£•¶âäã ß®©\x1b ™´¨\xad\x1aÆØ°±²³¥µ", False),
])
def test_usable_text(text, ok):
    assert usable_text(text) is ok


def test_a_page_whose_fonts_lost_their_unicode_map_is_read_by_ocr(tmp_path):
    good = tmp_path / "good.pdf"
    pages.render(good, pages.INDICTMENT)
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(good) as pdf:
        for page in pdf.pages:
            for _, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
                for f in [font, *list(font.get("/DescendantFonts", []))]:
                    if "/ToUnicode" in f:
                        del f["/ToUnicode"]
        pdf.save(broken)
    [page] = read_pdf(broken, broken.name)
    assert page.needs_ocr and page.text_source == "none" and not page.lines
    [typed] = read_pdf(good, good.name)
    assert not typed.needs_ocr and "人民检察院" in typed.text
    result = ocr.ocr_image(ocr.rasterize_pdf_page(broken, 0, 200), 200, marks=False)
    assert "人民检察院" in result.text
