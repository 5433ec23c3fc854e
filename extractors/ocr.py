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

The modules, each importing only those above it (``extractors.ocr`` re-exports their public names):

* :mod:`extractors.ocr_engine` — :class:`EngineConfig`, :func:`get_engine` (one engine per process
  and variant), :func:`run_engine` (one engine pass with the orientation judged from its boxes).
* :mod:`extractors.ocr_geometry` — orientation, skew and the turns that undo them.
* :mod:`extractors.ocr_lines` — printed text told from handwriting, characters merged into lines.
* :mod:`extractors.ocr_inputs` — :class:`PdfPage` / :class:`ImageFrame` references, PDF rendering,
  image files.
* :mod:`extractors.ocr_page` — :func:`ocr_image`: one page in this process → :class:`OcrPage`.
* :mod:`extractors.ocr_cache` — :class:`PageCache`, the on-disk results of long dossiers.
* :mod:`extractors.ocr_pool` — worker processes, the pool a batch shares, :func:`ocr_pages`.

Replace a function where it is looked up, not here: ``extractors.ocr_engine`` for the engine's
functions, ``extractors.ocr_pool`` for the per-page call of :func:`ocr_pages`.
"""

from __future__ import annotations

from extractors.ocr_cache import LONG_DOSSIER_PAGES, PageCache, cache_for
from extractors.ocr_engine import (
    BACKENDS, DET_SIDE, ENGINES, INT8_FILES, MAX_SIDE, MIN_LINE_SCORE, MODEL_SETS, EngineConfig, OcrUnavailableError,
    bundled_model_paths, get_engine, run_engine,
)
from extractors.ocr_geometry import ORIENTATION_CROPS, ORIENTATION_VOTES, detect_axis_rotation, estimate_skew
from extractors.ocr_inputs import (
    A4_LONG_IN, DEFAULT_DPI, DEFAULT_MAX_PIXELS, ImageFrame, PageSource, PdfPage, image_dpi, load_image_pages,
    rasterize_pdf_page, rasterize_pdf_page_at,
)
from extractors.ocr_lines import classify_chars, merge_lines
from extractors.ocr_page import OcrPage, ocr_image
from extractors.ocr_pool import (
    PARENT_POLL_S, STAGE_SECONDS, PageExecutor, PageJob, ocr_one, ocr_pages, share_pages_with, shutdown_pool,
    submit_page,
)

__all__ = [
    "A4_LONG_IN", "BACKENDS", "DEFAULT_DPI", "DEFAULT_MAX_PIXELS", "DET_SIDE", "ENGINES", "INT8_FILES",
    "LONG_DOSSIER_PAGES", "MAX_SIDE", "MIN_LINE_SCORE", "MODEL_SETS", "ORIENTATION_CROPS", "ORIENTATION_VOTES",
    "PARENT_POLL_S", "STAGE_SECONDS", "EngineConfig", "ImageFrame", "OcrPage", "OcrUnavailableError", "PageCache",
    "PageExecutor", "PageJob", "PageSource", "PdfPage", "bundled_model_paths", "cache_for", "classify_chars",
    "detect_axis_rotation", "estimate_skew", "get_engine", "image_dpi", "load_image_pages", "merge_lines",
    "ocr_image", "ocr_one", "ocr_pages", "rasterize_pdf_page", "rasterize_pdf_page_at", "run_engine",
    "share_pages_with", "shutdown_pool", "submit_page",
]
