"""OCR of page images: RapidOCR (PP-OCR onnx models bundled in the wheel) by default.

Public API (called by the rest of extraction):

* :func:`ocr_pages` — RGB page images → :class:`OcrPage` (lines with boxes in PDF points
  of the de-rotated page, mean confidence, rotation and skew applied, visual marks).
* :func:`rasterize_pdf_page` — one PDF page → RGB array (pypdfium2).
* :func:`load_image_pages` — JPG / PNG / TIFF (multi-page) → RGB arrays, refusing
  decompression bombs; :func:`image_dpi` gives the resolution to convert pixels to points.

Per page: coarse orientation (90°/270° from projection profiles, 180° from the votes of
the text-direction classifier over the detected lines, both judged before recognition),
small skew (projection-profile search over ±5° on a ~1000 px copy), red ink suppressed in
the copy given to OCR (black text under a seal stays readable), OCR of the page as it lies
(the engine's crops follow each tilted line; recognising a straightened page cost ~7 %
more engine time), then the boxes are turned into the frame of the straightened page,
split into printed text and handwriting, and merged into lines by vertical overlap and
sorted left to right, so ``标签：值`` form rows and ``问：/答：`` lines stay whole.
``OcrPage.timings`` holds the CPU seconds of each stage (``bench/ocr_pages.py`` sums them).

Measured on a rendered 起诉书 page (``tests/ocr``): character accuracy 1.000 clean and
1.000 degraded (±1.7°, blur, noise, JPEG q55) at 150, 200 and 300 dpi; detection on a
1280 px long side instead of the full page cut detector time about 3× with no loss.

The engine variant (:class:`EngineConfig`) was chosen one step at a time with
``bench/ocr_pages.py --variants`` on 30 scanned pages of a generated dossier (CPU seconds per page
in one worker thread, character accuracy against the text layer the scan was made from): the int8
detector and recogniser kept in ``extractors/ocr_models`` (built offline from the wheel's PP-OCRv6
weights), the detector at 960 px, recogniser batches of 3 and the direction classifier only where
the page's orientation was not judged before detection cost 1.00 CPU-s/page against 2.18 for the
fp32 models at 1280 px, with accuracy 0.989 against 0.987. Before any of it, :mod:`extractors.triage`
judges the page image: a blank sheet is not OCR'd, a photo page is read outside its photographs only.
Under a semi-transparent red seal, fading the red (:func:`vision.suppress_red`) reads
the 检察官/date lines at 0.94 against 0.24 without.

Several pages run in worker processes (one engine loaded per worker by the pool
initializer, onnxruntime and OpenCV on one thread each so two workers do not oversubscribe
two cores); pages are streamed to them, at most two per worker in flight, PDF pages as
:class:`PdfPage` references that the worker rasterises itself. One page runs
in-process on all cores. Engines are cached per process.

A batch shares its OCR workers among all its dossiers: :func:`share_pages_with` hands every
later :func:`ocr_pages` call of the process to an executor of the caller's (the batch's
driver-side pool, or Ray actors), so the pages of two dossiers fill the same workers and no
core idles while one dossier's last pages are read. :func:`submit_page` is the pool side.

Printed/handwritten separation measures ink with the red mask grown by 2 px: the pink
fringe of a seal ring crossing a printed character used to make it look taller than the
body text, so it was dropped as handwriting (``审判员许婉婷`` read ``审员婉婷``, a false SG-008).
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import logging
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models import Line, Mark
from models.settings import Limits, OcrSettings

from extractors import triage, vision
from extractors.errors import FileReadError

log = logging.getLogger(__name__)

ENGINES = ("rapidocr", "paddleocr", "none")
DEFAULT_DPI = 200
#: Longest side (px) of the image lines are cropped from for recognition (≈ 205 dpi on A4).
MAX_SIDE = 2400
#: Longest side (px) the text detector works on by default; detection needs far less than recognition.
DET_SIDE = 960
MIN_LINE_SCORE = 0.5
DEFAULT_MAX_PIXELS = 80_000_000
A4_LONG_IN = 11.69


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


class OcrUnavailableError(FileReadError):
    """The configured OCR engine or its models cannot be loaded (message in Chinese)."""

    def __init__(self, message: str):
        super().__init__(message, code="ocr_unavailable")


# --------------------------------------------------------------------------- engines

#: The int8 detector and recogniser built from the wheel's fp32 models (``extractors/ocr_models``,
#: see ``build_int8.py`` there); the direction classifier is the wheel's own.
INT8_FILES = {"det": "PP-OCRv6_det_small.int8.onnx", "rec": "PP-OCRv6_rec_small.int8.onnx"}
MODEL_SETS = ("int8", "fp32")
BACKENDS = ("onnxruntime", "openvino")


@dataclass(frozen=True)
class EngineConfig:
    """How the RapidOCR engine runs; ``bench/ocr_pages.py --variants`` measures each choice.

    * ``models`` — ``int8``: the statically quantised detector and recogniser kept in
      ``extractors/ocr_models`` (built offline from the same weights); ``fp32``: the wheel's.
    * ``backend`` — ``onnxruntime`` or ``openvino`` (RapidOCR ≥ 3 runs either; ``openvino`` from PyPI).
    * ``det_side`` — longest side (px) of the image the detector sees; lines are still cropped for
      recognition from the page at full resolution (:data:`MAX_SIDE`).
    * ``rec_batch`` — line crops per recogniser call (a batch is padded to its widest crop).
    * ``line_cls`` — run the direction classifier on every detected line even when the page's
      orientation was already judged upright from a few line crops before detection.
    * ``triage`` — judge each page image first (:mod:`extractors.triage`): blank pages are not
      OCR'd, photo pages are read outside their photographs only.

    The default is the fastest variant whose character accuracy stayed within 0.5 point of the fp32
    models at 1280 px. ``ASSISTANT_OCR_MODELS`` and ``ASSISTANT_OCR_BACKEND`` override its models
    and runtime; ``ASSISTANT_OCR_VARIANT`` any field, for comparisons (``before`` is the engine as
    it ran before issue 20: ``models=fp32,det_side=1280,rec_batch=6,line_cls=1,triage=0``).
    """

    models: str = "int8"
    backend: str = "onnxruntime"
    det_side: int = DET_SIDE
    rec_batch: int = 3
    line_cls: bool = False
    triage: bool = True

    @classmethod
    def from_env(cls) -> "EngineConfig":
        fields: dict[str, Any] = {}
        env = OcrSettings()
        variant = env.variant.strip()
        if variant.lower() == "before":
            variant = "models=fp32,det_side=1280,rec_batch=6,line_cls=1,triage=0"
        for item in filter(None, (part.strip() for part in variant.split(","))):
            name, _, value = item.partition("=")
            kind = cls.__dataclass_fields__.get(name.strip())
            if kind is None:
                continue
            value = value.strip().lower()
            fields[name.strip()] = (value in ("1", "true", "yes", "on") if kind.type in ("bool", bool)
                                    else int(value) if kind.type in ("int", int) and value.isdigit() else value)
        for name, value in (("models", env.models), ("backend", env.backend)):
            if value.strip():
                fields[name] = value.strip().lower()
        if fields.get("models") not in (None, *MODEL_SETS):
            fields.pop("models")
        if fields.get("backend") not in (None, *BACKENDS):
            fields.pop("backend")
        fields = {k: v for k, v in fields.items() if not (isinstance(v, str) and k in ("det_side", "rec_batch"))}
        return cls(**fields)

    @property
    def label(self) -> str:
        return (f"{self.models}/{self.backend}/det{self.det_side}/batch{self.rec_batch}"
                f"/{'cls every line' if self.line_cls else 'cls when not judged'}/{'triage' if self.triage else 'no triage'}")


_ENGINES: dict[tuple[str, int, EngineConfig | None], Any] = {}


def bundled_model_paths(models: str = "fp32") -> dict[str, Path]:
    """The PP-OCR onnx files: the wheel's (``fp32``), or for ``int8`` the detector and recogniser
    kept in ``extractors/ocr_models`` with the wheel's classifier. Nothing is downloaded."""
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrUnavailableError("未安装文字识别组件 rapidocr，无法识别扫描页。请安装 rapidocr>=3.4。") from exc
    root = Path(rapidocr.__file__).resolve().parent / "models"
    paths = {
        "det": root / "PP-OCRv6_det_small.onnx",
        "rec": root / "PP-OCRv6_rec_small.onnx",
        "cls": root / "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    }
    if models == "int8":
        own = Path(__file__).resolve().parent / "ocr_models"
        paths.update({k: own / f for k, f in INT8_FILES.items()})
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise OcrUnavailableError(f"文字识别模型文件缺失：{'、'.join(missing)}（应随 rapidocr 安装包或本程序提供），无法识别扫描页。")
    return paths


def get_engine(name: str = "rapidocr", threads: int = 0, config: EngineConfig | None = None) -> Any:
    """The OCR engine of this process, loaded once per configuration (``threads`` 0 = the runtime's default).

    ``config`` defaults to :meth:`EngineConfig.from_env`. The int8 models fall back to the wheel's
    fp32 ones (logged) when they are missing, and OpenVINO to onnxruntime when it is not installed.
    """
    config = config or EngineConfig.from_env()
    key = (name, threads, config if name == "rapidocr" else None)
    if key in _ENGINES:
        return _ENGINES[key]
    if name == "rapidocr":
        try:
            paths = bundled_model_paths(config.models)
        except OcrUnavailableError:
            if config.models == "fp32":
                raise
            log.warning("int8 OCR models missing, using the fp32 models of the rapidocr wheel")
            paths = bundled_model_paths("fp32")
        from rapidocr import RapidOCR
        from rapidocr.utils.typings import EngineType

        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.max_side_len": MAX_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": config.det_side,
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            "Rec.rec_batch_num": config.rec_batch,
            "Cls.model_path": str(paths["cls"]),
        }
        backend = config.backend
        if backend == "openvino" and importlib.util.find_spec("openvino") is None:
            log.warning("openvino is not installed, OCR runs on onnxruntime")
            backend = "onnxruntime"
        if backend == "openvino":
            for part in ("Det", "Cls", "Rec"):
                params[f"{part}.engine_type"] = EngineType.OPENVINO
            if threads > 0:
                params["EngineConfig.openvino.inference_num_threads"] = threads
        elif threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        try:
            engine = RapidOCR(params=params)
            engine._load_det_model()
            engine._load_cls_model()
            engine._load_rec_model()
        except Exception as exc:  # corrupt model, incompatible onnxruntime
            log.warning("rapidocr failed to load", exc_info=True)
            raise OcrUnavailableError("文字识别引擎加载失败（模型文件损坏或运行库不兼容，详见服务日志）") from exc
        engine.line_cls = config.line_cls
    elif name == "paddleocr":
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise OcrUnavailableError(
                "已选择 paddleocr 识别引擎，但未安装 paddleocr/paddlepaddle。请安装，或将 ASSISTANT_OCR_ENGINE 设为 rapidocr。"
            ) from exc
        try:
            engine = PaddleOCR(use_angle_cls=True, lang="ch", show_log=False)
        except Exception as exc:
            log.warning("paddleocr failed to load", exc_info=True)
            raise OcrUnavailableError("paddleocr 识别引擎加载失败（模型需预先放在本机，详见服务日志）") from exc
    else:
        raise OcrUnavailableError(f"未知的文字识别引擎“{name}”，可选：rapidocr、paddleocr、none。")
    _ENGINES[key] = engine
    return engine


