"""Evidence fields: what kind of evidence a document is, the evidence lists of the
起诉意见书/起诉书/判决书, and the suspect's stance (供认/否认) as each document records it.

The eight kinds are those of 刑事诉讼法第五十条 (:mod:`models.evidence`). A document of an
evidence type (鉴定意见书, 询问笔录, 勘验检查笔录 …, declared in ``extractors/forms``) gets
``evidence_kind`` and ``evidence_subject``; a document that lists the evidence
(``认定上述事实的证据如下：1.…``, ``有……等证据证实``) gets ``evidence_list``, one entry per
listed item with the kinds its words name. :func:`mention_kinds` is the one place that
maps words to kinds (also used by ``bench/evidence_kinds.py`` on real facts).

Stance: a 讯问笔录 answer that admits (``是我偷的``, ``我承认``) or denies (``我没有偷``,
``不是我干的``, ``我不认罪``); a 起诉书/判决书 that says ``拒不供认``, ``否认``, ``不认罪`` or
``辩称……没有`` — a negated denial (``没有否认``, ``不否认``, ``并未否认``) is not a denial.
"""

from __future__ import annotations

import re
from typing import Any

from models import Field, vocab
from models import evidence as E

from extractors.fields import Extraction
from extractors.text import DocText

# ----------------------------------------------------------------------------- kinds of mentions

_KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    (E.STATEMENT, r"(?:犯罪嫌疑人|被告人|被不起诉人|嫌疑人)[^，。；、：:\n]{0,8}?(?:的)?(?:(?<!如实)供述(?!自己|了?(?:其|全部|主要)?(?:犯罪|罪行)|[^，。；]{0,4}不讳)|辩解|供认(?!不讳))"
                  r"|供述(?:和|与|及)辩解|讯问笔录|(?<!如实)(?<!均)供述(?!自己|了?(?:其|全部|主要)?(?:犯罪|罪行)|[^，。；]{0,4}不讳)"),
    (E.VICTIM, r"被害(?:人|单位)[^，。；、：:\n]{0,10}?的?(?:陈述|证实|指认|控诉)|被害人陈述"),
    (E.WITNESS, r"证言|证人[^，。；、：:\n]{0,10}?(?:证实|陈述|证明|指认)|证人证言"),
    (E.EXPERT, r"鉴定意见|鉴定结论|鉴定书|鉴定报告|检验报告|检验鉴定|司法鉴定|经(?:[^，。；]{0,12})?(?:鉴定|检验|化验|检测)|鉴定为|价格认定|价格鉴定|价格鉴证|"
               r"估价|物价(?:局|部门)[^，。；]{0,6}(?:认定|鉴定|评估)|尸体检验|尸检|法医|酒精含量|检出[^，。；]{0,12}成分|损伤程度|伤情鉴定|"
               r"认证中心|评估报告|检验意见"),
    (E.RECORDS, r"勘验|勘查|检查笔录|辨认|指认|侦查实验|搜查笔录|扣押笔录|称量|提取笔录|现场图|现场照片|现场方位图|检查记录"),
    (E.AUDIOVISUAL, r"视听资料|电子数据|电子证据|监控(?:录像|视频|截图|资料|画面|显示)?|录像|录音|视频|聊天记录|微信(?:聊天|记录|截图)|"
                    r"短信|截图|QQ(?:聊天|记录)|手机数据|执法记录仪"),
    (E.DOCUMENTARY, r"书证|户籍(?:证明|信息|材料|资料|登记|查询)|户口(?:信息|簿|本)|身份(?:证明|信息|材料)|常住人口|人口信息|出生证明|死亡证明|受案登记|立案决定|到案经过|抓获经过|归案经过|"
                    r"破案经过|发破案经过|扣押(?:物品|财物)?(?:、文件)?(?:清单|决定书)|发还(?:物品|财物)?清单|领取(?:清单|单|条)|收条|借条|欠条|"
                    r"合同|协议书?|发票|收据|票据|银行[^，。；、]{0,6}(?:流水|明细|记录|凭证)|交易(?:记录|明细)|转账(?:记录|凭证)|通话(?:记录|清单|详单)|"
                    r"前科|刑事判决书|行政处罚决定书|情况说明|说明材料|工作说明|证明材料|事故认定书|交通事故认定|责任认定|诊断证明|病历|"
                    r"出院(?:记录|小结)|谅解书|驾驶证|行驶证|营业执照|登记表|呼气酒精|酒精检测|车辆信息|机动车信息|记账|账本|协议"),
    (E.PHYSICAL, r"物证|作案工具|凶器|赃物|赃款|毒品实物|(?<!辨认)(?<!现场)(?<!截图)照片|扣押(?:在案)?的[^，。；、]{0,8}(?:物品|工具|刀|手机|车辆|毒品)|"
                 r"查获的?[^，。；、]{0,6}(?:毒品|工具|刀具)|血迹|指纹|痕迹物证"),
)
_KIND_RE = tuple((k, re.compile(p)) for k, p in _KIND_PATTERNS)


