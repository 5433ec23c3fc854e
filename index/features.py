"""Sentencing features read from a case's fact text, each with its evidence span.

What is extracted (all values with the character offsets and snippet they came from):

* ``amount_yuan`` — 涉案金额/数额 in yuan: the largest amount introduced by 共计/合计/
  总计/累计/总价值 when the text gives a total, otherwise the sum of the distinct amounts
  stated. ``amount_max_yuan`` is the largest single amount. Numerals may be Arabic with
  thousands separators, Chinese (三万五千元), or mixed (1.2万元); cn2an converts them.
* ``drug_grams`` — 毒品数量 converted to grams (克, 千克/公斤, 毫克, g, kg), summed over
  the distinct quantities that follow a drug name or 毒品/净重; ``drug_types`` the names.
* ``bac_mg`` — 血液酒精含量 in mg/100ml (醉酒驾驶).
* ``injury_level`` — the gravest injury stated: 0 none, 1 轻微伤, 2 轻伤二级, 3 轻伤一级
  (or 轻伤), 4 重伤二级, 5 重伤一级 (or 重伤), 6 死亡; ``deaths`` people killed when stated.
* ``times`` — the number of acts (X次/X起, 多次 → 3 when no number is given).
* ``circumstances`` — 自首, 坦白, 当庭认罪, 认罪认罚, 立功, 累犯, 前科, 未遂, 中止, 从犯,
  主犯, 退赃退赔, 赔偿, 取得谅解, 刑事和解, 未成年, 醉酒, 多次, 入户, 携带凶器, 扒窃,
  持枪, 数额巨大 … A phrase preceded by a negation (未/无/不/没有/不构成/不属于/不予认定)
  within a few characters is not counted.

The extraction is deterministic regular-expression matching over the text (the fact
sections of judgments are formulaic); it does not depend on the extractors package.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import cn2an


@dataclass
class Span:
    """Where a feature was read: character offsets into the facts and the snippet."""

    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass
class CaseFeatures:
    """The structured features of a case's facts: charges, amounts, drugs, injuries, circumstances."""

    charges: list[str] = field(default_factory=list)
    amount_yuan: float | None = None
    amount_max_yuan: float | None = None
    drug_grams: float | None = None
    drug_types: list[str] = field(default_factory=list)
    bac_mg: float | None = None
    injury_level: int = 0
    deaths: int = 0
    times: int = 0
    circumstances: dict[str, list[Span]] = field(default_factory=dict)
    spans: dict[str, list[Span]] = field(default_factory=dict)

    @property
    def flags(self) -> set[str]:
        return set(self.circumstances)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["circumstances"] = {k: [s.to_json() for s in v] for k, v in self.circumstances.items()}
        d["spans"] = {k: [s.to_json() for s in v] for k, v in self.spans.items()}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "CaseFeatures":
        def spans(m):
            return {k: [Span(**s) for s in v] for k, v in (m or {}).items()}

        return cls(charges=list(d.get("charges") or []), amount_yuan=d.get("amount_yuan"),
                   amount_max_yuan=d.get("amount_max_yuan"), drug_grams=d.get("drug_grams"),
                   drug_types=list(d.get("drug_types") or []), bac_mg=d.get("bac_mg"),
                   injury_level=int(d.get("injury_level") or 0), deaths=int(d.get("deaths") or 0),
                   times=int(d.get("times") or 0), circumstances=spans(d.get("circumstances")),
                   spans=spans(d.get("spans")))

    def summary(self) -> dict[str, Any]:
        """A compact JSON view for reports: values and circumstance names."""
        out: dict[str, Any] = {"circumstances": sorted(self.circumstances)}
        for k in ("amount_yuan", "drug_grams", "bac_mg"):
            v = getattr(self, k)
            if v is not None:
                out[k] = round(v, 2)
        if self.injury_level:
            out["injury"] = INJURY_NAMES[self.injury_level]
        if self.times:
            out["times"] = self.times
        return out


INJURY_NAMES = {0: "无", 1: "轻微伤", 2: "轻伤二级", 3: "轻伤一级", 4: "重伤二级", 5: "重伤一级", 6: "死亡"}