Chars = list[tuple[str, float, np.ndarray]]


def _run_engine(engine: Any, name: str, image: np.ndarray, vertical: bool = False, flip: bool = False,
                line_cls: bool = True) -> tuple[list[tuple[np.ndarray, str, float, bool, Chars]], int]:
    """Text boxes of one RGB image: ``(quad px, text, score, flipped-180, [(char, score, quad px)])``.

    The page's orientation is judged from the detector's boxes (``vertical``) and the
    direction classifier (``flip``) before recognition: when most text lines stand upright
    (the page lies on its side) or most are upside down, nothing is recognised and the
    second value is 90 or 180, so the caller turns the page and runs again without a
    wasted recognition pass. (Recognising the turned crops of an upside-down page instead
    of detecting again lost a line under a seal on a judgment's last page.) Otherwise 0.
    ``line_cls`` False skips the direction classifier on the lines (the page was judged upright).
    """
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if name == "paddleocr":
        result = engine.ocr(bgr, cls=True) or []
        page = result[0] if result and isinstance(result[0], list) else result
        out = []
        for box, (txt, score) in page or []:
            quad = np.asarray(box, float)
            out.append((quad, txt, float(score), False, _even_chars(quad, txt, float(score))))
        return out, (90 if vertical and _mostly_vertical(out) else 0)
    from rapidocr.main import RapidOCRError
    from rapidocr.utils.process_img import map_boxes_to_original

    engine.return_word_box = True
    engine.return_single_char_box = True
    img, op_record = engine.preprocess_img(bgr)
    try:
        crops, det_res = engine.detect_and_crop(img, op_record)
    except RapidOCRError:
        return [], 0
    if vertical and _vertical_boxes(det_res.boxes):
        return [], 90
    labels: list = [("0", 0.0)] * len(crops)
    if engine.use_cls and line_cls:
        try:
            crops_up, cls_res = engine.cls_and_rotate(crops)
        except RapidOCRError:
            return [], 0
        labels = list(cls_res.cls_res) if cls_res.cls_res is not None else labels
    else:
        crops_up = crops
    flags = ["180" in str(label) and score > 0.9 for label, score in labels]
    if flip and _upside_down(det_res.boxes, flags):
        return [], 180
    try:
        rec_res = engine.recognize_txt(crops_up)
    except RapidOCRError:
        return [], 0
    pre = op_record["preprocess"]
    sizes = [(round(c.shape[0] * pre["ratio_h"]), round(c.shape[1] * pre["ratio_w"])) for c in crops]
    boxes = map_boxes_to_original(det_res.boxes, op_record, bgr.shape[0], bgr.shape[1])
    out = []
    for k, (box, txt, score) in enumerate(zip(boxes, rec_res.txts, rec_res.scores)):
        if _swallowed(crops[k], txt, score):
            # read the parts as the page lies (it is upright by now; a stroke-heavy crop can fool
            # the direction classifier into turning it)
            out.extend(_read_parts(engine, crops[k], np.asarray(box, float)))
            continue
        if not txt.strip() or score < MIN_LINE_SCORE:
            continue
        quad = np.asarray(box, float)
        info = rec_res.word_results[k] if rec_res.word_results else None
        try:
            chars = _char_boxes(engine.cal_rec_boxes, sizes[k], quad, txt, info)
        except Exception:  # char boxes are a refinement; fall back to even spacing
            chars = []
        out.append((quad, txt.strip(), float(score), flags[k], chars or _even_chars(quad, txt.strip(), float(score))))
    return out, 0


#: A line read with less confidence than this, and far fewer characters than its box holds, is
#: read again in parts (a label and the signature beside it detected as one box).
SWALLOW_SCORE = 0.8


def _swallowed(crop: np.ndarray, text: str, score: float) -> bool:
    """The recogniser gave a short, unsure text for a long horizontal box: on a form this is a
    printed label and a handwritten signature next to it detected as one line, read as a
    letter or two (``讯问人：`` + strokes → ``Y``)."""
    h, w = crop.shape[:2]
    return score < SWALLOW_SCORE and w > 2 * h and len(text.strip()) * 1.6 * h < w


