"""Less OCR (issue 20): blank and photo pages are spotted from the image, skipped or read outside the
photographs, and reported as such; OCR results of long dossiers are kept page by page."""

from __future__ import annotations

import pytest

from fixtures import sheets
from fixtures.scan import Degradation, degrade
from models import CaseFile, Page, SourceFile

from assistant import coverage as cov_mod
from extractors import ocr, ocr_engine, ocr_pool, triage

SCAN = Degradation(dpi=200, angle=0.9, blur=0.6, noise=4.0, jpeg_quality=65)


def _scanned(image, seed: int = 1):
    return degrade(image, SCAN, seed=seed)


@pytest.mark.parametrize("make, kind", [
    (lambda: sheets.blank_sheet(1), "blank"),
    (lambda: sheets.blank_sheet(2, dpi=150), "blank"),
    (lambda: sheets.separator_sheet("证据材料", seed=3), "text"),
    (lambda: sheets.photo_page(4), "photo"),
    (lambda: sheets.photo_page(5, photos=1, captions=False), "photo"),
])
def test_triage_kinds(make, kind):
    assert triage.triage(_scanned(make())).kind == kind


def test_text_pages_are_never_blank_or_photo(page_image):
    assert triage.triage(page_image).kind == "text"
    assert triage.triage(_scanned(page_image)).kind == "text"
    one_line = sheets.blank_sheet(6)
    sheets._text(one_line, "以下空白", (300, 600), 40)   # one short line on an otherwise blank sheet is read
    assert triage.triage(_scanned(one_line)).kind == "text"


@pytest.fixture(scope="module")
def page_image(indictment_pdf):
    return ocr.rasterize_pdf_page(indictment_pdf, 0, 200)


def test_blank_page_is_not_ocred(monkeypatch):
    monkeypatch.setattr(ocr_engine, "get_engine", lambda *a, **k: pytest.fail("a blank page reached the engine"))
    page = ocr.ocr_image(_scanned(sheets.blank_sheet(7)), dpi=200)
    assert page.skipped == "blank" and not page.lines and not page.marks
    assert abs(page.width - 595) < 2 and abs(page.height - 842) < 2


def test_photo_page_reads_captions_only():
    page = ocr.ocr_image(_scanned(sheets.photo_page(8)), dpi=200)
    assert page.skipped == "photo"
    assert "照片1" in page.text and "照片2" in page.text and "拍摄人" in page.text
    assert not page.marks   # the photographs' colours are no seal or fingerprint
    bare = ocr.ocr_image(_scanned(sheets.photo_page(9, captions=False)), dpi=200)
    assert bare.skipped == "photo" and not bare.lines and not bare.marks


def test_separator_sheet_is_read():
    page = ocr.ocr_image(_scanned(sheets.separator_sheet("证据材料", seed=10)), dpi=200)
    assert page.skipped == "" and "证据材料" in page.text


def _ocr_page(n: int, text: str = "", skip: str = "") -> Page:
    from models import Line

    lines = [Line(text=text, bbox=(72, 72, 500, 86))] if text else []
    return Page(file="卷.pdf", number=n, width=595, height=842, text=text, lines=lines, text_source="ocr" if text else "none",
                ocr_run=True, ocr_skip=skip)


def test_coverage_says_which_pages_were_skipped_and_why():
    text = "被告人张某某，男，汉族，因涉嫌盗窃罪于某日被刑事拘留。"
    pages = [_ocr_page(1, text), _ocr_page(2, skip="blank"), _ocr_page(3, "照片1：案发现场全景，拍摄人：王立新", "photo"),
             _ocr_page(4, skip="photo")]
    case = CaseFile(name="卷", files=[SourceFile(name="卷.pdf", kind="pdf", pages=4)], pages=pages)
    c = cov_mod.coverage(case)
    reasons = {p["page"]: p["reason"] for p in c["unread_pages"]}
    assert reasons == {2: cov_mod.SKIP_REASONS["blank"], 4: cov_mod.SKIP_REASONS["photo"]}
    assert "空白页" in reasons[2] and "照片" in reasons[4]
    assert c["pages"]["ocr"] == 2 and c["pages"]["unread"] == 2
    assert c["partly_read_pages"] == [{"file": "卷.pdf", "page": 3, "reason": cov_mod.PARTLY_READ}]
    # pages skipped on purpose are no failed recognition: they do not make the dossier ungradable
    assert not any("未能识别文字" in r for r in c["ungradable_reasons"])


