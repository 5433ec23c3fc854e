"""Real judgment openings (``../shared/data/lecardv2/queries.jsonl``) laid out as the documents they
come from and written as DOCX and text-layer PDF.

The data set keeps each opening as one run of text (China Judgments Online's page title, the
court, the title, the 案号 and the paragraphs run together). :func:`paragraphs` restores the
layout of the document: the court and the title on their own lines, the 案号 line, then one
paragraph per party block and per section (公诉机关…, 被告人…, 辩护人…, 经审理查明…, 本院认为…).
The page title of the website (``张三、李四盗窃一审刑事判决书``), which a copy from the website
starts with, is kept as the first line. Nothing else is changed: the words are the court's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
QUERIES = SHARED / "data" / "lecardv2" / "queries.jsonl"

#: The website's page title before the court: 张三、李四盗窃一审刑事判决书.
_PAGE_TITLE = re.compile(r"^.{0,80}?刑事(?:附带民事)?(?:判决|裁定)书(?=[\u4e00-\u9fff]{2,30}?人民法院)")
_HEAD = re.compile(r"(?P<court>[\u4e00-\u9fff]{2,30}?人民法院)\s*(?P<title>刑事(?:附带民事)?(?:判决|裁定)书)"
                   r"(?P<note>[（(][^（()）]{1,10}[）)])?\s*(?P<number>[（(]\d{4}[）)][^，。；：:\s]{2,24}?号)[：:]?")
#: Where a new paragraph starts: a party block or a section of the judgment.
_PARAGRAPH = re.compile(r"(?<=[。：:])(?=(?:公诉机关|原公诉机关|抗诉机关|自诉人|被告单位|诉讼代表人|被告人|上诉人|原审被告人|辩护人|"
                        r"委托代理人|诉讼代理人|法定代理人|[\u4e00-\u9fff]{2,20}人民检察院以|[\u4e00-\u9fff]{2,20}人民法院审理|"
                        r"经审理查明|审理查明|原判认定|公诉机关指控|[\u4e00-\u9fff]{2,20}人民检察院指控|本院认为|上述事实|"
                        r"认定上述事实|针对上述指控))"
                        r"|(?<=[^。：:\n])(?=经审理查明|本院认为)")


def load(ids: list[int] | None = None) -> dict[int, str]:
    """``{id: opening text}`` of the shared LeCaRDv2 queries (all, or those of ``ids``)."""
    out = {}
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if ids is None or row["id"] in ids:
                out[row["id"]] = row["query"]
    return out


def paragraphs(query: str) -> list[str]:
    """The opening as the document's lines: court, title, 案号, then the paragraphs."""
    page = _PAGE_TITLE.match(query)
    skip = page.end() if page else 0
    m = _HEAD.search(query, skip, skip + 600)
    if not m:
        return [p for p in _PARAGRAPH.split(query) if p]
    lines = [query[:m.start()].strip()] if query[:m.start()].strip() else []
    lines += [m.group("court"), m.group("title")]
    if m.group("note"):
        lines.append(m.group("note"))
    lines.append(m.group("number"))
    body = query[m.end():].strip()
    lines += [p.strip() for p in _PARAGRAPH.split(body) if p and p.strip()]
    return lines


def write_docx(lines: list[str], path: Path) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    head = _head_lines(lines)
    for i, text in enumerate(lines):
        p = doc.add_paragraph(text)
        if i < head:
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if _NUMBER_LINE.fullmatch(text) else WD_ALIGN_PARAGRAPH.CENTER
    doc.save(str(path))
    return path


_NUMBER_LINE = re.compile(r"[（(]\d{4}[）)]\S+号")


def _head_lines(lines: list[str]) -> int:
    """How many lines form the head (page title, court, title, note, 案号)."""
    for i, text in enumerate(lines[:6]):
        if _NUMBER_LINE.fullmatch(text):
            return i + 1
    return 0


def write_pdf(lines: list[str], path: Path) -> Path:
    """A text-layer A4 PDF through the fixture renderer: the head lines centred (the 案号 right-aligned),
    the paragraphs wrapped with a two-character indent."""
    import random

    from fixtures.documents import Doc, L, N, P, T
    from fixtures.render import render_pdf

    lines = [_drawable(t) for t in lines]
    head = _head_lines(lines)
    blocks = [N(t) if _NUMBER_LINE.fullmatch(t) else T(t, 16 if t.startswith("刑事") else 14) for t in lines[:head]]
    blocks += [P(t) if len(t) > 30 else L(t) for t in lines[head:]]
    render_pdf([Doc(key="判决书", type="判决书", title="判决书", blocks=blocks, fields={})], path, random.Random(0))
    return path


def _drawable(text: str) -> str:
    """``text`` with the characters the test font lacks (rare ones such as 䎋) shown as □: reportlab maps
    a missing glyph to code 0 of the font subset, which breaks that subset's text layer."""
    from reportlab.pdfbase import pdfmetrics

    from fixtures.render import SANS, register_fonts

    register_fonts()
    glyphs = pdfmetrics.getFont(SANS).face.charToGlyph
    return "".join(c if ord(c) in glyphs or c.isspace() else "□" for c in text)