def _read_parts(engine: Any, crop: np.ndarray, quad: np.ndarray) -> list[tuple[np.ndarray, str, float, bool, Chars]]:
    """Read a swallowed line again as a printed label and what follows it.

    The crop is cut at gaps in its ink; the recogniser reads the prefixes ending at each gap
    (one batch) and the first that reads confidently as a label ending in a colon is kept,
    with its box cut from ``quad`` in proportion. The rest is read too and kept only when
    it reads confidently (printed text); pen strokes are dropped and left to mark detection.
    """
    h, w = crop.shape[:2]
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    runs = vision._runs(ink.sum(axis=0) > 1, max(2, int(0.2 * h)))
    cuts = [(runs[i][1], runs[i + 1][0]) for i in range(len(runs) - 1)][:12]
    if not cuts:
        return []
    pad = max(2, h // 10)
    try:
        res = engine.recognize_txt([np.ascontiguousarray(crop[:, :min(w, end + pad)]) for end, _ in cuts])
        label = next(((end, nxt, t.strip(), float(sc)) for (end, nxt), t, sc in zip(cuts, res.txts, res.scores)
                      if t.strip()[-1:] in ("：", ":") and len(t.strip()) >= 2 and sc >= SWALLOW_SCORE), None)
        if label is None:
            return []
        end, nxt, text, score = label
        parts = [(0, end, text, score)]
        rest = engine.recognize_txt([np.ascontiguousarray(crop[:, max(0, nxt - pad):])])
        t, sc = rest.txts[0].strip(), float(rest.scores[0])
        scrawl = len(t) == 1 and t.isascii()  # pen strokes read as one letter (``w``), however sure
        if t and sc >= SWALLOW_SCORE and not scrawl and not _swallowed(crop[:, nxt:], t, sc):
            parts.append((nxt, w, t, sc))
    except Exception:  # noqa: BLE001 - an unreadable line is left to mark detection
        return []
    out = []
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    for a, b, t, sc in parts:
        f0, f1 = a / w, b / w
        sub = np.array([quad[0] + f0 * top, quad[0] + f1 * top, quad[3] + f1 * bottom, quad[3] + f0 * bottom])
        out.append((sub, t, sc, False, _even_chars(sub, t, sc)))
    return out


def _char_boxes(cal: Any, size: tuple[int, int], quad: np.ndarray, text: str, info: Any) -> Chars:
    """Character boxes (page px) of one recognised line, from the recogniser's CTC columns.

    Uses RapidOCR's own column-to-cell computation (``CalRecBoxes``); the cells are mapped
    back from the upright crop to the page with one perspective transform for the whole
    line (RapidOCR maps point by point and re-orders each quad, which cost more than the
    rest of the per-page analysis). Vertical boxes go through RapidOCR's own mapping.
    """
    if info is None or not text:
        return []
    h, w = size
    if h <= 0 or w <= 0:
        return []
    contents, cells, confs = cal.cal_ocr_word_box(text, np.array([[0, 0], [w, 0], [w, h], [0, h]]), info, True)
    if not cells:
        return []
    cells = cal.adjust_box_overlap([[list(pt) for pt in cell] for cell in cells])
    box = quad.astype(np.float32)
    direction = cal.get_box_direction(box)
    if direction.value != "horizontal_direct":
        mapped = cal.reverse_rotate_crop_image(box.copy(), cells, direction)
        return [(c, float(sc), np.asarray(q, float)) for c, sc, q in zip(contents, confs, mapped) if c.strip()]
    left, top = np.floor(box[:, 0].min()), np.floor(box[:, 1].min())
    local = box - np.array([left, top], np.float32)
    cw = int(np.linalg.norm(local[0] - local[1]))
    ch = int(np.linalg.norm(local[0] - local[3]))
    std = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    inverse = cv2.getPerspectiveTransform(std, local)
    pts = cv2.perspectiveTransform(np.asarray(cells, np.float32).reshape(-1, 1, 2), inverse).reshape(-1, 4, 2)
    pts = np.trunc(pts + np.array([left, top], np.float32))
    return [(c, float(sc), q.astype(float)) for c, sc, q in zip(contents, confs, pts) if c.strip()]


def _vertical_boxes(boxes: np.ndarray | None) -> bool:
    """Most elongated detector boxes (text lines of ≥ 3 characters) stand upright."""
    if boxes is None or not len(boxes):
        return False
    b = np.asarray(boxes, float)
    w = b[:, :, 0].max(axis=1) - b[:, :, 0].min(axis=1)
    h = b[:, :, 1].max(axis=1) - b[:, :, 1].min(axis=1)
    long_ = np.maximum(w, h) >= 2.5 * np.maximum(np.minimum(w, h), 1.0)
    tall = (h > 1.5 * w)[long_]
    return len(tall) >= 3 and tall.sum() > 0.6 * len(tall)


def _upside_down(boxes: np.ndarray, flags: list[bool]) -> bool:
    """The direction classifier finds most text lines (boxes ≥ 2 characters long) upside down."""
    if not flags:
        return False
    b = np.asarray(boxes, float)
    w = b[:, :, 0].max(axis=1) - b[:, :, 0].min(axis=1)
    h = b[:, :, 1].max(axis=1) - b[:, :, 1].min(axis=1)
    lines = np.maximum(w, h) >= 2.0 * np.maximum(np.minimum(w, h), 1.0)
    f = np.asarray(flags, bool)
    if lines.sum() >= 3:
        f = f[lines]
    return bool(f.sum() > 0.6 * len(f))


def _even_chars(quad: np.ndarray, text: str, score: float) -> Chars:
    """Char boxes spread evenly over a line box (when the engine gives none)."""
    text = text.replace(" ", "")
    x0, x1 = quad[:, 0].min(), quad[:, 0].max()
    y0, y1 = quad[:, 1].min(), quad[:, 1].max()
    step = (x1 - x0) / max(len(text), 1)
    return [(c, score, np.array([[x0 + i * step, y0], [x0 + (i + 1) * step, y0], [x0 + (i + 1) * step, y1], [x0 + i * step, y1]]))
            for i, c in enumerate(text)]


# --------------------------------------------------------------------------- geometry


def _binary_small(gray: np.ndarray, target: int = 1000) -> tuple[np.ndarray, float]:
    """Ink (1) / paper (0) of ``gray`` shrunk by a whole factor to about ``target`` px (fast area averaging)."""
    k = max(1, int(round(max(gray.shape) / target)))
    small = cv2.resize(gray, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA) if k > 1 else gray
    _, binary = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return binary, 1.0 / k


def _profile_score(binary: np.ndarray, axis: int) -> float:
    prof = binary.sum(axis=axis, dtype=np.float64)
    return float(np.square(np.diff(prof)).sum())


def detect_axis_rotation(gray: np.ndarray) -> int:
    """0 when text lines run horizontally, 90 when they run vertically (page turned)."""
    return _axis_of(_binary_small(gray, 800)[0])


def _axis_of(binary: np.ndarray) -> int:
    """90 when the column profile is the sharper one; a landscape page (dossier pages are
    portrait A4, so it most likely lies on its side) needs less of a margin."""
    if binary.mean() < 0.002:
        return 0
    rows = _profile_score(binary, 1)
    cols = _profile_score(binary, 0)
    h, w = binary.shape
    return 90 if cols > rows * (1.05 if w > 1.2 * h else 1.3) else 0


def estimate_skew(gray: np.ndarray, limit: float = 5.0) -> float:
    """Skew angle (degrees, counter-clockwise positive) by projection-profile search.

    The ink pixels of a ~1000 px binary copy are rotated as points and binned into rows
    (the same profile as rotating the image, without warping it for every angle): coarse
    0.5° steps over ±``limit``, then 0.1° steps around the best.
    """
    return _skew_of(_binary_small(gray, 1000)[0], limit)


def _skew_of(binary: np.ndarray, limit: float = 5.0) -> float:
    """Skew of a small ink mask: coarse 0.5° steps on every other row and column, then 0.1° steps on all of it."""
    if binary.mean() < 0.002:
        return 0.0
    coarse = np.arange(-limit, limit + 1e-6, 0.5)
    best = max(coarse, key=_profile_at(binary[::2, ::2]))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1)
    best = max(fine, key=_profile_at(binary))
    return float(round(-best, 2))