def mention_kinds(text: str) -> list[str]:
    """The kinds of evidence a piece of text names, in statute order (``户籍证明等书证`` → 书证)."""
    found = {k for k, rx in _KIND_RE if rx.search(text)}
    return [k for k in E.KINDS if k in found]


def mention_spans(text: str) -> list[tuple[str, int, int]]:
    """Every (kind, start, end) mention in ``text`` (for the bench and for evidence spans)."""
    out = []
    for k, rx in _KIND_RE:
        out += [(k, m.start(), m.end()) for m in rx.finditer(text)]
    return sorted(out, key=lambda t: t[1])


# ----------------------------------------------------------------------------- evidence lists

#: ``认定上述事实的证据如下：``, ``上述事实有下列证据证实：``, ``证据有：``
_LIST_HEAD = re.compile(r"(?:认定|证明|证实)(?:上述|以上|前述)?(?:犯罪)?事实的?(?:主要)?证据(?:如下|有|包括)?[：:]|"
                        r"(?:上述|以上)(?:犯罪)?事实[，,]?有(?:下列|以下|如下)证据(?:证实|证明|予以证实)?[：:]|"
                        r"(?:^|[\n。])证据(?:如下|有)[：:]")
#: the end of a numbered list: the prosecutor's or court's conclusion
_LIST_END = re.compile(r"上述证据|以上证据|上述犯罪事实|上述事实清楚|本院认为|综上所述|综上，|犯罪事实清楚|此致|\f\s*$")
#: the judgment style ``……有……等证据证实`` (one sentence)
_INLINE = re.compile(r"(?:上述|以上|前述)?(?:犯罪)?事实[^。]{0,40}?(?:并|且|另)?有([^。]{4,700}?)等(?:证据|书证|材料)?(?:予以)?(?:证实|证明|佐证|在案|为证)")
_ITEM = re.compile(r"(?:^|(?<=[；;。\n\s：:]))\s*(?:[（(]?(\d{1,2})[）)]|(\d{1,2})[.．、](?!\d))")


def evidence_list(s: str) -> list[tuple[int, int, int | None, str]]:
    """Items of the evidence list(s) in ``s``: (start, end, number, text)."""
    items: list[tuple[int, int, int | None, str]] = []
    for h in _LIST_HEAD.finditer(s):
        start = h.end()
        end_m = _LIST_END.search(s, start)
        end = end_m.start() if end_m else min(len(s), start + 1500)
        end = min(end, start + 2500)
        items += _split_items(s, start, end)
    if not items:
        for m in _INLINE.finditer(s):
            body_start, body_end = m.start(1), m.end(1)
            for a, b in _split_plain(s, body_start, body_end):
                items.append((a, b, None, s[a:b]))
    return items


def _split_items(s: str, start: int, end: int) -> list[tuple[int, int, int | None, str]]:
    marks = [m for m in _ITEM.finditer(s, start, end)]
    if len(marks) < 2:
        return [(a, b, None, s[a:b]) for a, b in _split_plain(s, start, end)]
    out = []
    for i, m in enumerate(marks):
        a = m.end()
        b = marks[i + 1].start() if i + 1 < len(marks) else end
        text = s[a:b].strip(" \n\t\f；;。，,")
        if text:
            out.append((a, a + len(text), int(m.group(1) or m.group(2)), re.sub(r"[\n\f\t]", "", text)))
    return out


def _split_plain(s: str, start: int, end: int) -> list[tuple[int, int]]:
    """An unnumbered list split at ；、 (kept whole when a piece names no kind)."""
    out = []
    pos = start
    for m in re.finditer(r"[；;、，,]|$", s[start:end]):
        a, b = pos, start + m.start()
        if b > a and s[a:b].strip():
            out.append((a, b))
        pos = start + m.end()
    return out


# ----------------------------------------------------------------------------- stance

