"""OFD files as producers other than the product's own fixtures write them (issue 24).

* :func:`easyofd_convert` — the maintained Python library ``easyofd`` (``OFD().pdf2ofd(pdf, optional_text=True)``):
  a prefixed non-standard namespace, the page box inside the page's ``Content`` in points while the
  content is in points ÷ (200/25.4), a lower-case ``size`` attribute, ``FillColor/Value`` as an element,
  every font run of a line stretched over the whole line's box, images at positions that are not theirs.
  It writes ``./test`` and ``./test.ofd`` into the working directory and logs to stdout, so it runs in a
  subprocess, one fresh working directory per file.
* :func:`write_producer_b` — a second, independent structure written from a PDF's text layer and
  images: the default (unprefixed) namespace, a document default page box that is not the pages'
  (pages carry their own ``Area``), text objects with ``Size="1"`` scaled by ``CTM``, the header of
  the first page in a ``TemplatePage``, pictures in a background layer (every other one inside a
  ``CompositeObject`` of a ``CompositeGraphicUnit``), pen-ink text in a layer of its own, the red
  seal as an electronic signature under ``Signs/`` (picture embedded in ``SignedValue.dat``).
* :func:`outline_page_ofd` — a page whose text is drawn as glyph outlines (``PathObject`` fills, no
  text object): a producer that converts text to curves. Read by OCR like a scan.
"""

from __future__ import annotations

import ctypes
import io
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MM_PER_PT = 25.4 / 72.0
NS = "http://www.ofdspec.org/2016"

_EASYOFD = r"""
import os, sys, tempfile
from pathlib import Path
from easyofd import OFD
for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):
    with tempfile.TemporaryDirectory() as cwd:
        os.chdir(cwd)
        Path(dst).write_bytes(OFD().pdf2ofd(Path(src).read_bytes(), optional_text=True))
"""


def easyofd_convert(pairs: list[tuple[Path, Path]], timeout: float = 300) -> None:
    """Convert each ``(pdf, ofd)`` pair with easyofd (in one subprocess; raises on failure)."""
    args = [str(p) for pair in pairs for p in pair]
    for _, dst in pairs:
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", _EASYOFD, *args], capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace")[-2000:])


# --------------------------------------------------------------------------- producer B


