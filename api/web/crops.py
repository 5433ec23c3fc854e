"""Page images for the 案件页: the crop of a page around a finding's evidence (box highlighted)
and the full page, rendered server-side from the stored dossier and cached as PNG. Crops are thumbnails (narrow, bounded in pixels) around the
evidence box and, for a slot finding, the zone where the signature or seal was looked for; the viewer
pages through the full pages. DOCX and TXT evidence is shown in its surrounding text (:func:`text_context`).

PDF pages are rendered with pypdfium2, image pages with Pillow (boxes are in PDF points,
pixels = points × dpi / 72 with the image's own dpi as the extractors read it), OFD pages
with the OFD reader of :mod:`extractors.ofd`. Files inside a stored zip are read through the
archive (one member, size-limited) and cached next to the renders. DOCX and TXT have no page
image: the page shows the evidence text only.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from pathlib import Path, PurePosixPath

from PIL import Image, ImageDraw

RENDER_DPI = 150
CROP_MARGIN_PT = 70.0
#: A crop keeps this much of the page beside the box (points), at least ``CROP_MIN_WIDTH_PT`` wide.
CROP_SIDE_PT = 90.0
CROP_MIN_WIDTH_PT = 320.0
#: Crops are thumbnails: at most this wide and tall (pixels; shown at half size, sharp on dense screens).
THUMB_MAX_W = 720
THUMB_MAX_H = 420
ZONE_LINE = (230, 120, 0, 255)
ZONE_FILL = (255, 170, 0, 40)
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
            from extractors.ofd_render import render_pages as ofd_render

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


def _highlight(img: Image.Image, box_px: tuple[float, float, float, float] | None,
               zone_px: tuple[float, float, float, float] | None = None) -> Image.Image:
    """The page with the evidence box (red) and the zone a slot was looked for in (dashed orange)."""
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    if zone_px:
        x0, y0, x1, y1 = zone_px
        d.rectangle((x0, y0, x1, y1), fill=ZONE_FILL)
        dash = 14
        for x in range(int(x0), int(x1), dash * 2):  # dashed outline: a zone, not a found box
            d.line((x, y0, min(x + dash, x1), y0), fill=ZONE_LINE, width=3)
            d.line((x, y1, min(x + dash, x1), y1), fill=ZONE_LINE, width=3)
        for y in range(int(y0), int(y1), dash * 2):
            d.line((x0, y, x0, min(y + dash, y1)), fill=ZONE_LINE, width=3)
            d.line((x1, y, x1, min(y + dash, y1)), fill=ZONE_LINE, width=3)
    if box_px:
        x0, y0, x1, y1 = box_px
        pad = 3
        d.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_LINE, width=3)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def _union(*boxes):
    got = [b for b in boxes if b]
    if not got:
        return None
    return (min(b[0] for b in got), min(b[1] for b in got), max(b[2] for b in got), max(b[3] for b in got))


def crop_box(box: tuple[float, float, float, float], page_w: float, page_h: float) -> tuple[float, float, float, float]:
    """The part of the page (points) a thumbnail shows around ``box``: the box with a margin above and
    below and beside it, at least ``CROP_MIN_WIDTH_PT`` wide, inside the page."""
    x0, y0, x1, y1 = box
    left, right = x0 - CROP_SIDE_PT, x1 + CROP_SIDE_PT
    if right - left < CROP_MIN_WIDTH_PT:
        grow = (CROP_MIN_WIDTH_PT - (right - left)) / 2
        left, right = left - grow, right + grow
    top, bottom = y0 - CROP_MARGIN_PT, y1 + CROP_MARGIN_PT
    return max(0.0, left), max(0.0, top), min(page_w, right), min(page_h, bottom)


def thumbnail(img: Image.Image) -> Image.Image:
    """``img`` scaled down to fit ``THUMB_MAX_W`` × ``THUMB_MAX_H`` (never up)."""
    k = min(1.0, THUMB_MAX_W / max(1, img.width), THUMB_MAX_H / max(1, img.height))
    return img if k >= 1.0 else img.resize((max(1, int(img.width * k)), max(1, int(img.height * k))), Image.LANCZOS)


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


def page_png(input_path: Path, cache: Path, file: str, page: int, bbox=None, crop: bool = True, text: str = "",
             zone=None, highlight: bool = True) -> bytes:
    """PNG bytes of a thumbnail crop around ``bbox`` (or of the full page), highlighted; cached in ``cache``.

    ``zone`` is where a slot (signature, seal, 落款) was looked for: drawn dashed, and the crop covers it.
    Evidence without a box is looked up by its text on the PDF's text layer; a crop with nothing to
    show around is the top of the page. ``highlight=False`` renders the page plain (a page paged to
    in the viewer that is not the evidence's)."""
    box = tuple(float(v) for v in bbox) if bbox and len(bbox) == 4 else None
    zbox = tuple(float(v) for v in zone) if zone and len(zone) == 4 else None
    key = hashlib.sha256(repr((file, page, box, zbox, crop, highlight, RENDER_DPI, THUMB_MAX_W, THUMB_MAX_H,
                               None if box else text[:24])).encode()).hexdigest()[:32]
    target = cache / "renders" / f"{key}.png"
    if target.is_file():
        return target.read_bytes()
    if not renderable(file):
        raise NoImage("该文件类型没有页面图像（如 DOCX、TXT），请参阅证据原文。")
    with _LOCK:  # one render at a time per process: PDFium is not thread-safe
        if target.is_file():
            return target.read_bytes()
        path = resolve_file(input_path, file, cache)
        if box is None and text and highlight:
            box = locate_text(path, int(page), text)
        img, scale = render_page(path, int(page))
        if highlight and (box or zbox):
            px = (lambda b: (b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale) if b else None)
            img = _highlight(img, px(box), px(zbox))
        if crop:
            area = _union(box, zbox) if highlight else None
            if area:
                l, t, r, b = crop_box(area, img.width / scale, img.height / scale)
                if (r - l) * scale > 20 and (b - t) * scale > 20:
                    img = img.crop((int(l * scale), int(t * scale), int(r * scale), int(b * scale)))
            else:
                img = img.crop((0, 0, img.width, min(img.height, int(img.height * 0.3))))
            img = thumbnail(img)
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=False)
        data = buf.getvalue()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return data


