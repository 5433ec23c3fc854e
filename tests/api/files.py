"""Small dossier files for upload tests: text-layer PDFs made with reportlab, hostile zips,
encrypted and corrupt PDFs, a huge image header."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def pdf_bytes(lines: list[str], pages: int = 1) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", FONT, subfontIndex=0))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for p in range(pages):
        c.setFont("wqy", 12)
        y = 800
        for line in lines:
            c.drawString(72, y, line)
            y -= 20
        c.drawString(72, 40, f"第{p + 1}页")
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf_bytes() -> bytes:
    import pikepdf

    src = pikepdf.open(io.BytesIO(pdf_bytes(["起诉书"])))
    out = io.BytesIO()
    src.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return out.getvalue()


def corrupt_pdf_bytes() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without xref or trailer\n"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_slip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("卷宗/起诉书.pdf", pdf_bytes(["起诉书"]))
        zf.writestr(zipfile.ZipInfo("../../etc/evil.pdf"), b"%PDF-1.4 evil")
    return buf.getvalue()


def zip_bomb_bytes(size: int = 64 * 1024 * 1024) -> bytes:
    """A zip whose one member inflates from ~300 KB to ``size`` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo("bomb.pdf")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def huge_png_bytes(width: int = 20000, height: int = 20000) -> bytes:
    """A valid PNG header claiming ``width``×``height`` pixels (tiny file, huge image)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def titled_pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A one-page text-layer PDF whose ``title`` is centred at the top, as on real 文书, so that
    the classifier types it; ``lines`` follow left-aligned."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", FONT, subfontIndex=0))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("wqy", 18)
    c.drawCentredString(A4[0] / 2, 780, title)
    c.setFont("wqy", 12)
    y = 740
    for line in lines:
        c.drawString(72, y, line)
        y -= 20
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_member_zip_bytes(members: dict[str, bytes], encrypted: str) -> bytes:
    """A zip of ``members`` where member ``encrypted`` carries the encryption flag in its local and
    central headers (its bytes are no cipher text: a member nobody can unpack)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    raw = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        pos = zf.start_dir
    while raw[pos:pos + 4] == b"PK\x01\x02":
        n, extra, comment = struct.unpack("<HHH", raw[pos + 28:pos + 34])
        if raw[pos + 46:pos + 46 + n].decode("utf-8") == encrypted:
            local = struct.unpack("<I", raw[pos + 42:pos + 46])[0]
            raw[pos + 8] |= 0x1
            raw[local + 6] |= 0x1
        pos += 46 + n + extra + comment
    return bytes(raw)
