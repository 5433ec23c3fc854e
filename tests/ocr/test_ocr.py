"""OCR engine: accuracy on rendered pages, orientation and skew, line building, inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from extractors import ocr, ocr_engine, ocr_geometry
from extractors.errors import FileReadError
from fixtures.scan import Degradation, degrade
from tests.ocr import pages
from tests.ocr.conftest import char_accuracy

REF = "\n".join(pages.INDICTMENT)
DEGRADED = Degradation(dpi=200, angle=1.6, blur=0.9, noise=8.0, jpeg_quality=55, paper=(250, 244, 230), contrast=0.85)


@pytest.fixture(scope="module")
def page_image(indictment_pdf):
    return ocr.rasterize_pdf_page(indictment_pdf, 0, 200)


def test_bundled_models_are_used():
    """The default engine runs the product's int8 detector and recogniser (kept in the repository)
    with the wheel's classifier; the fp32 variant runs the wheel's models. Nothing is downloaded."""
    paths = ocr.bundled_model_paths("int8")
    wheel = ocr.bundled_model_paths("fp32")
    assert all(p.is_file() and p.suffix == ".onnx" for p in [*paths.values(), *wheel.values()])
    assert paths["det"].parent.name == "ocr_models" and paths["cls"] == wheel["cls"]
    engine = ocr.get_engine("rapidocr")
    assert str(engine.cfg.Det.model_path) == str(paths["det"])
    assert str(engine.cfg.Rec.model_path) == str(paths["rec"])
    fp32 = ocr.get_engine("rapidocr", config=ocr.EngineConfig(models="fp32"))
    assert str(fp32.cfg.Rec.model_path) == str(wheel["rec"])


def test_clean_page_accuracy(page_image):
    page = ocr.ocr_image(page_image, dpi=200)
    assert char_accuracy(REF, page.text) >= 0.98
    assert page.rotation == 0 and page.skew == 0.0
    assert 0.9 <= page.confidence <= 1.0
    assert abs(page.width - 595.3) < 1 and abs(page.height - 841.9) < 1
    title = next(ln for ln in page.lines if ln.text == "起诉书")
    assert 250 < title.bbox[0] < 300 and title.bbox[1] < 150


def test_degraded_page_accuracy_and_skew(page_image):
    page = ocr.ocr_image(degrade(page_image, DEGRADED, seed=1), dpi=200)
    assert char_accuracy(REF, page.text) >= 0.95
    assert abs(page.skew - 1.6) <= 0.3
    assert "盗窃罪" in page.text


@pytest.mark.parametrize("turn", [180, 90])
def test_turned_page_is_read_upright(page_image, turn, tmp_path):
    placed = pages.render(tmp_path / "p.pdf", pages.INDICTMENT)["lines"]
    ref = "".join(t for t, y in placed if y < 290)
    top = page_image[: int(300 * 200 / 72)]
    d = Degradation(dpi=200, angle=-0.8, noise=4.0, jpeg_quality=80, turn=turn)
    page = ocr.ocr_image(degrade(top, d, seed=2), dpi=200, marks=False)
    assert page.rotation in ((360 - turn) % 360, turn)
    assert char_accuracy(ref, page.text) >= 0.95
    first = min(page.lines, key=lambda ln: ln.bbox[1])
    assert "人民检察院" in first.text


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_orientation_is_judged_before_detection(page_image, turn, monkeypatch):
    """A turned page is turned upright before the detector runs: one engine pass, not two."""
    top = page_image[: int(300 * 200 / 72)]
    page_in = degrade(top, Degradation(dpi=200, angle=1.2, noise=4.0, jpeg_quality=70, turn=turn), seed=3)
    runs = []
    real = ocr_engine.run_engine
    monkeypatch.setattr(ocr_engine, "run_engine", lambda *a, **k: runs.append(1) or real(*a, **k))
    page = ocr.ocr_image(page_in, dpi=200, marks=False)
    assert page.rotation == (360 - turn) % 360
    assert len(runs) == 1
    assert "人民检察院" in min(page.lines, key=lambda ln: ln.bbox[1]).text


def test_line_crops_vote_on_orientation(page_image):
    import cv2

    engine = ocr.get_engine("rapidocr")
    gray = cv2.cvtColor(page_image, cv2.COLOR_RGB2GRAY)
    binary, _ = ocr_geometry.binary_small(gray, 1000)
    crops = ocr_geometry._line_crops(page_image, binary, 0.0)
    assert len(crops) == ocr.ORIENTATION_CROPS and all(c.shape[1] > 2 * c.shape[0] for c in crops)
    assert not ocr_geometry.upside_down_lines(engine, page_image, binary, 0.0)
    turned = np.ascontiguousarray(page_image[::-1, ::-1])
    assert ocr_geometry.upside_down_lines(engine, turned, np.ascontiguousarray(binary[::-1, ::-1]), 0.0)
    blank = np.full_like(page_image, 255)
    assert not ocr_geometry.upside_down_lines(engine, blank, np.zeros_like(binary), 0.0)


@pytest.mark.parametrize("angle", [-1.8, 0.7, 2.0])
def test_skew_estimate(page_image, angle):
    import cv2

    gray = cv2.cvtColor(degrade(page_image, Degradation(angle=angle, jpeg_quality=100), seed=0), cv2.COLOR_RGB2GRAY)
    assert abs(ocr.estimate_skew(gray) - angle) <= 0.25
    assert ocr.detect_axis_rotation(gray) == 0
    assert ocr.detect_axis_rotation(np.ascontiguousarray(np.rot90(gray))) == 90


def test_lines_keep_label_value_and_split_far_fields():
    def row(text, x, y, w=12.0):
        return [((x + i * w, y, x + (i + 1) * w, y + 12), ch, 0.99) for i, ch in enumerate(text)]

    chars = row("讯问人：刘强", 72, 100) + row("工作单位：朝阳分局", 300, 101) + row("问：你叫什么名字？", 72, 130)
    chars += [((72 + 9 * 12, 136, 72 + 9 * 12 + 4, 142), "。", 0.99)]
    lines = ocr.merge_lines(chars)
    assert [ln.text for ln in lines] == ["讯问人：刘强", "工作单位：朝阳分局", "问：你叫什么名字？。"]
    assert lines[0].bbox[0] == 72 and lines[1].bbox[0] == 300


def test_engine_none_and_unknown(page_image):
    class S:
        ocr_engine = "none"
        ocr_workers = 1

    [page] = ocr.ocr_pages([page_image], S())
    assert page.lines == [] and "未启用文字识别" in page.warning
    S.ocr_engine = "tesseract"
    with pytest.raises(ocr.OcrUnavailableError, match="未知的文字识别引擎"):
        ocr.ocr_pages([page_image], S())


def test_paddle_missing_is_a_chinese_error(page_image):
    pytest.importorskip("rapidocr")
    try:
        import paddleocr  # noqa: F401
    except ImportError:
        class S:
            ocr_engine = "paddleocr"
            ocr_workers = 1

        with pytest.raises(FileReadError, match="paddleocr"):
            ocr.ocr_pages([page_image], S())


def test_decompression_bomb_refused(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (9000, 9000)).save(path)
    with pytest.raises(FileReadError, match="解压炸弹"):
        ocr.load_image_pages(path, max_pixels=50_000_000)


def test_multipage_tiff_and_dpi(tmp_path, page_image):
    small = Image.fromarray(page_image).resize((827, 1170))
    path = tmp_path / "two.tif"
    small.save(path, save_all=True, append_images=[small.rotate(180)], dpi=(100, 100))
    frames = ocr.load_image_pages(path)
    assert len(frames) == 2 and frames[0].shape == (1170, 827, 3)
    assert ocr.image_dpi(path, frames[0]) == 100
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    with pytest.raises(FileReadError, match="无法读取图像文件"):
        ocr.load_image_pages(broken)


def test_pages_in_worker_processes(page_image):
    class S:
        ocr_engine = "rapidocr"
        ocr_workers = 2

    crop = page_image[:700]
    made = []

    def stream():
        for k in range(3):
            made.append(k)
            yield np.ascontiguousarray(crop) if k != 1 else np.full_like(crop, 255)

    results = ocr.ocr_pages(stream(), S(), dpi=200)
    assert made == [0, 1, 2] and len(results) == 3
    assert results[0].lines[1].text == "起诉书" and results[2].lines[1].text == "起诉书"
    assert results[1].lines == []



def test_pdf_page_reference_is_rasterised_where_it_is_read(indictment_pdf):
    class S:
        ocr_engine = "rapidocr"
        ocr_workers = 1

    [page] = ocr.ocr_pages([ocr.PdfPage(indictment_pdf, 0)], S(), dpi=150)
    assert "起诉书" in page.text and page.timings["raster"] > 0 and page.timings["engine"] > 0
    [bad] = ocr.ocr_pages([ocr.PdfPage(indictment_pdf, 5)], S(), dpi=150)
    assert bad.lines == [] and "无法读取" in bad.warning


def test_image_frame_reference_is_decoded_where_it_is_read(tmp_path, page_image):
    class S:
        ocr_engine = "rapidocr"
        ocr_workers = 1

    path = tmp_path / "p.png"
    Image.fromarray(page_image[:700]).save(path)
    width_pt = page_image.shape[1] / 200 * 72
    [page] = ocr.ocr_pages([ocr.ImageFrame(path, 0, width_pt, 10**8)], S(), dpi=72)
    assert page.lines[1].text == "起诉书"
    assert page.width == pytest.approx(width_pt, abs=1)  # the frame's own 200 dpi, not the call's 72
    [bad] = ocr.ocr_pages([ocr.ImageFrame(path, 3, width_pt, 10**8)], S(), dpi=72)
    assert bad.lines == [] and "无法读取" in bad.warning


def test_scanned_pages_of_all_files_are_ocred_together(tmp_path, page_image, monkeypatch):
    """Loose images and image-only PDF pages of a dossier go to the OCR pool in one stream
    (no core idles at the end of each file), with progress reported page by page."""
    from models.settings import Settings
    from extractors import extract_case

    for k in range(3):
        Image.fromarray(page_image[:700]).save(tmp_path / f"p{k}.png")
    Image.fromarray(page_image[:700]).save(tmp_path / "q.pdf", resolution=200)
    calls = []
    real = ocr.ocr_pages

    def counting(sources, settings=None, dpi=ocr.DEFAULT_DPI, suppress_red=True, progress=None):
        sources = list(sources)
        calls.append([type(s).__name__ for s in sources])
        return real(sources, settings, dpi=dpi, suppress_red=suppress_red, progress=progress)

    monkeypatch.setattr(ocr, "ocr_pages", counting)
    seen = []
    case = extract_case(tmp_path, settings=Settings(ocr_workers=1),
                        progress=lambda stage, done, total: seen.append((done, total)) if stage == "识别文字" else None)
    assert calls == [["ImageFrame"] * 3 + ["PdfPage"]]
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4), (4, 4)]
    assert [p.text_source for p in case.pages] == ["ocr"] * 4
    assert all("起诉书" in p.text for p in case.pages)


def _label_and_scribble() -> np.ndarray:
    """A line crop as the detector cuts it when a signature sits close to its label: 记录人： + pen strokes."""
    import cv2
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (400, 62), (250, 248, 240))
    ImageDraw.Draw(img).text((8, 12), "记录人：", font=ImageFont.truetype(pages.SANS, 34), fill=(20, 20, 20))
    arr = np.asarray(img).copy()
    pts = np.array([[170, 44], [190, 14], [205, 40], [225, 18], [240, 46], [262, 20], [280, 42], [300, 16], [330, 40],
                    [352, 22], [385, 30]], np.int32)
    cv2.polylines(arr, [pts], False, (40, 40, 90), 4, cv2.LINE_AA)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)


def test_label_swallowed_by_a_signature_is_read_again():
    """One detector box over 记录人： and the signature beside it, read as junk: the label is read
    again on its own (box cut in proportion) and the strokes are left to mark detection."""
    crop = _label_and_scribble()
    assert ocr_engine._swallowed(crop, "Y", 0.59)
    assert not ocr_engine._swallowed(crop, "记录人：张三", 0.99) and not ocr_engine._swallowed(crop, "Y", 0.95)
    quad = np.array([[100.0, 500.0], [500.0, 500.0], [500.0, 562.0], [100.0, 562.0]])
    parts = ocr_engine._read_parts(ocr.get_engine("rapidocr"), crop, quad)
    assert [p[1] for p in parts] == ["记录人："]
    box = parts[0][0]
    assert box[0, 0] == 100.0 and 100.0 + 110 < box[1, 0] < 100.0 + 170   # between the colon and the first stroke
