"""Page images for the 案件页: the crop of a page around a finding's evidence (box highlighted)
and the full page, rendered server-side from the stored dossier and cached as PNG.

PDF pages are rendered with pypdfium2, image pages with Pillow (boxes are in PDF points,
pixels = points × dpi / 72 with the image's own dpi as the extractors read it), OFD pages
with the OFD reader of :mod:`extractors.ofd`. Files inside a stored zip are read through the
archive (one member, size-limited) and cached next to the renders. DOCX and TXT have no page
image: the page shows the evidence text only.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from pathlib import Path, PurePosixPath

from PIL import Image, ImageDraw

RENDER_DPI = 150
CROP_MARGIN_PT = 70.0
MAX_PIXELS = 12_000_000
MAX_MEMBER_BYTES = 200 * 1024 * 1024
RENDERABLE = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".ofd")
HIGHLIGHT_FILL = (255, 214, 0, 70)
HIGHLIGHT_LINE = (220, 30, 30, 255)
_LOCK = threading.Lock()


class NoImage(Exception):
    """No page image can be shown for this evidence (message in Chinese)."""


def renderable(file: str) -> bool:
    return PurePosixPath(file or "").suffix.lower() in RENDERABLE


def _matches(rel: str, wanted: str) -> bool:
    rel, wanted = rel.replace("\\", "/"), wanted.replace("\\", "/")
    return rel == wanted or rel.endswith("/" + wanted) or wanted.endswith("/" + rel)


def resolve_file(input_path: Path, wanted: str, cache: Path) -> Path:
    """The stored file the report calls ``wanted`` (a folder member, a zip member, or the file itself)."""
    input_path = Path(input_path)
    if input_path.is_dir():
        root = input_path.resolve()
        exact = (root / wanted).resolve()
        if root in exact.parents and exact.is_file() and not exact.is_symlink():
            return exact
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink() and _matches(p.relative_to(root).as_posix(), wanted):
                return p
        for p in sorted(root.rglob("*.zip")):
            try:
                return resolve_file(p, wanted, cache)
            except NoImage:
                continue
        raise NoImage(f"卷宗中找不到文件：{wanted}")
    if input_path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(input_path) as zf:
                info = next((i for i in zf.infolist() if not i.is_dir() and _matches(_member_name(i), wanted)), None)
                if info is None:
                    raise NoImage(f"卷宗压缩包中找不到文件：{wanted}")
                if info.file_size > MAX_MEMBER_BYTES:
                    raise NoImage("文件过大，不生成页面图像。")
                suffix = PurePosixPath(_member_name(info)).suffix.lower()
                target = cache / "members" / (hashlib.sha256(_member_name(info).encode()).hexdigest()[:24] + suffix)
                if not target.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_suffix(target.suffix + ".tmp")
                    with zf.open(info) as src, tmp.open("wb") as out:
                        left = MAX_MEMBER_BYTES
                        while chunk := src.read(1 << 20):
                            left -= len(chunk)
                            if left < 0:
                                raise NoImage("文件过大，不生成页面图像。")
                            out.write(chunk)
                    tmp.replace(target)
                return target
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise NoImage("无法读取卷宗压缩包。") from exc
    if _matches(input_path.name, wanted) or input_path.is_file():
        return input_path
    raise NoImage(f"卷宗中找不到文件：{wanted}")


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            try:
                name = name.encode("cp437").decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
    return name


def _image_dpi(im: Image.Image, default: float = 200.0) -> float:
    dpi = im.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 50 <= value <= 1200 else default


def render_page(path: Path, page: int, dpi: float = RENDER_DPI) -> tuple[Image.Image, float]:
    """The page as an RGB image and its scale (pixels per point)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise NoImage("无法打开 PDF 文件。") from exc
        try:
            if not 1 <= page <= len(doc):
                raise NoImage(f"PDF 没有第{page}页。")
            p = doc[page - 1]
            w, h = p.get_size()
            scale = dpi / 72.0
            if w * h * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / max(w * h, 1.0)) ** 0.5
            bitmap = p.render(scale=scale)
            img = bitmap.to_pil().convert("RGB")
            bitmap.close()
            p.close()
            return img, scale
        finally:
            doc.close()
    if suffix == ".ofd":
        try:
            from extractors.ofd import render_pages as ofd_render

            arr = ofd_render(path, [page], dpi=int(dpi)).get(page)
        except Exception as exc:  # noqa: BLE001 - any reader failure means no image
            raise NoImage("无法渲染 OFD 页面。") from exc
        if arr is None:
            raise NoImage(f"OFD 没有第{page}页。")
        return Image.fromarray(arr).convert("RGB"), dpi / 72.0
    Image.MAX_IMAGE_PIXELS = 100_000_000
    try:
        im = Image.open(path)
        if page > 1:
            im.seek(page - 1)
        src_dpi = _image_dpi(im)
        img = im.convert("RGB")
    except (OSError, EOFError, ValueError, Image.DecompressionBombError) as exc:
        raise NoImage("无法打开图像文件。") from exc
    scale = src_dpi / 72.0
    if img.width * img.height > MAX_PIXELS:
        k = (MAX_PIXELS / (img.width * img.height)) ** 0.5
        img = img.resize((int(img.width * k), int(img.height * k)))
        scale *= k
    return img, scale


