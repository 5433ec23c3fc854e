"""The OCR engine: which RapidOCR (or PaddleOCR) variant runs, loaded once per process, and one
engine pass over a page image.

:class:`EngineConfig` is the variant (models, runtime, detector side, recogniser batch, when the
direction classifier runs, page triage); :func:`get_engine` loads it once per process and
configuration; :func:`run_engine` detects, judges the orientation from the detector's boxes and
the direction classifier, recognises, and gives each line its character boxes (a label and a
signature detected as one box are read again in parts, :func:`_read_parts`); :func:`run_bands` reads
only the bands of ink of a page whose photographs were whitened (a photo page the light pass of
:mod:`extractors.ocr_photo` could not read upright).

The other OCR modules call :func:`get_engine`, :func:`bundled_model_paths`, :func:`run_engine` and
:func:`run_bands` through this module (``ocr_engine.get_engine(...)``), so a test or benchmark that
replaces one of them here (``monkeypatch.setattr("extractors.ocr_engine.run_engine", …)``) reaches
every caller.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models.settings import OcrSettings

from extractors import triage, vision
from extractors.errors import FileReadError

log = logging.getLogger(__name__)

ENGINES = ("rapidocr", "paddleocr", "none")
#: Longest side (px) of the image lines are cropped from for recognition (≈ 205 dpi on A4).
MAX_SIDE = 2400
#: Longest side (px) the text detector works on by default; detection needs far less than recognition.
DET_SIDE = 960
MIN_LINE_SCORE = 0.5


class OcrUnavailableError(FileReadError):
    """The configured OCR engine or its models cannot be loaded (message in Chinese)."""

    def __init__(self, message: str):
        super().__init__(message, code="ocr_unavailable")


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
    models at 1280 px and whose findings on scanned dossiers did not get worse: the detector at 736 px
    with batches of 1 was 20 % cheaper again (0.69–0.73 against 0.88–0.89 CPU-s/page) at the same
    character accuracy on generated scans, but on scans of the 21 foreign text dossiers it lost a
    DL-005 date and added three false findings, so 960 px and batches of 3 stay. ``ASSISTANT_OCR_MODELS`` and ``ASSISTANT_OCR_BACKEND`` override its models
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


def run_engine(engine: Any, name: str, image: np.ndarray, vertical: bool = False, flip: bool = False,
                line_cls: bool = True, det_scale: float | None = None, rec_batch: int | None = None
                ) -> tuple[list[tuple[np.ndarray, str, float, bool, Chars]], int]:
    """Text boxes of one RGB image: ``(quad px, text, score, flipped-180, [(char, score, quad px)])``.

    The page's orientation is judged from the detector's boxes (``vertical``) and the
    direction classifier (``flip``) before recognition: when most text lines stand upright
    (the page lies on its side) or most are upside down, nothing is recognised and the
    second value is 90 or 180, so the caller turns the page and runs again without a
    wasted recognition pass. (Recognising the turned crops of an upside-down page instead
    of detecting again lost a line under a seal on a judgment's last page.) Otherwise 0.
    ``line_cls`` False skips the direction classifier on the lines (the page was judged upright).
    ``det_scale`` shrinks the image the detector sees by this factor (a strip cut from a page is
    detected at the scale the page would be, :mod:`extractors.ocr_photo`); recognition still reads
    the crops at full resolution. ``rec_batch`` overrides the variant's recogniser batch (a batch is
    padded to its widest crop: a few lines of different lengths are cheaper one at a time).
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
    engine.return_word_box = True
    engine.return_single_char_box = True
    img, op_record = engine.preprocess_img(bgr)
    side = None
    if det_scale is not None and det_scale < 1:
        side = max(64, round(max(img.shape[:2]) * det_scale))
    with _overrides(engine, side, rec_batch):
        return _detect_and_read(engine, bgr, img, op_record, vertical, flip, line_cls)


@contextmanager
def _overrides(engine: Any, det_side: int | None, rec_batch: int | None) -> Iterator[None]:
    """The detector's longest side (only ever lowered) and the recogniser's batch set for one pass."""
    det, rec = getattr(engine, "text_det", None), getattr(engine, "text_rec", None)
    side, batch = getattr(det, "limit_side_len", None), getattr(rec, "rec_batch_num", None)
    if det_side is not None and side is not None:
        det.limit_side_len = min(side, det_side)
    if rec_batch is not None and batch is not None:
        rec.rec_batch_num = rec_batch
    try:
        yield
    finally:
        if side is not None:
            det.limit_side_len = side
        if batch is not None:
            rec.rec_batch_num = batch


def _detect_and_read(engine: Any, bgr: np.ndarray, img: np.ndarray, op_record: dict, vertical: bool, flip: bool,
                     line_cls: bool) -> tuple[list[tuple[np.ndarray, str, float, bool, Chars]], int]:
    """The rapidocr part of :func:`run_engine`."""
    from rapidocr.main import RapidOCRError
    from rapidocr.utils.process_img import map_boxes_to_original

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


def run_bands(engine: Any, name: str, image: np.ndarray) -> list[tuple[np.ndarray, str, float, bool, Chars]]:
    """Read the bands of ink of a page whose photographs were whitened, each on its own (the
    detector's cost follows the area it sees: a caption strip costs a fraction of a page)."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    pad = max(4, image.shape[0] // 200)
    out: list[tuple[np.ndarray, str, float, bool, Chars]] = []
    for y0, y1 in triage.bands(gray):
        top, bottom = max(0, y0 - pad), min(image.shape[0], y1 + pad)
        found, _ = run_engine(engine, name, np.ascontiguousarray(image[top:bottom]))
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
