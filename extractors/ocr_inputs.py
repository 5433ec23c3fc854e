"""What OCR reads: page references handed to workers, PDF page rendering, image files.

:class:`PdfPage` and :class:`ImageFrame` are references to one page that whoever OCRs it renders or
decodes itself (in a worker process, in parallel, sparing ~12 MB of pickled pixels per page);
:func:`rasterize_pdf_page_at` renders a PDF page with pypdfium2 within the pixel cap;
:func:`load_image_pages` decodes JPG / PNG / TIFF (multi-page) refusing decompression bombs;
:func:`image_dpi` gives the resolution that turns an image's pixels into points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.settings import Limits

from extractors.errors import FileReadError

DEFAULT_DPI = 200
DEFAULT_MAX_PIXELS = 80_000_000
A4_LONG_IN = 11.69


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


def load_frame(source: ImageFrame) -> tuple[np.ndarray, int]:
    """Frame ``source.index`` decoded on its own (seeking to it: a multi-frame TIFF costs
    linear time, not quadratic) and the resolution that maps its pixels to points."""
    from extractors.images import frame_at

    frame = frame_at(source.path, source.index, source.max_pixels)
    dpi = int(round(frame.shape[1] / (source.width_pt / 72.0))) if source.width_pt else DEFAULT_DPI
    return frame, max(dpi, 1)


def rasterize_pdf_page(path: str | Path, page_index: int, dpi: int = DEFAULT_DPI,
                       max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Render one page of a PDF (0-based index) to an RGB array with pypdfium2 (see :func:`rasterize_pdf_page_at`)."""
    return rasterize_pdf_page_at(path, page_index, dpi, max_pixels)[0]


def rasterize_pdf_page_at(path: str | Path, page_index: int, dpi: int = DEFAULT_DPI,
                          max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, float]:
    """One PDF page as RGB at ``dpi``, or at the lower resolution that keeps it within
    ``max_pixels``; returns the image and the resolution it was rendered at."""
    import pypdfium2 as pdfium

    from extractors.pdf import capped_dpi, shared_document

    pdf = shared = shared_document(path)  # the scan's own document, when this process read the file
    if pdf is None:
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
        if shared is None:
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