def _profile_at(binary: np.ndarray) -> Any:
    """Sharpness of the row profile of ``binary`` rotated by an angle (its ink pixels rotated as points)."""
    h, w = binary.shape
    ys, xs = np.nonzero(binary)
    xs = xs.astype(np.float32)
    ys = ys.astype(np.float32)
    centre = (w / 2, h / 2)

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        x = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        y = np.rint(m[1, 0] * xs + m[1, 1] * ys + m[1, 2])
        inside = (x > -0.5) & (x < w - 0.5) & (y >= 0) & (y < h)
        prof = np.bincount(y[inside].astype(np.intp), minlength=h).astype(np.float64)
        return float(np.square(np.diff(prof)).sum())

    return score


def _straighten(quad: np.ndarray, m: np.ndarray) -> np.ndarray:
    """A box (quad, corners from top-left) of the tilted page as an upright box of the
    straightened page: its centre mapped by the 2 × 3 rotation ``m``, its height that of the
    line inside it, its width that of the mapped corners (a mapped box would be tilted and
    reach into the rows above and below its line)."""
    q = np.asarray(quad, float)
    p = q @ m[:, :2].T + m[:, 2]
    cy = float(p[:, 1].mean())
    height = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    # a box drawn level around a tilted line is taller than the line by its width × the tilt left after mapping
    width = float(np.linalg.norm(p[1] - p[0]))
    tilt = abs(float(p[1, 1] - p[0, 1])) / max(width, 1.0)
    half = max(height - width * tilt, 0.6 * height) / 2
    x0, x1 = float(p[:, 0].min()), float(p[:, 0].max())
    return np.array([[x0, cy - half], [x1, cy - half], [x1, cy + half], [x0, cy + half]])


#: Line crops shown to the direction classifier before detection, and the votes needed to turn a page.
ORIENTATION_CROPS = 8
ORIENTATION_VOTES = 3