class _S:
    ocr_engine = "rapidocr"
    ocr_workers = 1


def test_page_cache_keeps_results_and_reads_on_after_an_interruption(tmp_path, indictment_pdf, monkeypatch):
    import pikepdf

    pdf = tmp_path / "卷.pdf"
    with pikepdf.open(indictment_pdf) as src:   # two pages
        src.pages.extend(list(src.pages))
        src.save(pdf)
    cache = ocr.PageCache(tmp_path / "cache")
    calls = []
    real = ocr_pool._safe_page

    def counting(src, *a, **k):
        calls.append(src.index)
        if src.index == 1:
            raise KeyboardInterrupt  # the scan is interrupted on its second page
        return real(src, *a, **k)

    monkeypatch.setattr(ocr_pool, "_safe_page", counting)
    with pytest.raises(KeyboardInterrupt):
        ocr.ocr_pages([ocr.PdfPage(pdf, 0), ocr.PdfPage(pdf, 1)], _S(), dpi=100, cache=cache)
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 1   # the first page was kept
    calls.clear()
    again = ocr.PageCache(tmp_path / "cache")
    [page] = ocr.ocr_pages([ocr.PdfPage(pdf, 0)], _S(), dpi=100, cache=again)
    assert calls == [] and again.hits == 1 and "起诉书" in page.text
    # another resolution, or a changed file, is read again
    ocr.ocr_pages([ocr.PdfPage(pdf, 0)], _S(), dpi=72, cache=again)
    assert calls == [0]
    pdf.write_bytes(pdf.read_bytes() + b"\n%changed\n")
    ocr.ocr_pages([ocr.PdfPage(pdf, 0)], _S(), dpi=100, cache=ocr.PageCache(tmp_path / "cache"))
    assert calls == [0, 0]


def test_page_cache_only_for_long_dossiers(tmp_path, monkeypatch):
    class S:
        data_dir = tmp_path

    monkeypatch.delenv("ASSISTANT_OCR_CACHE", raising=False)
    assert ocr.cache_for(S(), ocr.LONG_DOSSIER_PAGES - 1) is None
    assert ocr.cache_for(S(), ocr.LONG_DOSSIER_PAGES).folder == tmp_path / "ocr_cache"
    monkeypatch.setenv("ASSISTANT_OCR_CACHE", "off")
    assert ocr.cache_for(S(), 10_000) is None


def test_engine_variants_are_cached_apart_and_fall_back(monkeypatch):
    default = ocr.EngineConfig()
    assert default.models == "int8" and not default.line_cls
    monkeypatch.setenv("ASSISTANT_OCR_MODELS", "fp32")
    monkeypatch.setenv("ASSISTANT_OCR_BACKEND", "nonsense")
    assert ocr.EngineConfig.from_env() == ocr.EngineConfig(models="fp32")
    assert ocr.get_engine("rapidocr", 1) is not ocr.get_engine("rapidocr", 1, default)


def _band_pass(image, monkeypatch):
    """The page read as before the light pass: whitened, band by band."""
    from extractors import ocr_photo

    with monkeypatch.context() as m:
        m.setattr(ocr_photo, "read_outside_photos", lambda *a, **k: None)
        return ocr.ocr_image(image, dpi=200)


