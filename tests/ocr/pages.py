"""Rendered test pages for OCR and vision tests: a 起诉书 page, a 讯问笔录 page and
synthetic marks (red seal ring with text, red fingerprint, pen-stroke signature)."""

from __future__ import annotations

import math
import random
from pathlib import Path

SANS = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
KAI = "/usr/share/fonts/truetype/arphic/ukai.ttc"

INDICTMENT = [
    "北京市朝阳区人民检察院",
    "起诉书",
    "京朝检刑诉〔2024〕123号",
    "被告人张明，男，1990年3月15日出生，公民身份号码110105199003150031，",
    "汉族，高中文化，无业，户籍所在地北京市朝阳区建国路88号。因涉嫌盗窃罪，",
    "于2024年1月10日被北京市公安局朝阳分局刑事拘留，同年2月8日经本院批准逮捕。",
    "本案由北京市公安局朝阳分局侦查终结，以被告人张明涉嫌盗窃罪，于2024年",
    "3月1日向本院移送审查起诉。本院受理后，于同日告知被告人有权委托辩护人。",
    "经依法审查查明：",
    "2023年12月5日14时许，被告人张明在本市朝阳区某商场内，趁被害人李华不备，",
    "窃取其放在柜台上的苹果牌手机一部，经鉴定价值人民币5800元。",
    "本院认为，被告人张明以非法占有为目的，秘密窃取他人财物，数额较大，其行为",
    "触犯了《中华人民共和国刑法》第二百六十四条，犯罪事实清楚，证据确实、充分，",
    "应当以盗窃罪追究其刑事责任。被告人张明自愿认罪认罚，建议判处有期徒刑八个月，",
    "并处罚金人民币三千元。根据《中华人民共和国刑事诉讼法》第一百七十六条的规定，",
    "提起公诉，请依法判处。",
    "此致",
    "北京市朝阳区人民法院",
    "检察官：王立新",
    "二〇二四年三月二十日",
]

TRANSCRIPT = [
    "讯问笔录",
    "时间：2024年1月10日15时20分至2024年1月10日16时40分",
    "地点：北京市公安局朝阳分局执法办案中心",
    "讯问人：刘强、陈东    工作单位：北京市公安局朝阳分局",
    "记录人：陈东",
    "被讯问人：张明",
    "问：我们是北京市公安局朝阳分局的民警，现依法对你进行讯问，你听清楚了吗？",
    "答：听清楚了。",
    "问：你因何事被传唤到公安机关？",
    "答：因为我在商场偷了别人的手机。",
    "以上笔录我看过，和我说的相符。",
]


def _font(canvas_mod):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", SANS, subfontIndex=0))
        pdfmetrics.registerFont(TTFont("KAI", KAI, subfontIndex=0))


def seal(c, cx: float, cy: float, r: float = 60, text: str = "北京市朝阳区人民检察院") -> None:
    """A red round seal: ring, star, arc text."""
    c.saveState()
    c.setStrokeColorRGB(0.86, 0.08, 0.1)
    c.setFillColorRGB(0.86, 0.08, 0.1)
    c.setLineWidth(3)
    c.circle(cx, cy, r, stroke=1, fill=0)
    star = []
    for k in range(10):
        rad = (r * 0.25 if k % 2 == 0 else r * 0.1)
        a = math.pi / 2 + k * math.pi / 5
        star.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    p = c.beginPath()
    p.moveTo(*star[0])
    for pt in star[1:]:
        p.lineTo(*pt)
    p.close()
    c.drawPath(p, fill=1, stroke=0)
    c.setFont("WQY", r * 0.2)
    n = len(text)
    for i, ch in enumerate(text):
        a = math.radians(210 - i * 240 / max(n - 1, 1))
        c.saveState()
        c.translate(cx + r * 0.75 * math.cos(a), cy + r * 0.75 * math.sin(a))
        c.rotate(math.degrees(a) - 90)
        c.drawCentredString(0, -r * 0.07, ch)
        c.restoreState()
    c.restoreState()


def fingerprint(c, cx: float, cy: float, rng: random.Random, w: float = 22, h: float = 30) -> None:
    """A red finger-print: concentric, slightly wobbly elliptic ridges."""
    c.saveState()
    c.setStrokeColorRGB(0.8, 0.1, 0.12)
    for k in range(1, 12):
        c.setLineWidth(rng.uniform(0.9, 1.4))
        rx, ry = w / 2 * k / 11, h / 2 * k / 11
        p = c.beginPath()
        for j in range(41):
            a = 2 * math.pi * j / 40
            wob = 1 + 0.05 * math.sin(5 * a + k)
            pt = (cx + rx * wob * math.cos(a), cy + ry * wob * math.sin(a))
            p.moveTo(*pt) if j == 0 else p.lineTo(*pt)
        c.drawPath(p, stroke=1, fill=0)
    c.restoreState()


def signature(c, x: float, y: float, name: str, rng: random.Random, size: float = 20) -> None:
    """A handwritten-looking signature: the name in the kai font, slanted, with pen strokes."""
    c.saveState()
    c.setFillColorRGB(0.05, 0.05, 0.15)
    c.setStrokeColorRGB(0.05, 0.05, 0.15)
    c.translate(x, y)
    c.rotate(rng.uniform(-6, 6))
    c.setFont("KAI", size)
    c.drawString(0, 0, name)
    c.setLineWidth(1.1)
    p = c.beginPath()
    p.moveTo(-4, -4)
    p.curveTo(size * 0.8, -9, size * 1.6, 3, size * len(name) + 6, -2)
    c.drawPath(p, stroke=1, fill=0)
    c.restoreState()


def render(path: Path, lines: list[str], marks: bool = False, seed: int = 0, size: float = 12,
           seal_over_text: bool = False) -> dict:
    """Render an A4 page of ``lines`` (title centred); with ``marks`` add a seal over the
    检察官/date block, a fingerprint and a signature. Returns where the marks went (points,
    top-left origin)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _font(canvas)
    rng = random.Random(seed)
    W, H = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    y = H - 80
    placed: dict = {"lines": []}
    for i, text in enumerate(lines):
        s = size * 1.5 if i < 2 and len(text) < 14 else size
        c.setFont("WQY", s)
        if len(text) < 14 and i < 3:
            c.drawCentredString(W / 2, y, text)
        elif text.startswith(("检察官", "二〇")):
            c.drawRightString(W - 90, y, text)
        else:
            c.drawString(72, y, text)
        placed["lines"].append((text, H - y))
        y -= s * 2.0
    if marks:
        sy = H - y - 60 if seal_over_text else 140
        cx, cy = W - 150, H - sy
        seal(c, cx, cy)
        placed["seal"] = (cx - 60, sy - 60, cx + 60, sy + 60)
        fingerprint(c, 200, 120, rng)
        placed["fingerprint"] = (189, H - 135, 211, H - 105)
        signature(c, 90, 140, "张明", rng)
        placed["signature"] = (86, H - 162, 140, H - 118)
    c.showPage()
    c.save()
    return placed