def _line_crops(image: np.ndarray, binary: np.ndarray, skew: float, limit: int = ORIENTATION_CROPS) -> list[np.ndarray]:
    """Up to ``limit`` BGR crops of text lines (each a run of characters about four line
    heights long), cut straight from the page: the lines are found in the row profile of the
    small ink mask turned level by ``skew``; each crop is one small affine warp of the page."""
    h, w = binary.shape
    k = image.shape[0] / h
    level = cv2.warpAffine(binary, cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0), (w, h), flags=cv2.INTER_NEAREST)
    rows = level.sum(axis=1) > max(3, 0.01 * w)
    bands = [(a, b) for a, b in vision._runs(rows, 1) if 4 <= b - a <= 40]
    found: list[tuple[int, int, int, int, int]] = []
    for a, b in bands:
        lh = b - a
        cols = level[a:b].sum(axis=0) > 0
        runs = [(x0, x1) for x0, x1 in vision._runs(cols, lh) if x1 - x0 >= 2 * lh]
        if runs:
            x0, x1 = max(runs, key=lambda r: r[1] - r[0])
            found.append((x1 - x0, x0, a, min(x1, x0 + 5 * lh), b))
    found.sort(reverse=True)
    picked = sorted(found[: limit * 2], key=lambda f: f[2])[:: 2] if len(found) > limit else found
    big = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), -skew, 1.0)
    crops = []
    for _, x0, y0, x1, y1 in picked[:limit]:
        pad = 0.25 * (y1 - y0)
        X0, Y0 = (x0 - pad) * k, (y0 - pad) * k
        size = (int((x1 - x0 + 2 * pad) * k), int((y1 - y0 + 2 * pad) * k))
        m = big.copy()
        m[:, 2] -= (X0, Y0)
        crop = cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        crops.append(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    return crops


def _upside_down_lines(engine: Any, image: np.ndarray, binary: np.ndarray, skew: float) -> bool | None:
    """The direction classifier's verdict on a few text-line crops: True when most are upside
    down, False when at least :data:`ORIENTATION_VOTES` are confidently upright and none upside
    down (the page's orientation is judged: its lines need no classifier of their own), else None."""
    if not getattr(engine, "use_cls", False):
        return None
    crops = _line_crops(image, binary, skew)
    if len(crops) < ORIENTATION_VOTES:
        return None
    try:
        _, res = engine.cls_and_rotate(crops)
    except Exception:  # noqa: BLE001 - no verdict: the check after detection still turns the page
        return None
    labels = list(res.cls_res) if res.cls_res is not None else []
    flipped = sum("180" in str(label) and score > 0.9 for label, score in labels)
    upright = sum("180" not in str(label) and score > 0.9 for label, score in labels)
    if flipped >= ORIENTATION_VOTES and flipped > 2 * upright:
        return True
    return False if upright >= ORIENTATION_VOTES and not flipped else None


_CV_TURNS = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate clockwise by ``rotation`` degrees (0/90/180/270); OpenCV for 8-bit images (a
    20th of the time of a contiguous ``np.rot90`` copy of a 200-dpi page)."""
    k = (rotation // 90) % 4
    if not k:
        return image
    if image.dtype == np.uint8:
        return cv2.rotate(np.ascontiguousarray(image), _CV_TURNS[k])
    return np.ascontiguousarray(np.rot90(image, k=-k))


def _deskew(image: np.ndarray, angle: float, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)


def merge_lines(chars: list[tuple[tuple[float, float, float, float], str, float]], gap_factor: float = 2.5) -> list[Line]:
    """Group character boxes ``(bbox, char, score)`` into rows by vertical centre, sort each
    row left→right, and split it into segments at gaps wider than ``gap_factor`` characters
    (as the text layer does: ``标签：值`` stays one line, far-apart fields become two)."""
    if not chars:
        return []
    items = sorted(chars, key=lambda c: ((c[0][1] + c[0][3]) / 2, c[0][0]))
    rows: list[list[tuple[tuple[float, float, float, float], str, float]]] = []
    row_y, row_h = -1e9, 0.0
    for item in items:
        (x0, y0, x1, y1) = item[0]
        yc, h = (y0 + y1) / 2, max(y1 - y0, 1.0)
        if rows and abs(yc - row_y) <= 0.45 * max(row_h, h):
            rows[-1].append(item)
            row_y += (yc - row_y) / len(rows[-1])
        else:
            rows.append([item])
            row_y, row_h = yc, h
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda c: c[0][0])
        unit = float(np.median([max(c[0][3] - c[0][1], 1.0) for c in row])) * 0.8
        seg = [row[0]]
        for prev, cur in zip(row, row[1:]):
            if cur[0][0] - prev[0][2] > gap_factor * max(unit, 3.0):
                lines.append(_segment(seg, unit))
                seg = [cur]
            else:
                seg.append(cur)
        lines.append(_segment(seg, unit))
    lines.sort(key=lambda ln: (round((ln.bbox[1] + ln.bbox[3]) / 2), ln.bbox[0]))
    return lines


def _segment(seg: list[tuple[tuple[float, float, float, float], str, float]], unit: float) -> Line:
    text = seg[0][1]
    for prev, cur in zip(seg, seg[1:]):
        if cur[0][0] - prev[0][2] > 0.8 * max(unit, 3.0) and (prev[1].isascii() or cur[1].isascii()):
            text += " "
        text += cur[1]
    bbox = (min(c[0][0] for c in seg), min(c[0][1] for c in seg), max(c[0][2] for c in seg), max(c[0][3] for c in seg))
    conf = sum(c[2] for c in seg) / len(seg)
    return Line(text=text, bbox=tuple(round(v, 1) for v in bbox), confidence=round(conf, 4))


# --------------------------------------------------------------------------- one page


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
            original = image = triage.whiten(image, judged)
            lap("triage")
    red = vision.red_mask(image)
    ocr_input = vision.suppress_red(image, red) if suppress_red else image
    gray = cv2.cvtColor(ocr_input, cv2.COLOR_RGB2GRAY)
    lap("red")
    binary, _ = _binary_small(gray, 1000)
    rotation = _axis_of(binary) if _axis is None else _axis
    if rotation:
        image, red, binary = _rotate(image, rotation), _rotate(red, rotation), _rotate(binary, rotation)
        ocr_input = _rotate(ocr_input, rotation) if suppress_red else image
    skew = _skew_of(binary)
    skew = skew if abs(skew) >= 0.15 else 0.0
    lap("geometry")
    h_px, w_px = image.shape[:2]
    page = OcrPage(rotation=rotation, skew=skew, width=round(w_px * scale, 2), height=round(h_px * scale, 2),
                   timings=timings, skipped=kind)
    results: list[tuple[np.ndarray, str, float, bool, Chars]] = []
    if engine_name != "none" and page.skipped == "photo":
        results = _run_bands(get_engine(engine_name, threads, config), engine_name, ocr_input)
        lap("engine")
    elif engine_name != "none":
        engine = get_engine(engine_name, threads, config)
        verdict = _upside_down_lines(engine, ocr_input, binary, skew) if engine_name == "rapidocr" else None
        if verdict:
            # judged on a few text-line crops before detection, so a page scanned upside down (or
            # turned the other way round) is detected once, upright (the check after detection remains)
            page.rotation = (page.rotation + 180) % 360
            image, red = _rotate(image, 180), _rotate(red, 180)
            ocr_input = _rotate(ocr_input, 180) if suppress_red else image
        lap("geometry")
        line_cls = verdict is None or getattr(engine, "line_cls", True)
        results, turn = _run_engine(engine, engine_name, ocr_input, vertical=_axis is None, flip=True, line_cls=line_cls)
        lap("engine")
        if turn == 90:
            return ocr_image(original, dpi, engine_name, threads, suppress_red, marks, (rotation + 90) % 180, timings,
                             config, kind or triage_page)
        if turn == 180:
            page.rotation = (page.rotation + 180) % 360
            image, red = _rotate(image, 180), _rotate(red, 180)
            ocr_input = _rotate(ocr_input, 180) if suppress_red else image
            lap("geometry")
            results, _ = _run_engine(engine, engine_name, ocr_input)
            lap("engine")
    else:
        page.warning = "未启用文字识别（ASSISTANT_OCR_ENGINE=none），图像页未识别文字。"
    if skew:
        # the engine read the page as it lies (its crops follow each tilted line); boxes are turned
        # into the frame of the straightened page, where characters, lines and marks are measured
        m = cv2.getRotationMatrix2D((w_px / 2, h_px / 2), -skew, 1.0)
        results = [(_straighten(quad, m), text, score, flipped, [(c, sc, _straighten(q, m)) for c, sc, q in chars])
                   for quad, text, score, flipped, chars in results]
        image, red = _deskew(image, skew), _deskew(red, skew, cv2.INTER_NEAREST)
    lap("geometry")
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    printed, written = classify_chars(image, red, results, scale, gray)
    page.lines = merge_lines(printed)
    if page.lines:
        total = sum(len(ln.text) for ln in page.lines) or 1
        page.confidence = round(sum(ln.confidence * len(ln.text) for ln in page.lines) / total, 4)
    lap("lines")
    if marks and not (page.skipped == "photo" and not results):  # a photo page without a line: no slot to mark
        boxes = [_pad(ln.bbox) for ln in page.lines]
        page.marks = vision.detect_marks(image, page.width, page.height, boxes if results else None, red=red, gray=gray)
        lap("marks")
    return page


#: A character whose ink stands this much above the page's body text is handwriting.
HANDWRITING_HEIGHT = 1.3
#: Ink share of a character cell under red ink above which it is a black character under a seal.
SEALED_INK = 0.08
#: Blue-over-red excess (0–255) of a character's darkest ink, above the page's printed text,
#: that marks pen ink (blue/black ballpoint) rather than toner.
PEN_BLUE = 8.0


def classify_chars(
    image: np.ndarray, red: np.ndarray, results: list, scale: float, gray: np.ndarray | None = None
) -> tuple[list[tuple[tuple[float, float, float, float], str, float]], list[tuple[tuple[float, float, float, float], str, float]]]:
    """Split recognised characters into printed text and handwriting.

    Each character's ink is measured inside its column of the line box. Printed body
    text shares one ink height and is neutral black; a name signed large, or pen strokes
    read as letters, stand well above it (:data:`HANDWRITING_HEIGHT`), and ballpoint ink
    is bluer than toner (:data:`PEN_BLUE`). Lines set entirely in a larger size and
    centred (titles) stay printed. Printed boxes come back in points, each spanning its
    line's printed ink height so punctuation stays on its row. ``gray`` is the page in
    grey when the caller has it already.
    """
    if not results:
        return [], []
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if gray is None else gray.copy()
    near_red = None
    if cv2.countNonZero(red):
        near_red = cv2.dilate(red, np.ones((5, 5), np.uint8))
        gray[near_red > 0] = 255
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # a form's ruled line under a row would stretch every character's ink down to it
    ink = (vision.without_rules(ink * 255, 1.0 / (scale * 25.4 / 72.0)) > 0).astype(np.uint8)
    h_px, w_px = ink.shape
    measured = []
    for quad, _, _, _, chars in results:
        ly0, ly1 = int(max(quad[:, 1].min(), 0)), int(min(quad[:, 1].max() + 1, h_px))
        row = []
        for ch, score, q in chars:
            x0, x1 = int(max(q[:, 0].min(), 0)), int(min(q[:, 0].max() + 1, w_px))
            cell = ink[ly0:ly1, x0:x1] if x1 > x0 and ly1 > ly0 else np.zeros((0, 0), np.uint8)
            rows = _glyph_rows(cell) if cell.size else np.array([], int)
            if rows.size:
                top, bottom = ly0 + int(rows[0]), ly0 + int(rows[-1]) + 1
                g = gray[ly0:ly1, x0:x1]
                on = cell > 0
                vals = g[on]
                k = int(0.3 * (vals.size - 1))
                core = on & (g <= np.partition(vals, k)[k])  # = np.percentile(vals, 30) on integers
                rgb = image[ly0:ly1, x0:x1][core]
                tint = float(rgb[:, 2].mean()) - float(rgb[:, 0].mean())
            else:
                top, bottom, tint = ly0, ly1, 0.0
            # a black character under a seal: seal ink the red mask misses stretches its ink upwards
            # (the seal's own red characters leave only sparse traces once red is whitened)
            sealed = (near_red is not None and rows.size > 0 and bool(near_red[ly0:ly1, x0:x1].any())
                      and float(cell.mean()) >= SEALED_INK)
            row.append((ch, score, x0, top, x1, bottom, tint, sealed))
        measured.append((quad, row))
    cjk = [r[5] - r[3] for _, row in measured for r in row if "\u4e00" <= r[0] <= "\u9fff"]
    body = float(np.median(cjk)) if cjk else float(np.median([r[5] - r[3] for _, row in measured for r in row] or [1.0]))
    page_tint = float(np.median([r[6] for _, row in measured for r in row]))
    printed: list = []
    written: list = []
    for quad, row in measured:
        if not row:
            continue
        heights = np.array([r[5] - r[3] for r in row], float)
        tail = _written_tail(row, heights)
        centre = (quad[:, 0].min() + quad[:, 0].max()) / 2
        title = (len(row) <= 15 and float(np.median(heights)) > 1.25 * body
                 and abs(centre - w_px / 2) < 0.08 * w_px and float(np.min(heights)) > 0.9 * body)
        keep = []
        for i, (r, hgt) in enumerate(zip(row, heights)):
            ch, score, x0, top, x1, bottom, tint, sealed = r
            if score < MIN_LINE_SCORE:
                continue
            high = hgt > HANDWRITING_HEIGHT * body and not sealed
            if not title and (i >= tail or high or tint - page_tint > PEN_BLUE):
                written.append(((x0 * scale, top * scale, x1 * scale, bottom * scale), ch, score))
            else:
                keep.append(r)
        tall = [r for r in keep if r[5] - r[3] >= 0.6 * body] or keep
        if not keep:
            continue
        top = float(np.median([r[3] for r in tall]))
        bottom = float(np.median([r[5] for r in tall]))
        for ch, score, x0, _, x1, *_ in keep:
            printed.append(((x0 * scale, top * scale, x1 * scale, bottom * scale), ch, score))
    return printed, written


def _glyph_rows(cell: np.ndarray) -> np.ndarray:
    """Rows of a character cell with ink, less thin strokes at its top or bottom edge set apart
    from the glyph by white rows: a form's ruled line the scan broke into pieces (too short to be
    taken out as a rule) would make a printed character look tall, i.e. handwritten."""
    rows = np.flatnonzero(cell.any(axis=1))
    if rows.size < 3:
        return rows
    thin = max(2, int(0.1 * cell.shape[0]))
    breaks = np.flatnonzero(np.diff(rows) > 1)
    runs = np.split(rows, breaks + 1)
    while len(runs) > 1 and len(runs[0]) <= thin and runs[0][0] <= thin:
        runs = runs[1:]
    while len(runs) > 1 and len(runs[-1]) <= thin and runs[-1][-1] >= cell.shape[0] - 1 - thin:
        runs = runs[:-1]
    return np.concatenate(runs)


def _written_tail(row: list, heights: np.ndarray) -> int:
    """Index where a handwritten entry after a printed label (``签名：`` + name) starts, else len(row).

    The entry after the last colon counts as handwritten when its ink is taller or bluer
    than the label's (a signature read by OCR in the same box as its label).
    """
    cut = max((i for i, r in enumerate(row) if r[0] in "：:"), default=-1)
    if cut < 1 or cut >= len(row) - 1:
        return len(row)
    head = [r for r in row[:cut] if "\u4e00" <= r[0] <= "\u9fff"]
    tail = [r for r in row[cut + 1:] if "\u4e00" <= r[0] <= "\u9fff"]
    if not head or not tail or len(tail) > 6:
        return len(row)
    h_head = float(np.median([r[5] - r[3] for r in head]))
    h_tail = float(np.median([r[5] - r[3] for r in tail]))
    t_head = float(np.median([r[6] for r in head]))
    t_tail = float(np.median([r[6] for r in tail]))
    if h_tail > 1.15 * h_head or t_tail - t_head > 3.0:
        return cut + 1
    return len(row)


def _pad(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A printed line's box grown by a little so glyph ink at its edges is covered."""
    h = bbox[3] - bbox[1]
    return (bbox[0] - 0.35 * h, bbox[1] - 0.2 * h, bbox[2] + 0.35 * h, bbox[3] + 0.2 * h)