@pytest.mark.parametrize("angle, dpi", [(-1.6, 200), (1.2, 200.0)])   # the pipeline passes its dpi as a float
def test_photo_page_light_pass_reads_what_the_page_holds_where_it_lies(angle, dpi, monkeypatch):
    """The blocks of ink outside the photographs are read on one strip: the same lines as reading
    the whitened page band by band, a centred title stays printed, and the seal beside a caption
    is found where it lies on the page (the strip's boxes are put back on the straightened page)."""
    page = sheets.photo_page(12, title="现场照片（一）", seal=True)
    image = degrade(page, Degradation(dpi=200, angle=angle, blur=0.5, noise=3.0, jpeg_quality=70), seed=12)
    calls = []
    real = ocr_engine.run_engine
    monkeypatch.setattr(ocr_engine, "run_engine", lambda engine, name, img, *a, **k: calls.append(img.shape) or
                        real(engine, name, img, *a, **k))
    monkeypatch.setattr(triage, "whiten", lambda *a, **k: pytest.fail("the light pass fell back to the whitened page"))
    light = ocr.ocr_image(image, dpi=dpi)
    monkeypatch.undo()
    assert light.skipped == "photo" and len(calls) == 1
    assert calls[0][0] * calls[0][1] < 0.1 * image.shape[0] * image.shape[1]   # a strip, not the page
    texts = [ln.text for ln in light.lines]
    assert texts[0].startswith("现场照片") and any("照片1" in t for t in texts) and any("照片2" in t for t in texts)
    assert abs(light.skew - angle) < 0.4
    seals = [m for m in light.marks if m.kind == "seal"]
    bands = _band_pass(image, monkeypatch)
    [band_seal] = [m for m in bands.marks if m.kind == "seal"]
    assert len(seals) == 1 and all(abs(a - b) < 6 for a, b in zip(seals[0].bbox, band_seal.bbox))
    assert [t.replace("（", "(").replace("）", ")") for t in texts] == \
        [ln.text.replace("（", "(").replace("）", ")") for ln in bands.lines]
    for mine, theirs in zip(light.lines, bands.lines):
        assert all(abs(a - b) < 6 for a, b in zip(mine.bbox, theirs.bbox)), (mine, theirs)


def test_photo_page_on_its_side_falls_back_and_is_turned():
    import numpy as np

    image = np.ascontiguousarray(np.rot90(_scanned(sheets.photo_page(13), seed=13)))
    page = ocr.ocr_image(image, dpi=200)
    assert page.skipped == "photo" and page.rotation in (90, 270)
    assert "照片1" in page.text and "照片2" in page.text


def test_light_pass_blocks_and_reading_order():
    from models import Line

    from extractors import ocr_photo

    image = _scanned(sheets.photo_page(14), seed=14)
    verdict = triage.triage(image)
    boxes = ocr_photo.blocks(verdict, image.shape[:2])
    assert len(boxes) == 2 and all(y1 - y0 < 120 for _, y0, _, y1 in boxes)   # the two captions, nothing else
    assert boxes[0][1] < boxes[1][1]
    right_higher = Line(text="侧面", bbox=(400, 300, 430, 312))
    left = Line(text="正面", bbox=(100, 303, 130, 315))
    below = Line(text="姓名：某某", bbox=(90, 340, 200, 352))
    assert [ln.text for ln in ocr_photo.reading_order([below, right_higher, left])] == ["正面", "侧面", "姓名：某某"]


def test_engine_overrides_last_one_pass(monkeypatch):
    """The light pass detects at page scale and recognises lines one at a time; the engine every
    other page shares keeps its own settings afterwards, also when the pass fails."""
    engine = ocr_engine.get_engine("rapidocr", 1)
    side, batch = engine.text_det.limit_side_len, engine.text_rec.rec_batch_num
    seen = []
    real = engine.detect_and_crop

    def spy(*a, **k):
        seen.append((engine.text_det.limit_side_len, engine.text_rec.rec_batch_num))
        return real(*a, **k)

    monkeypatch.setattr(engine, "detect_and_crop", spy)
    strip = _scanned(sheets.separator_sheet("证据材料", seed=15))[600:900]
    results, _ = ocr_engine.run_engine(engine, "rapidocr", strip, det_scale=0.4, rec_batch=1)
    assert seen == [(round(max(strip.shape[:2]) * 0.4), 1)] and any("证据" in r[1] for r in results)
    assert (engine.text_det.limit_side_len, engine.text_rec.rec_batch_num) == (side, batch)
    monkeypatch.setattr(engine, "detect_and_crop", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ocr_engine.run_engine(engine, "rapidocr", strip, det_scale=0.4, rec_batch=1)
    assert (engine.text_det.limit_side_len, engine.text_rec.rec_batch_num) == (side, batch)


def test_a_failing_light_pass_loses_no_page(monkeypatch, caplog):
    from extractors import ocr_photo

    monkeypatch.setattr(ocr_photo, "read_outside_photos", lambda *a, **k: 1 / 0)
    page = ocr.ocr_image(_scanned(sheets.photo_page(16)), dpi=200.0)
    assert page.skipped == "photo" and "照片1" in page.text and "照片2" in page.text
    assert "light pass over a photo page failed" in caplog.text