def _pdf_content(path: Path) -> list[dict]:
    """Per page: size (pt), characters (char, x, baseline y from top, size, colour, font) and images
    (PNG bytes, box x0, top, x1, bottom in pt)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pages = []
    doc = pdfium.PdfDocument(str(path))
    try:
        for page in doc:
            w, h = page.get_size()
            tp = page.get_textpage()
            chars = []
            buf = ctypes.create_string_buffer(256)
            flags = ctypes.c_int()
            for i in range(tp.count_chars()):
                ch = chr(raw.FPDFText_GetUnicode(tp.raw, i) or 32)
                if ch.isspace() or ch in "\ufffe\uffff\x00":
                    continue
                x, y = ctypes.c_double(), ctypes.c_double()
                raw.FPDFText_GetCharOrigin(tp.raw, i, ctypes.byref(x), ctypes.byref(y))
                r, g, b, a = (ctypes.c_uint() for _ in range(4))
                raw.FPDFText_GetFillColor(tp.raw, i, r, g, b, a)
                raw.FPDFText_GetFontInfo(tp.raw, i, buf, 256, ctypes.byref(flags))
                font = buf.value.decode("latin-1").split("+")[-1] or "宋体"
                chars.append((ch, x.value, h - y.value, raw.FPDFText_GetFontSize(tp.raw, i),
                              (r.value, g.value, b.value), font))
            tp.close()
            images = []
            for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]):
                left, bottom, right, top = obj.get_bounds()
                out = io.BytesIO()
                obj.get_bitmap(render=True).to_pil().save(out, "PNG")
                images.append((out.getvalue(), (left, h - top, right, h - bottom)))
            pages.append({"size": (w, h), "chars": chars, "images": images})
    finally:
        doc.close()
    return pages


def _runs(chars: list[tuple]) -> list[dict]:
    """Characters → runs on one baseline with one size, colour and font."""
    runs: list[dict] = []
    for ch, x, y, size, color, font in chars:
        last = runs[-1] if runs else None
        if last and abs(last["y"] - y) < 0.2 and abs(last["size"] - size) < 0.2 and last["color"] == color \
                and last["font"] == font and x > last["xs"][-1]:
            last["text"] += ch
            last["xs"].append(x)
            continue
        runs.append({"text": ch, "xs": [x], "y": y, "size": size, "color": color, "font": font})
    return runs


def _red(png: bytes) -> bool:
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("RGBA")
    px = [p for p in im.getdata() if p[3] > 128 and p[0] > 150 and p[1] < 110 and p[2] < 110]
    return len(px) > 0.05 * im.size[0] * im.size[1]


def _g(values: list[float]) -> str:
    """DeltaX with the ``g n v`` abbreviation for runs of equal advances."""
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and abs(values[j + 1] - values[i]) < 1e-6:
            j += 1
        parts.append(f"g {j - i + 1} {values[i]:.4f}" if j > i else f"{values[i]:.4f}")
        i = j + 1
    return " ".join(parts)


def _text_object(oid: int, run: dict, font_id: int) -> str:
    s = run["size"] * MM_PER_PT                            # the CTM scale: glyph space of size 1
    xs = [x * MM_PER_PT for x in run["xs"]]
    base = run["y"] * MM_PER_PT
    bx, by = xs[0], base - s
    w = xs[-1] - xs[0] + s
    deltas = [(b - a) / s for a, b in zip(xs, xs[1:])]
    delta = f' DeltaX="{_g(deltas)}"' if deltas else ""
    r, g, b = run["color"]
    return (f'<TextObject ID="{oid}" Boundary="{bx:.3f} {by:.3f} {w:.3f} {1.3 * s:.3f}" Font="{font_id}" Size="1" '
            f'CTM="{s:.4f} 0 0 {s:.4f} 0 0"><FillColor Value="{r} {g} {b}"/>'
            f'<TextCode X="0" Y="{(base - by) / s:.4f}"{delta}>{escape(run["text"])}</TextCode></TextObject>')


def write_producer_b(pdf: Path, out: Path) -> Path:
    """Write ``pdf`` as an OFD of the second producer's structure (see the module docstring)."""
    from extractors.pdf import _ink as pen_ink

    pages = _pdf_content(pdf)
    uid = [100]

    def nid() -> int:
        uid[0] += 1
        return uid[0]

    fonts: dict[str, int] = {}
    media: list[tuple[int, str, bytes]] = []
    units: list[str] = []
    members: dict[str, str | bytes] = {}
    page_ids = [nid() for _ in pages]
    seal: tuple[int, tuple, bytes] | None = None
    template_objs: list[str] = []
    for k, page in enumerate(pages):
        w_pt, h_pt = page["size"]
        body, ink, back = [], [], []
        for run in _runs(page["chars"]):
            fid = fonts.setdefault(run["font"], nid())
            obj = _text_object(nid(), run, fid)
            if k == 0 and run["y"] < 0.12 * h_pt:
                template_objs.append(obj)
            elif pen_ink(*run["color"]):
                ink.append(obj)
            else:
                body.append(obj)
        for j, (png, (x0, y0, x1, y1)) in enumerate(page["images"]):
            x, y, w, h = x0 * MM_PER_PT, y0 * MM_PER_PT, (x1 - x0) * MM_PER_PT, (y1 - y0) * MM_PER_PT
            if _red(png) and seal is None:
                seal = (k, (x, y, w, h), png)
                continue
            mid = nid()
            media.append((mid, f"img_{mid}.png", png))
            image = f'<ImageObject ID="{nid()}" Boundary="{{b}}" CTM="{w:.3f} 0 0 {h:.3f} 0 0" ResourceID="{mid}"/>'
            if j % 2:
                unit = nid()
                units.append(f'<CompositeGraphicUnit ID="{unit}" Width="{w:.3f}" Height="{h:.3f}"><Content>'
                             + image.replace("{b}", f"0 0 {w:.3f} {h:.3f}") + "</Content></CompositeGraphicUnit>")
                back.append(f'<CompositeObject ID="{nid()}" Boundary="{x:.3f} {y:.3f} {w:.3f} {h:.3f}" '
                            f'CTM="1 0 0 1 0 0" ResourceID="{unit}"/>')
            else:
                back.append(image.replace("{b}", f"{x:.3f} {y:.3f} {w:.3f} {h:.3f}"))
        tpl = '<Template TemplateID="1" ZOrder="Background"/>' if k == 0 else ""
        layers = "".join(f'<Layer ID="{nid()}" Type="{t}">{"".join(objs)}</Layer>'
                         for t, objs in (("Background", back), ("Body", body), ("Foreground", ink)) if objs)
        members[f"Doc_0/Pages/Page_{k}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><Page xmlns="{NS}"><Area><PhysicalBox>0 0 {w_pt * MM_PER_PT:.3f} '
            f'{h_pt * MM_PER_PT:.3f}</PhysicalBox></Area>{tpl}<Content>{layers}</Content></Page>')
    members["Doc_0/Tpls/Tpl_0/Content.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><Page xmlns="{NS}"><Content>'
                                               f'<Layer ID="{nid()}">{"".join(template_objs)}</Layer></Content></Page>')
    signatures = ""
    if seal is not None:
        k, (x, y, w, h), png = seal
        signatures = "<Signatures>Doc_0/Signs/Signatures.xml</Signatures>"
        members["Doc_0/Signs/Signatures.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><Signatures xmlns="{NS}">'
                                                 '<Signature ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"/></Signatures>')
        members["Doc_0/Signs/Sign_0/Signature.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="{NS}"><SignedInfo><Provider ProviderName="B"/>'
            f'<StampAnnot ID="1" PageRef="{page_ids[k]}" Boundary="{x:.3f} {y:.3f} {w:.3f} {h:.3f}"/></SignedInfo>'
            '<SignedValue>SignedValue.dat</SignedValue></Signature>')
        members["Doc_0/Signs/Sign_0/SignedValue.dat"] = b"\x30\x82\x10\x00SES_Signature" + png + b"\x00\x01"
    page_refs = "".join(f'<Page ID="{pid}" BaseLoc="Pages/Page_{k}/Content.xml"/>' for k, pid in enumerate(page_ids))
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><CommonData><MaxUnitID>{uid[0] + 1}</MaxUnitID>'
        '<PageArea><PhysicalBox>0 0 297 420</PhysicalBox></PageArea><PublicRes>PublicRes.xml</PublicRes>'
        '<DocumentRes>DocumentRes.xml</DocumentRes><TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        f'</CommonData><Pages>{page_refs}</Pages></Document>')
    members["Doc_0/PublicRes.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><Res xmlns="{NS}" BaseLoc="Res"><Fonts>'
                                      + "".join(f'<Font ID="{i}" FontName="{escape(n)}" FamilyName="{escape(n)}"/>'
                                                for n, i in fonts.items()) + "</Fonts></Res>")
    members["Doc_0/DocumentRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Res xmlns="{NS}" BaseLoc="Res"><MultiMedias>'
        + "".join(f'<MultiMedia ID="{mid}" Type="Image"><MediaFile>{name}</MediaFile></MultiMedia>' for mid, name, _ in media)
        + f"</MultiMedias><CompositeGraphicUnits>{''.join(units)}</CompositeGraphicUnits></Res>")
    for _, name, data in media:
        members[f"Doc_0/Res/{name}"] = data
    members["OFD.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><OFD xmlns="{NS}" Version="1.1" DocType="OFD"><DocBody>'
                          '<DocInfo><DocID>b</DocID><Creator>Producer B</Creator></DocInfo>'
                          f'<DocRoot>Doc_0/Document.xml</DocRoot>{signatures}</DocBody></OFD>')
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