_NEG = re.compile(r"(?:没有|没|未曾|未|并未|从未|不|无|并不|毫不)$")
_DENY_DOC = re.compile(r"拒不(?:供认|认罪|承认|交代)|否认(?!.{0,2}指控的事实和证据没有异议)|不认罪|不承认|翻供|推翻(?:了)?[^。，；]{0,6}供述|"
                       r"(?:被告人|犯罪嫌疑人|其)[\u4e00-\u9fff]{0,4}辩称[^。；]{0,30}?(?:没有|未|不是|并非|不知道?|无罪|系正当防卫)")
_ADMIT_DOC = re.compile(r"如实供述|供认不讳|自愿认罪|认罪认罚|对(?:公诉机关)?指控的?(?:犯罪)?事实(?:和证据|及证据|、罪名)?(?:没有|无)异议|"
                        r"(?:当庭|庭审中|到案后)?(?:亦|均)?(?:供认|承认)了?(?:上述|全部|其)?(?:犯罪)?(?:事实|罪行)")
_RETRACT_DOC = re.compile(r"翻供|推翻(?:了)?[^。，；]{0,6}(?:供述|口供)")
_ACT = r"(?:偷|盗|拿|抢|打|砍|捅|刺|杀|骗|卖|贩|运|吸|喂|开(?:了|的)?车|驾驶|喝(?:了)?酒|伤|强奸|碰|动手|踢|烧|砸|拿走|收|藏|做|干|参与|参加)"
_DENY_ANS = re.compile(rf"我(?:根本|从来|确实|真的)?(?:没有|没|未|从未){_ACT}|不是我{_ACT}?|我不(?:承认|认罪|知道(?:是|那是)?(?:毒品|赃物|偷来|抢来))|"
                       rf"我是冤枉的|冤枉|没有(?:这回事|这件事|这事|干过|做过)|我否认|不属实|我没有犯罪|与我无关|跟我没有?关系")
_ADMIT_ANS = re.compile(rf"(?<![不没未])(?:我承认|我认罪|是我[^，。；不没]{{0,6}}?{_ACT}|我{_ACT}了|属实|如实供述|我交代|供认|认罪认罚|我愿意认罪)")
_ANSWER = re.compile(r"答[：:]([^\n]*?)(?=问[：:]|\n|$)")


def _negated(s: str, pos: int) -> bool:
    return bool(_NEG.search(s[max(0, pos - 4):pos]))


def answer_stance(s: str) -> tuple[str | None, tuple[int, int] | None]:
    """The stance of a transcript's answers: 否认 when an answer denies and none admits, 供认 when one admits."""
    admit = deny = None
    for a in _ANSWER.finditer(s):
        seg, base = a.group(1), a.start(1)
        for m in _DENY_ANS.finditer(seg):
            deny = deny or (base + m.start(), base + m.end())
        for m in _ADMIT_ANS.finditer(seg):
            if m.group(0) == "属实" and _negated(seg, m.start()):
                continue
            if not _DENY_ANS.search(seg[max(0, m.start() - 3):m.end()]):
                admit = admit or (base + m.start(), base + m.end())
    if admit:
        return E.ADMITS, admit
    if deny:
        return E.DENIES, deny
    return None, None


def document_stance(s: str) -> tuple[str | None, tuple[int, int] | None, tuple[int, int] | None]:
    """(stance, its span, retraction span) read from a 起诉书/判决书/起诉意见书; negated denials ignored."""
    deny = admit = retract = None
    for m in _DENY_DOC.finditer(s):
        if _negated(s, m.start()) or s[m.end():m.end() + 2] in ("认罪", "认罚"):
            continue
        if "辩护人" in s[max(0, m.start() - 6):m.start()]:
            continue
        deny = deny or (m.start(), m.end())
    for m in _ADMIT_DOC.finditer(s):
        if not _negated(s, m.start()):
            admit = admit or (m.start(), m.end())
    for m in _RETRACT_DOC.finditer(s):
        if not _negated(s, m.start()):
            retract = retract or (m.start(), m.end())
    if deny and not admit:
        return E.DENIES, deny, retract
    if admit and not deny:
        return E.ADMITS, admit, retract
    if deny and admit:  # both: the later statement (a 判决书 that quotes the 起诉书) decides
        return (E.DENIES, deny, retract) if deny[0] > admit[0] else (E.ADMITS, admit, retract)
    return None, None, retract


# ----------------------------------------------------------------------------- the annotator

