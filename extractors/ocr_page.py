"""OCR of one page image in this process: :func:`ocr_image` → :class:`OcrPage`.

Per page: triage (:mod:`extractors.triage`: a blank sheet is not OCR'd, a photo page is read
outside its photographs only, on a strip of its blocks of ink, :mod:`extractors.ocr_photo`), red
ink suppressed in the copy given to OCR (black text under a seal stays readable), orientation and
skew (:mod:`extractors.ocr_geometry`), one engine pass (:mod:`extractors.ocr_engine`), page numbers
stamped in red read apart (:mod:`extractors.ocr_stamps`), the boxes turned into the frame of the
straightened page, printed text told from handwriting and merged into lines
(:mod:`extractors.ocr_lines`), and the page's marks (:mod:`extractors.vision`).
``OcrPage.timings`` holds the CPU seconds of each stage (``bench/ocr_pages.py`` sums them).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from models import Line, Mark

from extractors import ocr_engine, ocr_photo, ocr_stamps, triage, vision
from extractors.ocr_engine import Chars, EngineConfig
from extractors.ocr_geometry import axis_of, binary_small, deskew, rotate, skew_of, straighten, upside_down_lines
from extractors.ocr_inputs import DEFAULT_DPI
from extractors.ocr_lines import classify_chars, merge_lines, pad_box, text_confidence

log = logging.getLogger(__name__)


@dataclass
class OcrPage:
    """OCR result of one page image; boxes are points on the de-rotated page."""

    lines: list[Line] = field(default_factory=list)
    confidence: float = 0.0
    rotation: int = 0
    skew: float = 0.0
    marks: list[Mark] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    warning: str | None = None
    #: What :mod:`extractors.triage` found: ``"blank"`` (not OCR'd), ``"photo"`` (only the text outside
    #: the photographs read), or ``""`` (read in full).
    skipped: str = ""
    #: CPU seconds per stage (raster, red, geometry, engine, lines, marks) — for the benchmark.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class _Laps:
    """CPU seconds per stage of one page (``OcrPage.timings``), for the benchmark's breakdown
    (CPU rather than wall time, so that other work on the machine does not blur it)."""

    def __init__(self, into: dict[str, float]):
        self.into = into
        self.t = time.process_time()

    def __call__(self, stage: str) -> None:
        now = time.process_time()
        self.into[stage] = self.into.get(stage, 0.0) + now - self.t
        self.t = now


def ocr_image(
    image: np.ndarray,
    dpi: int = DEFAULT_DPI,
    engine_name: str = "rapidocr",
    threads: int = 0,
    suppress_red: bool = True,
    marks: bool = True,
    _axis: int | None = None,
    _timings: dict[str, float] | None = None,
    config: EngineConfig | None = None,
    triage_page: bool | str | None = None,
) -> OcrPage:
    """OCR one RGB page image in this process (orientation, skew, red suppression, marks).

    ``config`` chooses the engine variant (default :meth:`EngineConfig.from_env`). With
    ``triage_page`` (default: the variant's ``triage``) a blank page is not OCR'd and a photo page is
    read outside its photographs only (:mod:`extractors.triage`; ``OcrPage.skipped`` says which)."""
    if triage_page is None:
        triage_page = (config or EngineConfig.from_env()).triage
    timings = {} if _timings is None else _timings
    lap = _Laps(timings)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    original = image = np.ascontiguousarray(image, dtype=np.uint8)
    scale = 72.0 / dpi
    kind = "photo" if triage_page == "photo" else ""  # turned by a quarter and read again (already whitened)
    if triage_page is True and _axis is None:
        judged = triage.triage(image)
        lap("triage")
        if judged.kind == "blank":
            return OcrPage(width=round(image.shape[1] * scale, 2), height=round(image.shape[0] * scale, 2),
                           skipped="blank", timings=timings)
        if judged.kind == "photo":
            kind = "photo"
            if engine_name != "none":
                # the light pass: the blocks of ink outside the photographs on one strip (None: not
                # upright text, read below band by band on the whitened page, turned as any page)
                engine = ocr_engine.get_engine(engine_name, threads, config)
                try:
                    light = ocr_photo.read_outside_photos(image, judged, dpi, engine, engine_name, suppress_red, marks, lap)
                except Exception:  # noqa: BLE001 - the page is still read, the slower way; the log keeps the cause
                    log.warning("light pass over a photo page failed, reading it band by band", exc_info=True)
                    light = None
                if light is not None:
                    lines, found, confidence, skew = light
                    return OcrPage(lines=lines, confidence=confidence, marks=found, skew=skew, skipped="photo",
                                   width=round(image.shape[1] * scale, 2), height=round(image.shape[0] * scale, 2),
                                   timings=timings)
            original = image = triage.whiten(image, judged)
            lap("triage")
    red = vision.red_mask(image)
    ocr_input = vision.suppress_red(image, red) if suppress_red else image
    gray = cv2.cvtColor(ocr_input, cv2.COLOR_RGB2GRAY)
    lap("red")
    binary, _ = binary_small(gray, 1000)
    rotation = axis_of(binary) if _axis is None else _axis
    if rotation:
        image, red, binary = rotate(image, rotation), rotate(red, rotation), rotate(binary, rotation)
        ocr_input = rotate(ocr_input, rotation) if suppress_red else image
    skew = skew_of(binary)
    skew = skew if abs(skew) >= 0.15 else 0.0
    lap("geometry")
    h_px, w_px = image.shape[:2]
    page = OcrPage(rotation=rotation, skew=skew, width=round(w_px * scale, 2), height=round(h_px * scale, 2),
                   timings=timings, skipped=kind)
    results: list[tuple[np.ndarray, str, float, bool, Chars]] = []
    if engine_name != "none" and page.skipped == "photo":
        results = ocr_engine.run_bands(ocr_engine.get_engine(engine_name, threads, config), engine_name, ocr_input)
        lap("engine")
    elif engine_name != "none":
        engine = ocr_engine.get_engine(engine_name, threads, config)
        verdict = upside_down_lines(engine, ocr_input, binary, skew) if engine_name == "rapidocr" else None
        if verdict:
            # judged on a few text-line crops before detection, so a page scanned upside down (or
            # turned the other way round) is detected once, upright (the check after detection remains)
            page.rotation = (page.rotation + 180) % 360
            image, red = rotate(image, 180), rotate(red, 180)
            ocr_input = rotate(ocr_input, 180) if suppress_red else image
        lap("geometry")
        line_cls = verdict is None or getattr(engine, "line_cls", True)
        results, turn = ocr_engine.run_engine(engine, engine_name, ocr_input, vertical=_axis is None, flip=True,
                                               line_cls=line_cls)
        lap("engine")
        if turn == 90:
            return ocr_image(original, dpi, engine_name, threads, suppress_red, marks, (rotation + 90) % 180, timings,
                             config, kind or triage_page)
        if turn == 180:
            page.rotation = (page.rotation + 180) % 360
            image, red = rotate(image, 180), rotate(red, 180)
            ocr_input = rotate(ocr_input, 180) if suppress_red else image
            lap("geometry")
            results, _ = ocr_engine.run_engine(engine, engine_name, ocr_input)
            lap("engine")
    else:
        page.warning = "未启用文字识别（ASSISTANT_OCR_ENGINE=none），图像页未识别文字。"
    if engine_name != "none" and suppress_red:
        # a page number stamped in red faded with the seals: read from the page as it is
        results = results + ocr_stamps.new_ones(
            ocr_stamps.red_stamps(ocr_engine.get_engine(engine_name, threads, config), engine_name, image, dpi, red), results)
        lap("engine")
    if skew:
        # the engine read the page as it lies (its crops follow each tilted line); boxes are turned
        # into the frame of the straightened page, where characters, lines and marks are measured
        m = cv2.getRotationMatrix2D((w_px / 2, h_px / 2), -skew, 1.0)
        results = [(straighten(quad, m), text, score, flipped, [(c, sc, straighten(q, m)) for c, sc, q in chars])
                   for quad, text, score, flipped, chars in results]
        image, red = deskew(image, skew), deskew(red, skew, cv2.INTER_NEAREST)
    lap("geometry")
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    seals = None
    if results and vision.colourless(image):
        # a greyscale scan: a seal's strokes crossing the 落款 make its characters look tall, like
        # handwriting (on a colour page the red mask tells; here the seal's disc does)
        seals = vision.grey_seals(gray, dpi / 25.4)
    printed, written = classify_chars(image, red, results, scale, gray,
                                      sealed=seals.discs if seals is not None and seals.rings else None)
    page.lines = merge_lines(printed)
    page.confidence = text_confidence(page.lines)
    lap("lines")
    if marks and not (page.skipped == "photo" and not results):  # a photo page without a line: no slot to mark
        boxes = [pad_box(ln.bbox) for ln in page.lines]
        page.marks = vision.detect_marks(image, page.width, page.height, boxes if results else None, red=red, gray=gray,
                                         seals=seals)
        lap("marks")
    return page