def page_count(input_path: Path, cache: Path, file: str) -> int | None:
    """Pages of a stored PDF/OFD/TIFF (for the viewer's page navigation); None when unknown."""
    if not renderable(file):
        return None
    try:
        path = resolve_file(input_path, file, cache)
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            import pypdfium2 as pdfium

            with _LOCK:
                doc = pdfium.PdfDocument(str(path))
                try:
                    return len(doc)
                finally:
                    doc.close()
        if suffix in (".tif", ".tiff", ".gif", ".webp"):
            with Image.open(path) as im:
                return int(getattr(im, "n_frames", 1) or 1)
        if suffix == ".ofd":
            return None
        return 1
    except Exception:  # noqa: BLE001 - navigation is a convenience
        return None


def text_context(input_path: Path, cache: Path, file: str, snippet: str, width: int = 50) -> tuple[str, str, str] | None:
    """The evidence snippet in its surrounding text of a DOCX or TXT file: (before, snippet, after), or
    None when the file or the snippet cannot be found."""
    suffix = PurePosixPath(file or "").suffix.lower()
    if suffix not in (".docx", ".txt") or not (snippet or "").strip():
        return None
    try:
        path = resolve_file(input_path, file, cache)
        if suffix == ".docx":
            import docx

            d = docx.Document(str(path))
            paras = [p.text for p in d.paragraphs]
            for t in d.tables:
                for row in t.rows:
                    paras.append("　".join(c.text for c in row.cells))
            text = "\n".join(paras)
        else:
            raw = path.read_bytes()[:2_000_000]
            text = next((raw.decode(enc) for enc in ("utf-8-sig", "gb18030") if _decodes(raw, enc)),
                        raw.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - a context is a convenience
        return None
    needle = snippet.strip()
    i = text.find(needle)
    if i < 0:  # tolerate line breaks and spaces inside the snippet
        compact, idx = [], []
        for k, ch in enumerate(text):
            if not ch.isspace():
                compact.append(ch)
                idx.append(k)
        j = "".join(compact).find("".join(needle.split()))
        if j < 0:
            return None
        i, end = idx[j], idx[j + len("".join(needle.split())) - 1] + 1
    else:
        end = i + len(needle)
    tidy = (lambda t: re.sub(r"\s*\n\s*", "\n", t))
    return tidy(text[max(0, i - width):i]).lstrip(), text[i:end], tidy(text[end:end + width]).rstrip()


def _decodes(raw: bytes, enc: str) -> bool:
    try:
        raw.decode(enc)
        return True
    except UnicodeDecodeError:
        return False