def _run_bands(engine: Any, name: str, image: np.ndarray) -> list[tuple[np.ndarray, str, float, bool, Chars]]:
    """Read the bands of ink of a page whose photographs were whitened, each on its own (the
    detector's cost follows the area it sees: a caption strip costs a fraction of a page)."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    pad = max(4, image.shape[0] // 200)
    out: list[tuple[np.ndarray, str, float, bool, Chars]] = []
    for y0, y1 in triage.bands(gray):
        top, bottom = max(0, y0 - pad), min(image.shape[0], y1 + pad)
        found, _ = _run_engine(engine, name, np.ascontiguousarray(image[top:bottom]))
        shift = np.array([0.0, float(top)])
        out.extend((quad + shift, text, score, flipped, [(c, sc, q + shift) for c, sc, q in chars])
                   for quad, text, score, flipped, chars in found)
    return out


def _mostly_vertical(results: list) -> bool:
    """True when most multi-character boxes are much taller than wide (page lies on its side)."""
    sized = []
    for quad, text, *_ in results:
        if len(text) >= 3:
            w = float(quad[:, 0].max() - quad[:, 0].min())
            h = float(quad[:, 1].max() - quad[:, 1].min())
            sized.append(h > 1.5 * w)
    return len(sized) >= 3 and sum(sized) > 0.6 * len(sized)


# --------------------------------------------------------------------------- many pages

_POOL: tuple[tuple[str, int], ProcessPoolExecutor] | None = None
#: Seconds spent per stage over all pages OCR'd by :func:`ocr_pages` in this process's calls
#: (measured where each page ran); the benchmark reads it to show where the time goes.
STAGE_SECONDS: dict[str, float] = {}


#: Seconds between two checks of an OCR worker that its parent is still alive.
PARENT_POLL_S = 0.5


def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as its parent is gone (``kill -9`` of the server, the scan
    worker, or the CLI): an orphaned worker holds ~400 MB and the multiprocessing resource
    tracker's pipe. Polling ``getppid`` works whichever thread started the pool (Linux's
    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked exits, which a pool started
    from a short-lived thread would suffer)."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(engine_name: str, parent: int | None = None) -> None:
    if parent is not None:
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    if engine_name != "none":
        try:
            get_engine(engine_name, 1)
        except OcrUnavailableError:
            pass


@dataclass(frozen=True)
class PdfPage:
    """One page of a PDF (0-based ``index``), rasterised by whoever OCRs it.

    Handing workers this reference instead of the page image keeps the rasterising in the
    worker processes (in parallel) and spares pickling ~12 MB per page through a pipe.
    """

    path: Path
    index: int
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class ImageFrame:
    """Frame ``index`` (0-based) of an image file, decoded by whoever OCRs it.

    ``width_pt`` is the page width in points that ingest gave the page; the resolution
    used to turn pixels into points follows from the decoded frame's width. Loose image
    files of a dossier (photographed 送达回证, one JPG per page) are handed to the worker
    pool together as these references, so they are decoded and OCR'd in parallel.
    """

    path: Path
    index: int
    width_pt: float
    max_pixels: int


PageSource = np.ndarray | PdfPage | ImageFrame


def _load_frame(source: ImageFrame) -> tuple[np.ndarray, int]:
    """Frame ``source.index`` decoded on its own (seeking to it: a multi-frame TIFF costs
    linear time, not quadratic) and the resolution that maps its pixels to points."""
    from extractors.images import frame_at

    frame = frame_at(source.path, source.index, source.max_pixels)
    dpi = int(round(frame.shape[1] / (source.width_pt / 72.0))) if source.width_pt else DEFAULT_DPI
    return frame, max(dpi, 1)


def _worker_page(args: tuple[PageSource, int, str, bool]) -> OcrPage:
    source, dpi, engine_name, suppress = args
    return _safe_page(source, dpi, engine_name, 1, suppress)


#: ``(page source, dpi, engine name, suppress red)``: one page's OCR job, as workers take it.
PageJob = tuple[PageSource, int, str, bool]


class PageExecutor:
    """Where :func:`ocr_pages` sends pages when a batch shares its OCR workers.

    ``submit(job)`` takes a :data:`PageJob` and returns an object whose ``result()`` gives the
    :class:`OcrPage` (or raises; the page is then read in this process); ``slots`` is how many
    pages the executor works on at once (each caller keeps at most two per slot in flight).
    """

    slots: int = 1

    def submit(self, job: PageJob) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


_SHARED: PageExecutor | None = None


def share_pages_with(executor: PageExecutor | None) -> None:
    """OCR the pages of every later :func:`ocr_pages` call in this process on ``executor``
    instead of a pool of this process's own (``None``: back to the process's own pool)."""
    global _SHARED
    _SHARED = executor


def submit_page(job: PageJob, workers: int) -> Any:
    """The pool side of a shared executor: run ``job`` on this process's pool of ``workers``
    OCR processes (started on first use, kept between calls; :func:`shutdown_pool` stops it)."""
    return _pool(job[2], max(1, workers)).submit(_worker_page, job)


def ocr_one(job: PageJob) -> OcrPage:
    """One page's OCR in this process (an OCR actor's or worker's call); never raises for a bad page."""
    return _worker_page(job)