_NUM = r"[0-9０-９零〇一二两三四五六七八九十百千万亿点.,，．]+"
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"

NEGATION = re.compile(r"(?:未|无(?!效|业|故)|不(?!满|足)|没有|并非|否认|不构成|不属于|不属|不予认定|不能认定|不认定|尚未|均无|系初犯、偶犯且无)[^，。；、]{0,6}$")

#: circumstance name → patterns (any match counts, unless negated)
CIRCUMSTANCES: dict[str, tuple[str, ...]] = {
    "自首": (r"自首", r"主动投案", r"自动投案", r"投案自首", r"主动到公安机关投案"),
    "坦白": (r"坦白", r"如实供述"),
    "当庭认罪": (r"当庭自愿认罪", r"当庭认罪", r"庭审中自愿认罪", r"庭审中认罪"),
    "认罪认罚": (r"认罪认罚", r"签署了?认罪认罚具结书"),
    "立功": (r"立功", r"检举揭发", r"协助公安机关抓获"),
    "累犯": (r"累犯",),
    "前科": (r"前科", r"曾因\S{0,30}?被判处", r"曾因\S{0,30}?(?:被|受到)\S{0,10}(?:处罚|处理|拘留|劳动教养)",
             r"刑满释放"),
    "未遂": (r"未遂", r"未得逞", r"意志以外的原因"),
    "中止": (r"犯罪中止", r"自动放弃犯罪"),
    "从犯": (r"从犯", r"起次要作用", r"起辅助作用"),
    "主犯": (r"主犯", r"起主要作用"),
    "退赃退赔": (r"退赃", r"退赔", r"退还\S{0,8}(?:赃款|赃物|款项)", r"赃物已\S{0,4}(?:追回|发还|返还|退还)",
                 r"已\S{0,4}(?:追回|发还)", r"返还\S{0,6}被害"),
    "赔偿": (r"赔偿\S{0,12}(?:损失|经济损失|医疗费|人民币|被害)", r"已赔偿", r"积极赔偿"),
    "取得谅解": (r"谅解",),
    "刑事和解": (r"刑事和解", r"达成\S{0,6}和解"),
    "未成年": (r"未成年", r"未满十八周岁", r"不满十八周岁"),
    "醉酒": (r"醉酒", r"醉驾"),
    "多次": (r"多次", r"先后\S{0,3}[0-9三四五六七八九十]+次"),
    "入户": (r"入户", r"入室"),
    "携带凶器": (r"携带凶器", r"持刀", r"携带\S{0,6}(?:刀|棍|斧)"),
    "扒窃": (r"扒窃",),
    "持枪": (r"持枪", r"枪支"),
    "结伙": (r"伙同", r"结伙", r"共同\S{0,3}(?:实施|作案)"),
    "致人死亡": (r"致\S{0,4}死亡", r"经抢救无效死亡", r"当场死亡"),
    "逃逸": (r"逃逸", r"逃离现场"),
    "数额巨大": (r"数额巨大", r"数额特别巨大"),
    "情节严重": (r"情节严重", r"情节特别严重", r"情节恶劣", r"情节特别恶劣"),
}

_CIRC_RX = {name: re.compile("|".join(f"(?:{p})" for p in pats)) for name, pats in CIRCUMSTANCES.items()}

_MONEY_RX = re.compile(
    r"(?P<pre>共计|合计|总计|累计|总价值|总金额|总额|共|计|价值|折合|金额|数额|获利|骗取|盗得|损失)?"
    r"(?:人民币|现金|赃款)?\s*(?P<num>" + _NUM + r")\s*(?:余|多)?\s*(?P<unit>万余元|万多元|万元|元|万)(?!/)")
_TOTAL_WORDS = ("共计", "合计", "总计", "累计", "总价值", "总金额", "总额", "共")

_DRUGS = ("甲基苯丙胺片剂", "甲基苯丙胺", "海洛因", "冰毒", "麻古", "氯胺酮", "K粉", "大麻", "鸦片", "可卡因",
          "摇头丸", "二亚甲基双氧安非他明", "MDMA", "吗啡", "美沙酮", "曲马多", "甲卡西酮", "毒品")