_VICTIM_HEAD = re.compile(r"(?:被询问人|询问对象)?(?:身份|类别)[：:]?\s*被害人|[（(]被害人[）)]|被害人[\u4e00-\u9fff]{0,4}(?:陈述|询问)|询问被害人")
_SUBJECT = re.compile(r"(?:委托鉴定事项|鉴定事项|检验事项|鉴定要求|认定事项|价格认定事项|委托事项|检查事项)[：:]\s*([^\n。]{2,40})")
_WITHOUT_PARTY = (vocab.INQUIRY_RECORD, vocab.EXPERT_OPINION, vocab.PRICE_ASSESSMENT, vocab.IDENTIFICATION_RECORD,
                  vocab.IDENTITY_PROOF, vocab.PHOTOS)
_VOLUME = re.compile(r"证据(?:材料)?卷|诉讼证据卷|证据材料")


_SCREENSHOT = re.compile(r"截图|截屏|监控|视频|录像|聊天|转账记录")
_OBJECT_PHOTO = re.compile(r"物品|物证|赃|工具|现场|作案|扣押|毒品|车辆|痕迹|案发地")


def photo_kind(title: str) -> str | None:
    """The kind a photo sheet is by its title: screenshots are 视听资料、电子数据, photos of objects or
    the scene 物证; a portrait of a person (体貌特征照片) is no kind of evidence."""
    if _SCREENSHOT.search(title or ""):
        return E.AUDIOVISUAL
    if _OBJECT_PHOTO.search(title or ""):
        return E.PHYSICAL
    return None


def extract(text: DocText, doc_type: str, title: str, fields: dict[str, Field]) -> dict[str, Field]:
    """The evidence fields of one document, added to ``fields`` (returned)."""
    x = Extraction(text, doc_type, title)
    s = x.s
    kind = E.TYPE_KIND.get(doc_type)
    if doc_type == vocab.PHOTOS:
        kind = photo_kind(title)
    if kind and doc_type != vocab.INTERROGATION:
        if doc_type == vocab.INQUIRY_RECORD and (("被害人" in title) or _VICTIM_HEAD.search(s[:800])):
            kind = E.VICTIM
        x.put(E.EVIDENCE_KIND, kind, (0, min(len(s), len(title) or 10)))
        m = _SUBJECT.search(s)
        subject = m.group(1).strip() if m else (title or doc_type)
        x.put(E.EVIDENCE_SUBJECT, subject, (m.start(1), m.end(1)) if m else (0, min(len(s), 10)))
        if doc_type in _WITHOUT_PARTY:  # the person here is a witness, victim or person examined, not the suspect
            fields.pop(vocab.SUSPECT_NAME, None)
            fields.pop(vocab.PERSONS, None)
    if doc_type == vocab.INTERROGATION:
        stance, span = answer_stance(s)
        if stance:
            x.put(E.STANCE, stance, span)
            x.put(E.STANCE_TEXT, s[span[0]:span[1]], span)
    if doc_type in E.LIST_TYPES:
        items = evidence_list(s)
        value: list[dict[str, Any]] = []
        spans = []
        for a, b, no, item in items:
            kinds = mention_kinds(item)
            if not kinds:
                continue
            page = x.t.evidence(a, b).page
            value.append({"no": no, "text": item[:120], "kinds": kinds, "page": page})
            spans.append((a, b))
        if value:
            x.put(E.EVIDENCE_LIST, value, spans)
        listed = [(a, b) for a, b, _, _ in items]
        mentions: list[dict[str, Any]] = []
        mspans = []
        for kind, a, b in mention_spans(s):
            if kind == E.STATEMENT or any(la <= a < lb for la, lb in listed):
                continue
            lo, hi = max(0, a - 12), min(len(s), b + 12)
            snippet = re.sub(r"[\n\f\t]", "", s[lo:hi])
            if not any(m["kind"] == kind and m["text"] == snippet for m in mentions):
                mentions.append({"kind": kind, "text": snippet, "page": x.t.evidence(a, b).page})
                mspans.append((a, b))
        if mentions:
            x.put(E.EVIDENCE_MENTIONS, mentions[:40], mspans)
        stance, span, retract = document_stance(s)
        if stance:
            x.put(E.STANCE, stance, span)
            x.put(E.STANCE_TEXT, s[span[0]:span[1]], span)
        if retract:
            x.put(E.RETRACTED, True, retract)
    if doc_type == vocab.VOLUME_INDEX or _VOLUME.search(text.file or ""):
        m = _VOLUME.search(s[:400]) if doc_type == vocab.VOLUME_INDEX else None
        if m or _VOLUME.search(text.file or ""):
            x.put(E.EVIDENCE_VOLUME, True, (m.start(), m.end()) if m else (0, min(len(s), 10)))
    for k, v in x.fields.items():
        fields.setdefault(k, v)
    return fields