def _safe_page(source: PageSource, dpi: int, engine_name: str, threads: int, suppress: bool) -> OcrPage:
    try:
        t = time.process_time()
        if isinstance(source, ImageFrame):
            image, dpi = _load_frame(source)
        elif isinstance(source, PdfPage):
            image, dpi = rasterize_pdf_page_at(source.path, source.index, dpi, source.max_pixels)
        elif hasattr(source, "rasterize"):  # a page of another fixed-layout format (extractors.ofd.OfdPageSource)
            image = source.rasterize(dpi)
        else:
            image = source
        timings = {"raster": time.process_time() - t} if not isinstance(source, np.ndarray) else {}
        return ocr_image(image, dpi=dpi, engine_name=engine_name, threads=threads, suppress_red=suppress,
                         _timings=timings)
    except OcrUnavailableError:
        raise
    except FileReadError as exc:
        return OcrPage(warning=f"该页图像无法读取（{exc}）。")
    except Exception as exc:  # one bad page must not sink the batch
        log.warning("OCR of one page failed", exc_info=True)
        return OcrPage(warning="该页图像内容异常，无法识别。")


def _pool(engine_name: str, workers: int) -> ProcessPoolExecutor:
    global _POOL
    key = (engine_name, workers)
    if _POOL is not None and _POOL[0] == key:
        return _POOL[1]
    shutdown_pool()
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker, initargs=(engine_name, os.getpid()))
    _POOL = (key, executor)
    return executor


def shutdown_pool() -> None:
    """Stop the OCR worker processes (they are kept between calls)."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(shutdown_pool)


#: Scanned pages from which a dossier's OCR results are kept on disk as they come (:class:`PageCache`).
LONG_DOSSIER_PAGES = 100


class PageCache:
    """OCR results of single pages kept on disk, so a long dossier whose scan was interrupted
    (Ctrl-C, a service worker stopped at its time budget, a crash) is read on from where it
    stopped instead of from its first page.

    A page's key is the SHA-256 of its file's content, the page index, the resolution, red
    suppression and the engine variant (:attr:`EngineConfig.label`), so a changed file or engine
    never reuses a result; pages that came back with a warning are not kept. Entries older than
    ``max_age_s`` go, and the oldest go first beyond ``max_bytes``.
    """

    def __init__(self, folder: Path, max_bytes: int = 1 << 30, max_age_s: float = 7 * 86400):
        self.folder, self.max_bytes, self.max_age_s = Path(folder), max_bytes, max_age_s
        self._digests: dict[tuple[str, int, int], str] = {}
        self.hits = 0

    def _digest(self, path: Path) -> str:
        import hashlib

        st = path.stat()
        memo = (str(path), st.st_size, st.st_mtime_ns)
        if memo not in self._digests:
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            self._digests[memo] = h.hexdigest()
        return self._digests[memo]

    def key(self, source: PageSource, dpi: int, engine_name: str, suppress: bool) -> str | None:
        """The key of one page, or None for a page given as pixels (nothing stable to key it by)."""
        import hashlib

        path, index = getattr(source, "path", None), getattr(source, "index", None)
        if path is None or index is None:
            return None
        try:
            digest = self._digest(Path(path))
        except OSError:
            return None
        label = EngineConfig.from_env().label if engine_name == "rapidocr" else engine_name
        raw = f"{digest}|{type(source).__name__}|{index}|{dpi}|{suppress}|{engine_name}|{label}|triage1"
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str | None) -> OcrPage | None:
        if key is None:
            return None
        import pickle

        try:
            page = pickle.loads((self.folder / f"{key}.pkl").read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError):
            return None
        if isinstance(page, OcrPage):
            self.hits += 1
            return page
        return None

    def put(self, key: str | None, page: OcrPage) -> None:
        if key is None or page.warning:
            return
        import pickle

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            tmp.write_bytes(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, self.folder / f"{key}.pkl")
        except OSError:
            log.warning("OCR page cache not writable: %s", self.folder, exc_info=True)

    def prune(self) -> None:
        """Drop entries past their age, then the oldest beyond the size bound."""
        try:
            entries = [(f.stat().st_mtime, f.stat().st_size, f) for f in self.folder.glob("*.pkl")]
        except OSError:
            return
        now, total = time.time(), 0
        for mtime, size, f in sorted(entries, reverse=True):
            total += size
            if now - mtime > self.max_age_s or total > self.max_bytes:
                f.unlink(missing_ok=True)


def cache_for(settings: Any, pages: int) -> PageCache | None:
    """The page cache of a dossier with ``pages`` scanned pages: from :data:`LONG_DOSSIER_PAGES` on, in
    ``ASSISTANT_OCR_CACHE`` (a folder; ``off`` disables it) or ``<data_dir>/ocr_cache``."""
    where = OcrSettings().cache.strip()
    if pages < LONG_DOSSIER_PAGES or where.lower() in ("off", "0", "none", "false"):
        return None
    data_dir = getattr(settings, "data_dir", None)
    if not where and data_dir is None:
        return None
    cache = PageCache(Path(where) if where else Path(data_dir) / "ocr_cache")
    cache.prune()
    return cache


class _Done:
    """A page already read (from the cache), shaped like a future."""

    def __init__(self, page: OcrPage):
        self.page = page

    def result(self) -> OcrPage:
        return self.page


def ocr_pages(images: Iterable[PageSource], settings: Any = None, dpi: int = DEFAULT_DPI,
              suppress_red: bool = True, progress: Callable[[int], None] | None = None,
              cache: PageCache | None = None) -> list[OcrPage]:
    """OCR RGB page images; several pages run in parallel worker processes.

    ``images`` may be a list or any iterable (a generator rendering one page at a time) of
    RGB arrays or :class:`PdfPage` references (rasterised at ``dpi`` by the process that
    OCRs them): pages are streamed to the workers with at most two per worker in flight,
    so the main process never holds every page image of a long scanned file at once.

    ``settings`` (an :class:`models.settings.Settings` or anything with ``ocr_engine`` and
    ``ocr_workers``) chooses the engine and the number of workers. Each worker runs its
    onnxruntime sessions on one thread (no oversubscription of the cores). A missing
    engine or missing models raise :class:`OcrUnavailableError` (Chinese message); a page
    that fails comes back empty with a Chinese ``warning``. ``progress`` is called with the
    number of pages done after each page. With ``cache`` (:func:`cache_for`) every page read is
    kept as it comes and pages kept before are not read again.
    """
    engine_name = str(getattr(settings, "ocr_engine", "rapidocr") or "rapidocr").lower()
    if engine_name not in ENGINES:
        raise OcrUnavailableError(f"未知的文字识别引擎“{engine_name}”，可选：rapidocr、paddleocr、none。")
    workers = min(int(getattr(settings, "ocr_workers", 0) or os.cpu_count() or 1), os.cpu_count() or 1)
    shared = _SHARED if engine_name != "none" else None
    it = iter(images)
    head = list(itertools.islice(it, 2))
    if not head:
        return []
    if shared is not None:  # a batch's workers, shared with its other dossiers (even for one page)
        workers, single = max(1, int(shared.slots)), False
        if engine_name == "rapidocr":
            bundled_model_paths()
    else:
        single = len(head) == 1 or workers <= 1 or engine_name == "none"
        if engine_name != "none":
            get_engine(engine_name, 0 if single else 1) if engine_name == "paddleocr" else bundled_model_paths()
    stream = itertools.chain(head, it)
    results: list[OcrPage] = []
    keys: dict[int, str | None] = {}

    def key_of(src: PageSource) -> str | None:
        if cache is None:
            return None
        keys[id(src)] = k = cache.key(src, dpi, engine_name, suppress_red)
        return k

    if single:
        for img in stream:
            key = key_of(img)
            page = cache.get(key) if cache is not None else None
            if page is None:
                page = _safe_page(img, dpi, engine_name, 0, suppress_red)
                if cache is not None:
                    cache.put(key, page)
            results.append(page)
            if progress:
                progress(len(results))
        return _tally(results)
    pending: deque = deque()
    broken = False

    def collect() -> None:
        nonlocal broken
        fut, src = pending.popleft()
        page = _result_or_local(fut, src, dpi, engine_name, suppress_red, shared is not None)
        broken = broken or (page is None and shared is None)  # a shared pool is restarted by its owner
        page = page or _safe_page(src, dpi, engine_name, 0, suppress_red)
        if cache is not None and not isinstance(fut, _Done):
            cache.put(keys.get(id(src)), page)
        results.append(page)
        if progress:
            progress(len(results))

    for img in stream:
        fut = None
        kept = cache.get(key_of(img)) if cache is not None else None
        if kept is not None:
            fut = _Done(kept)
        elif not broken:
            try:
                job = (img, dpi, engine_name, suppress_red)
                fut = shared.submit(job) if shared is not None else _pool(engine_name, workers).submit(_worker_page, job)
            except (RuntimeError, OSError, EOFError):  # the pool could not be started here / the batch is gone
                log.warning("OCR workers unavailable, reading the remaining pages in this process", exc_info=True)
                broken = True
        pending.append((fut, img))
        while len(pending) >= 2 * workers or (pending and pending[0][0] is None):
            collect()
    while pending:
        collect()
    return _tally(results)


def _tally(pages: list[OcrPage]) -> list[OcrPage]:
    for page in pages:
        for stage, seconds in page.timings.items():
            STAGE_SECONDS[stage] = STAGE_SECONDS.get(stage, 0.0) + seconds
    return pages


def _result_or_local(fut: Any, image: np.ndarray, dpi: int, engine_name: str, suppress: bool,
                     shared: bool = False) -> OcrPage | None:
    """A worker's page; ``None`` when the pool broke (a worker died or could not start), the
    caller then OCRs the rest of the batch in this process without restarting the pool (a
    shared executor is the batch's to restart, not this process's)."""
    if fut is None:
        return _safe_page(image, dpi, engine_name, 0, suppress)
    try:
        return fut.result()
    except OcrUnavailableError:
        raise
    except Exception:  # BrokenProcessPool, cancelled after a break, a dead OCR actor
        log.warning("an OCR worker failed; reading the remaining pages in this process", exc_info=True)
        if not shared:
            shutdown_pool()
        return None


# --------------------------------------------------------------------------- inputs


def rasterize_pdf_page(path: str | Path, page_index: int, dpi: int = DEFAULT_DPI,
                       max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Render one page of a PDF (0-based index) to an RGB array with pypdfium2 (see :func:`rasterize_pdf_page_at`)."""
    return rasterize_pdf_page_at(path, page_index, dpi, max_pixels)[0]