_DRUG_WORD_RX = re.compile("|".join(map(re.escape, _DRUGS)) + r"|毒品可疑物|疑似毒品")
#: a quantity in grams or another mass unit; "每克" prices have no number and never match
_MASS_RX = re.compile(r"(?P<num>" + _NUM + r")\s*(?:余|多)?\s*(?P<unit>千克|公斤|kg|KG|Kg|克|g|G|毫克|mg)(?![/A-Za-z])")
#: thresholds quoted from the law ("不满十克", "五十克以上") are not quantities of this case
_THRESHOLD_BEFORE = re.compile(r"(?:不满|不足|超过|达到|以上|少于|低于|大于|每)\s*$")
_THRESHOLD_AFTER = re.compile(r"^\s*(?:以上|以下|不满|的标准|的规定)")
#: a total introduced by 共计/合计/总计/累计 within a few characters
_TOTAL_BEFORE = re.compile(r"(?:共计|合计|总计|累计|总重|总净重|共重|共)[^。；]{0,6}$")
DRUG_WINDOW = 30
_BAC_RX = re.compile(r"(?P<num>[0-9０-９.．]+)\s*(?:mg|毫克|MG)\s*/\s*(?:100|一百)\s*(?:ml|毫升|mL|ML)")
_INJURY_RX = re.compile(r"(轻微伤|轻伤一级|轻伤二级|轻伤|重伤一级|重伤二级|重伤|死亡)")
_DEATH_RX = re.compile(r"(?:致|造成)(?P<n>[0-9一二两三四五六七八九十]+)人死亡")
_TIMES_RX = re.compile(r"(?:先后|共|分别|累计|连续)?\s*(?P<n>[0-9一二两三四五六七八九十]+)\s*(?:次|起)")

_INJURY_LEVEL = {"轻微伤": 1, "轻伤二级": 2, "轻伤": 3, "轻伤一级": 3, "重伤二级": 4, "重伤": 5, "重伤一级": 5, "死亡": 6}


def parse_number(text: str) -> float | None:
    """Arabic, Chinese or mixed numerals to a float: ``1,0500`` → 10500, ``三万五千`` → 35000, ``1.2万`` → 12000."""
    s = text.translate(str.maketrans("０１２３４５６７８９．，", "0123456789.,")).strip().strip(".,，")
    s = s.replace(",", "").replace("，", "")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    try:
        v = cn2an.cn2an(s.replace("点", "点"), "smart")
        return float(v)
    except (ValueError, KeyError, TypeError, IndexError):
        m = re.match(r"[0-9.]+", s)
        return float(m.group()) if m else None


def _span(text: str, m: re.Match, group: int | str = 0, pad: int = 8) -> Span:
    s, e = m.span(group)
    return Span(s, e, text[max(0, s - pad):min(len(text), e + pad)])


def _negated(text: str, start: int) -> bool:
    return bool(NEGATION.search(text[max(0, start - 10):start]))


def _money(text: str, spans: list[Span]) -> tuple[float | None, float | None]:
    totals: list[float] = []
    items: list[float] = []
    for m in _MONEY_RX.finditer(text):
        v = parse_number(m.group("num"))
        if v is None or v <= 0:
            continue
        if m.group("unit").startswith("万"):
            v *= 10_000
        ctx = text[max(0, m.start() - 6):m.start()]
        if re.search(r"罚金|判处|处罚款|保证金|工资|月薪|年薪|每月", ctx + (m.group("pre") or "")):
            continue
        spans.append(_span(text, m))
        pre = m.group("pre") or ""
        if pre in _TOTAL_WORDS or any(w in ctx for w in ("共计", "合计", "总计", "累计")):
            totals.append(v)
        items.append(v)
    if not items:
        return None, None
    distinct = list(dict.fromkeys(items))
    total = max(totals) if totals else sum(distinct)
    return max(total, max(items)), max(items)


def _grams(num: float, unit: str) -> float:
    u = unit.lower()
    if u in ("千克", "公斤", "kg"):
        return num * 1000
    if u in ("毫克", "mg"):
        return num / 1000
    return num


