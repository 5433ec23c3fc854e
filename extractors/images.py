"""Image files (JPG, PNG, TIFF incl. multi-page, BMP, WebP) → pages that need OCR.

The pixel count is checked from the header before any pixel is decoded, so a
decompression bomb is refused with a Chinese message. Page sizes are in points
(pixels / dpi × 72) using the file's dpi, or ``default_dpi`` when it has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models import Page

from extractors.errors import FileReadError


def _open(path: Path, max_pixels: int) -> Image.Image:
    try:
        im = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise FileReadError("图像像素过多，疑似解压炸弹，已拒绝", code="too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FileReadError("图像文件已损坏或格式无法识别，无法读取", code="corrupt") from exc
    w, h = im.size
    if w * h > max_pixels:
        im.close()
        raise FileReadError(f"图像像素过多（{w}×{h}，上限 {max_pixels // 1_000_000} 百万像素），疑似解压炸弹，已拒绝",
                            code="too_large")
    return im


def _dpi(im: Image.Image, default: int) -> float:
    dpi = im.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 50 <= value <= 1200 else float(default)


def read_image_pages(path: Path, name: str, max_pixels: int, default_dpi: int = 200, max_pages: int = 5000) -> list[Page]:
    """One :class:`Page` per frame, ``needs_ocr=True``, no text yet."""
    im = _open(path, max_pixels)
    pages = []
    try:
        frames = getattr(im, "n_frames", 1)
        for i in range(min(frames, max_pages)):
            im.seek(i)
            w, h = im.size
            if w * h > max_pixels:
                raise FileReadError(f"图像第{i + 1}帧像素过多（{w}×{h}），疑似解压炸弹，已拒绝", code="too_large")
            dpi = _dpi(im, default_dpi)
            pages.append(Page(file=name, number=i + 1, width=round(w / dpi * 72, 2), height=round(h / dpi * 72, 2),
                              text_source="none", needs_ocr=True))
    except EOFError:
        pass
    finally:
        im.close()
    if not pages:
        raise FileReadError("图像文件没有可读取的内容", code="empty")
    return pages


def frame_count(path: Path, max_pixels: int) -> int:
    """Number of frames (pages) of an image file, from its structure (no pixel decoded)."""
    im = _open(path, max_pixels)
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except (OSError, ValueError, EOFError, SyntaxError) as exc:
        raise FileReadError("图像文件已损坏或格式无法识别，无法读取", code="corrupt") from exc
    finally:
        im.close()


def frame_at(path: Path, index: int, max_pixels: int) -> np.ndarray:
    """Frame ``index`` (0-based) decoded alone, EXIF orientation applied to the first: seeking
    to a frame reads the frame directory, not the frames before it."""
    im = _open(path, max_pixels)
    try:
        try:
            im.seek(index)
        except (EOFError, OSError, ValueError) as exc:
            raise FileReadError(f"图像第{index + 1}帧不存在或已损坏", code="corrupt") from exc
        w, h = im.size
        if w * h > max_pixels:
            raise FileReadError(f"图像第{index + 1}帧像素过多（{w}×{h}），疑似解压炸弹，已拒绝", code="too_large")
        frame = ImageOps.exif_transpose(im) if index == 0 else im
        try:
            return np.asarray(frame.convert("RGB"))
        except (OSError, ValueError, SyntaxError) as exc:
            raise FileReadError(f"图像第{index + 1}帧已损坏，无法读取", code="corrupt") from exc
    finally:
        im.close()


def iter_frames(path: Path, max_pixels: int) -> Iterator[np.ndarray]:
    """Decoded RGB frames of an image file, EXIF orientation applied."""
    im = _open(path, max_pixels)
    try:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frame = ImageOps.exif_transpose(im) if i == 0 else im
            try:
                yield np.asarray(frame.convert("RGB"))
            except (OSError, ValueError) as exc:
                raise FileReadError(f"图像第{i + 1}帧已损坏，无法读取", code="corrupt") from exc
    finally:
        im.close()