# --------------------------------------------------------------------------- text as outlines

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _glyph_paths(text: str, x_mm: float, base_mm: float, size_mm: float) -> list[str]:
    """``AbbreviatedData`` of each character's outline (mm, y down), from the system's CJK font."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from fontTools.ttLib import TTCollection

    font = TTCollection(FONT).fonts[0]
    cmap, glyphs = font.getBestCmap(), font.getGlyphSet()
    k = size_mm / font["head"].unitsPerEm
    out, x = [], x_mm
    for ch in text:
        name = cmap.get(ord(ch))
        if name is None:
            x += size_mm
            continue
        pen = DecomposingRecordingPen(glyphs)
        glyphs[name].draw(pen)
        pt = lambda p: f"{x + p[0] * k:.3f} {base_mm - p[1] * k:.3f}"  # noqa: E731
        ops = []
        for op, args in pen.value:
            if op == "moveTo":
                ops.append("M " + pt(args[0]))
            elif op == "lineTo":
                ops.append("L " + pt(args[0]))
            elif op == "qCurveTo" and args[-1] is not None:  # quadratic splines: implied on-curve midpoints
                pts = list(args)
                for i in range(len(pts) - 1):
                    end = pts[i + 1] if i == len(pts) - 2 else ((pts[i][0] + pts[i + 1][0]) / 2, (pts[i][1] + pts[i + 1][1]) / 2)
                    ops.append("Q " + pt(pts[i]) + " " + pt(end))
            elif op == "curveTo":
                ops.append("B " + " ".join(pt(p) for p in args))
            elif op == "closePath":
                ops.append("C")
        out.append(" ".join(ops))
        x += glyphs[name].width * k
    return out


def outline_page_ofd(out: Path, lines: list[str], size_mm: float = 7.0) -> Path:
    """A one-page A4 OFD whose ``lines`` are drawn as filled glyph outlines (no text objects)."""
    objs, oid = [], 10
    for i, line in enumerate(lines):
        for data in _glyph_paths(line, 25.0, 40.0 + i * 2 * size_mm, size_mm):
            oid += 1
            objs.append(f'<PathObject ID="{oid}" Boundary="0 0 210 297" Fill="true" Stroke="false">'
                        f'<FillColor Value="0 0 0"/><AbbreviatedData>{data}</AbbreviatedData></PathObject>')
    members = {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><OFD xmlns="{NS}" Version="1.1" DocType="OFD"><DocBody>'
                    '<DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>'),
        "Doc_0/Document.xml": (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><CommonData>'
                               '<MaxUnitID>9999</MaxUnitID><PageArea><PhysicalBox>0 0 210 297</PhysicalBox></PageArea>'
                               '</CommonData><Pages><Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></Pages></Document>'),
        "Doc_0/Pages/Page_0/Content.xml": (f'<?xml version="1.0" encoding="UTF-8"?><Page xmlns="{NS}"><Content>'
                                           f'<Layer ID="2">{"".join(objs)}</Layer></Content></Page>'),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out