def _drugs(text: str, f: CaseFeatures) -> None:
    """毒品数量: masses that sit within ``DRUG_WINDOW`` characters of a drug name (either side,
    across commas but not across a full stop), thresholds quoted from the law left out.

    When the text states a total (共计/合计/总计/累计 …) the largest total is the quantity;
    otherwise the distinct masses are summed (facts repeat the same weighing in several places).
    """
    words = [(m.start(), m.end(), m.group()) for m in _DRUG_WORD_RX.finditer(text)]
    if not words:
        return
    vals: dict[float, Span] = {}
    totals: list[float] = []
    types: set[str] = set()
    for m in _MASS_RX.finditer(text):
        s, e = m.span()
        before, after = text[max(0, s - 8):s], text[e:e + 8]
        if _THRESHOLD_BEFORE.search(before) or _THRESHOLD_AFTER.search(after):
            continue
        near = [w for w in words
                if (w[1] <= s and s - w[1] <= DRUG_WINDOW and "。" not in text[w[1]:s])
                or (w[0] >= e and w[0] - e <= DRUG_WINDOW and "。" not in text[e:w[0]])]
        if not near:
            continue
        v = parse_number(m.group("num"))
        if v is None or v <= 0:
            continue
        g = _grams(v, m.group("unit"))
        if g > 1e7:
            continue
        types.update(w[2] for w in near if w[2] in _DRUGS and w[2] != "毒品")
        vals.setdefault(round(g, 4), _span(text, m))
        if _TOTAL_BEFORE.search(text[max(0, s - 10):s]):
            totals.append(g)
    if not vals:
        return
    summed = sum(vals)
    f.drug_grams = max(totals) if totals else summed
    f.drug_types = sorted(types) or ["毒品"]
    f.spans["drug_grams"] = list(vals.values())[:12]


def extract_features(text: str, charges: list[str] | None = None) -> CaseFeatures:
    """All features of one fact text (see the module docstring)."""
    text = text or ""
    f = CaseFeatures(charges=list(charges or []))
    money_spans: list[Span] = []
    f.amount_yuan, f.amount_max_yuan = _money(text, money_spans)
    if money_spans:
        f.spans["amount_yuan"] = money_spans[:12]

    _drugs(text, f)

    bacs = []
    for m in _BAC_RX.finditer(text):
        v = parse_number(m.group("num"))
        if v is not None and 0 < v < 1000:
            bacs.append((v, _span(text, m)))
    if bacs:
        f.bac_mg = max(v for v, _ in bacs)
        f.spans["bac_mg"] = [s for _, s in bacs]

    inj = []
    for m in _INJURY_RX.finditer(text):
        if _negated(text, m.start()):
            continue
        inj.append((_INJURY_LEVEL[m.group(1)], _span(text, m)))
    if inj:
        f.injury_level = max(v for v, _ in inj)
        f.spans["injury_level"] = [s for v, s in inj if v == f.injury_level][:3]
    deaths = [parse_number(m.group("n")) or 0 for m in _DEATH_RX.finditer(text)]
    if deaths:
        f.deaths = int(max(deaths))
    elif f.injury_level == 6:
        f.deaths = 1

    times = []
    for m in _TIMES_RX.finditer(text):
        n = parse_number(m.group("n"))
        if n and 1 < n < 500 and (m.group(0).startswith(("先后", "共", "累计", "连续", "分别")) or "作案" in text[m.end():m.end() + 4]):
            times.append((int(n), _span(text, m)))
    if times:
        f.times = max(n for n, _ in times)
        f.spans["times"] = [s for n, s in times if n == f.times][:3]

    for name, rx in _CIRC_RX.items():
        hits = [_span(text, m) for m in rx.finditer(text) if not _negated(text, m.start())]
        if hits:
            f.circumstances[name] = hits[:5]
    if f.bac_mg is not None and f.bac_mg >= 80 and "醉酒" not in f.circumstances:
        f.circumstances["醉酒"] = f.spans["bac_mg"][:1]
    if f.times >= 3 and "多次" not in f.circumstances:
        f.circumstances["多次"] = f.spans["times"][:1]
    if "多次" in f.circumstances and not f.times:
        f.times = 3
    return f


def log1p(v: float | None) -> float:
    return math.log1p(v) if v else 0.0