def _highlight(img: Image.Image, box_px: tuple[float, float, float, float]) -> Image.Image:
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    x0, y0, x1, y1 = box_px
    pad = 3
    d.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_LINE, width=3)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def locate_text(path: Path, page: int, text: str) -> tuple[float, float, float, float] | None:
    """The box (points, top-left origin) of ``text`` on a PDF page's text layer, for evidence
    recorded without a box (DOCX-like text read from the layer); None when not found."""
    if path.suffix.lower() != ".pdf":
        return None
    needle = "".join((text or "").split())[:24]
    if len(needle) < 2:
        return None
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return None
    try:
        if not 1 <= page <= len(doc):
            return None
        p = doc[page - 1]
        height = p.get_size()[1]
        tp = p.get_textpage()
        found = None
        for size in (len(needle), 12, 6):
            searcher = tp.search(needle[:size], match_case=True)
            hit = searcher.get_next()
            searcher.close()
            if hit:
                start, count = hit
                boxes = [tp.get_charbox(i) for i in range(start, start + count)]
                left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
                bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
                found = (left, height - top, right, height - bottom)
                break
        tp.close()
        p.close()
        return found
    except Exception:  # noqa: BLE001 - text search is a convenience: no box, no highlight
        return None
    finally:
        doc.close()


def page_png(input_path: Path, cache: Path, file: str, page: int, bbox=None, crop: bool = True, text: str = "") -> bytes:
    """PNG bytes of the crop around ``bbox`` (or of the full page), highlighted; cached in ``cache``.

    Evidence without a box is looked up by its text on the PDF's text layer."""
    box = tuple(float(v) for v in bbox) if bbox and len(bbox) == 4 else None
    key = hashlib.sha256(repr((file, page, box, crop, RENDER_DPI, None if box else text[:24])).encode()).hexdigest()[:32]
    target = cache / "renders" / f"{key}.png"
    if target.is_file():
        return target.read_bytes()
    if not renderable(file):
        raise NoImage("该文件类型没有页面图像（如 DOCX、TXT），请参阅证据原文。")
    with _LOCK:  # one render at a time per process: PDFium is not thread-safe
        if target.is_file():
            return target.read_bytes()
        path = resolve_file(input_path, file, cache)
        if box is None and text:
            box = locate_text(path, int(page), text)
        img, scale = render_page(path, int(page))
        if box:
            px = (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
            img = _highlight(img, px)
            if crop:
                top = max(0, int((box[1] - CROP_MARGIN_PT) * scale))
                bottom = min(img.height, int((box[3] + CROP_MARGIN_PT) * scale))
                if bottom - top > 20:
                    img = img.crop((0, top, img.width, bottom))
        elif crop:
            img = img.crop((0, 0, img.width, min(img.height, int(img.height * 0.45))))
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=False)
        data = buf.getvalue()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return data