def rasterize_pdf_page_at(path: str | Path, page_index: int, dpi: int = DEFAULT_DPI,
                          max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, float]:
    """One PDF page as RGB at ``dpi``, or at the lower resolution that keeps it within
    ``max_pixels``; returns the image and the resolution it was rendered at."""
    import pypdfium2 as pdfium

    from extractors.pdf import capped_dpi

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:
        raise FileReadError("PDF 文件已损坏或格式无法识别，无法读取") from exc
    try:
        if not 0 <= page_index < len(pdf):
            raise FileReadError(f"PDF 文件没有第{page_index + 1}页")
        page = pdf[page_index]
        dpi = capped_dpi(*page.get_size(), dpi, max_pixels)
        bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True)
        image = bitmap.to_numpy()
        mode = bitmap.mode
        if mode in ("BGRA", "BGRX"):
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        elif mode == "BGR":
            image = image[..., ::-1]
        elif mode == "L":
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif image.ndim == 3 and image.shape[2] == 4:  # RGBA / RGBX
            image = image[..., :3]
        return np.ascontiguousarray(image), dpi
    finally:
        pdf.close()


def load_image_pages(path: str | Path, max_pixels: int | None = None) -> list[np.ndarray]:
    """All pages of an image file (JPG, PNG, TIFF incl. multi-page, BMP, WebP) as RGB arrays.

    Images over ``max_pixels`` (default ``ASSISTANT_MAX_IMAGE_PIXELS`` or 80 MP) are
    refused with a Chinese :class:`FileReadError` before they are decoded.
    """
    from PIL import Image, ImageOps, ImageSequence

    limit = max_pixels or Limits().image_pixels
    name = Path(path).name
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        try:
            img = Image.open(path)
        except Exception as exc:
            raise FileReadError(f"无法读取图像文件“{name}”：文件损坏或格式不受支持。") from exc
        pages: list[np.ndarray] = []
        with img:
            for frame in ImageSequence.Iterator(img):
                w, h = frame.size
                if w * h > limit:
                    raise FileReadError(
                        f"图像文件“{name}”尺寸过大（{w}×{h} 像素，超过上限 {limit:,} 像素），疑似解压炸弹，已拒绝读取。",
                        code="too_large",
                    )
                try:
                    frame = ImageOps.exif_transpose(frame) if frame.getexif() else frame
                    pages.append(np.asarray(frame.convert("RGB")))
                except Exception as exc:
                    raise FileReadError(f"图像文件“{name}”内容损坏，无法解码。") from exc
        if not pages:
            raise FileReadError(f"图像文件“{name}”中没有可读取的页面。")
        return pages
    finally:
        Image.MAX_IMAGE_PIXELS = old


def image_dpi(path: str | Path, image: np.ndarray | None = None) -> int:
    """Resolution used to turn an image's pixels into points.

    The file's own dpi when it implies a plausible paper size (A5–A3), otherwise the
    dpi at which the image's long side is an A4 page's long side.
    """
    from PIL import Image

    long_px = max(image.shape[:2]) if image is not None else None
    meta: float | None = None
    try:
        with Image.open(path) as img:
            long_px = long_px or max(img.size)
            d = img.info.get("dpi")
            if d and d[0]:
                meta = float(d[0])
    except Exception:
        pass
    if not long_px:
        return DEFAULT_DPI
    if meta and 0.6 <= (long_px / meta) / A4_LONG_IN <= 1.5:
        return int(round(meta))
    return max(36, int(round(long_px / A4_LONG_IN)))
