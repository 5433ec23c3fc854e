"""Evidence rules (EVD-0NN, defined in ``checks/rules_local.yaml``): checklist items per charge and
the 零口供 / 翻供 risk hints. The assessment itself lives in :mod:`checks.evidence`."""

from __future__ import annotations

from models import CaseFile
from models import vocab as V
from models import evidence as E

from checks.engine import Context, Rule, register
from checks.evidence import (KIND_SHORT, SOURCE_ZH, STATE_ZH, ItemResult, assess_items, completeness, confession_pattern,
                             inventory)


def _basis_text(r: ItemResult) -> str:
    b = r.item.basis
    if not b:
        return ""
    return f"依据：{b.law}{b.article or ''}“{b.quote}”"


def _item_label(r: ItemResult) -> str:
    head = f"{r.charge}·" if r.charge else ""
    return f"{head}{r.element}：{r.item.name}"


def _kinds(r: ItemResult) -> str:
    return "、".join(r.item.kinds)


def element_lines(results: list[ItemResult]) -> list[str]:
    """Per element, the evidence other than the suspect's statement that carries it (Chinese lines)."""
    lines: list[str] = []
    groups: dict[tuple[str, str], list[ItemResult]] = {}
    for r in results:
        if r.state == "n/a":
            continue
        groups.setdefault((r.charge, r.element), []).append(r)
    for (charge, element), rs in groups.items():
        seen = []
        for r in rs:
            if r.state == "found":
                where = "、".join(dict.fromkeys(SOURCE_ZH[e.source] for e in r.entries))
                seen.append(f"{r.item.name}（{where}）")
        missing = [r.item.name for r in rs if r.state != "found"]
        head = f"{charge}·{element}" if charge else element
        text = f"{head}：已见{'、'.join(seen) if seen else '无'}"
        if missing:
            text += f"；未见或待核实{'、'.join(missing)}"
        lines.append(text)
    return lines


@register
class EVD001(Rule):
    """法定证明要件缺少相应证据：罪名证据清单中标为“法定”的项目，卷内材料和证据清单均未见该类证据。

    检查内容：按案件罪名取证据清单（checks/evidence/checklists.yaml），对标为法定（statutory，其依据条文写明了该证明要件）的项目，核对卷内证据材料（鉴定意见书、询问笔录、勘验检查笔录等）、起诉书/起诉意见书/判决书的证据清单及其事实部分提及的证据。卷宗含证据卷或识别到证据清单（完整到足以判断）而该项所属种类的证据全无时报问题；卷宗不完整、或只在事实部分提及、或同类证据存在但未能确认内容时，作提示请人工核实。
    为何是问题：刑事诉讼法第五十五条要求定罪量刑的事实都有证据证明；醉酒驾驶缺血液酒精含量鉴定、故意伤害缺人体损伤程度鉴定、毒品犯罪缺成分鉴定，构成要件即无证据支撑。
    违规示例：危险驾驶罪（醉酒驾驶）案件，起诉书证据清单列有书证、证人证言、被告人供述和辩解、视听资料，未列任何鉴定意见，卷内也无血液酒精含量检验报告。
    规范示例：证据清单列明“血液酒精含量检验报告（鉴定意见）”，或卷内有对应的鉴定意见书。
    """

    id = "EVD-001"
    roles = (V.ROLE_CASE, V.ROLE_EVIDENCE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        entries = inventory(case)
        results = assess_items(case, entries)
        if not results:
            ctx.warn("未识别到有证据清单的罪名，无法核验证据。")
            return
        comp = completeness(case, entries)
        unsure: list[ItemResult] = []
        for r in results:
            if r.item.status != "statutory" or r.state in ("found", "n/a"):
                continue
            if comp.complete and r.state == "absent":
                ev = comp.evidence or [case.documents[0].first_evidence()]
                ctx.report(f"{_item_label(r)}：{comp.reason}，但卷内材料和证据清单均未见{_kinds(r)}类证据。{_basis_text(r)}",
                           ev, key=f"{r.charge}|{r.item.id}",
                           grounds=[comp.reason, f"查找的证据种类：{_kinds(r)}", f"识别到的证据共{len(entries)}项"])
            else:
                unsure.append(r)
        if unsure:
            parts = []
            for r in unsure:
                why = {"absent": "未见", "mentioned": "仅在文书事实部分提及、未见于卷内或证据清单",
                       "unclear": f"见到{_kinds(r)}类证据，但未能确认其内容"}[r.state]
                parts.append(f"{_item_label(r)}（{why}）")
            cond = "" if comp.complete else f"{comp.reason}，无法判断是否缺少；"
            ev = [e.evidence() for r in unsure for e in r.entries[:1]] or [case.documents[0].first_evidence()]
            ctx.hint(f"{cond}请人工核实以下法定证明要件的证据：{'；'.join(parts)}。", ev, key="statutory-unsure")


@register
class EVD002(Rule):
    """常规证据未见：罪名证据清单中标为“实践”的项目在卷内和证据清单中未见（仅提示，不计分）。

    检查内容：卷宗完整到足以判断（含证据卷或识别到证据清单）时，对证据清单中标为实践（practice）的项目（如盗窃案的被害人陈述、扣押发还清单，交通肇事案的现场勘查笔录）核对卷内材料和证据清单；未见或未能确认的，合并为一条提示。卷宗不完整时不作此提示。
    为何是问题：这些证据没有条文逐项要求，但通常用于证明相应要件；缺少时证据链可能不完整，需要人工判断是否应当补充。
    违规示例：诈骗案证据清单只列被告人供述和辩解、书证，未列被害人陈述。
    规范示例：证据清单列有被害人陈述、转账记录等，与供述相互印证。
    """

    id = "EVD-002"
    roles = (V.ROLE_CASE, V.ROLE_EVIDENCE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        entries = inventory(case)
        results = assess_items(case, entries)
        comp = completeness(case, entries)
        if not results or not comp.complete:
            return
        missing = [r for r in results if r.item.status == "practice" and r.state in ("absent", "unclear")]
        if missing:
            names = "；".join(f"{_item_label(r)}（{STATE_ZH[r.state]}）" for r in missing)
            ctx.hint(f"{comp.reason}；以下常规证据未见或未能确认，请人工核实是否需要补充：{names}。",
                     comp.evidence or [case.documents[0].first_evidence()], key="practice")


def _pattern_hint(case: CaseFile, ctx: Context, status: str, opening: str) -> None:
    pattern = confession_pattern(case)
    if pattern.status != status:
        return
    entries = inventory(case)
    results = assess_items(case, entries)
    others = [e for e in entries if e.kind != E.STATEMENT and e.source in ("held", "listed")]
    kinds = "、".join(dict.fromkeys(KIND_SHORT.get(e.kind, e.kind) for e in others)) or "无"
    lines = element_lines(results)
    body = f"各构成要件须由供述以外的证据证明——{'；'.join(lines)}。" if lines else "未识别到罪名的证据清单，请人工逐一核对各构成要件的证据。"
    ctx.hint(f"{opening}（{pattern.reason}）。卷内及证据清单中供述以外的证据种类：{kinds}。{body}",
             pattern.evidence or [case.documents[0].first_evidence()], key=status)


@register
class EVD003(Rule):
    """零口供案件：犯罪嫌疑人、被告人始终未供认，定罪须依靠供述以外的证据（风险提示）。

    检查内容：依讯问笔录的答话（“我没有偷”“不是我干的”“我不认罪”，否定的否认如“没有否认”不算）和起诉书/判决书的措辞（拒不供认、否认、不认罪、辩称……没有），卷内没有任何供认记载而有否认记载时，提示为零口供案件，并按罪名证据清单列出每个构成要件已见和未见的供述以外的证据。
    为何是问题：刑事诉讼法第五十五条规定没有被告人供述、证据确实充分的才可以认定有罪；零口供案件须逐一审查各要件的客观证据是否形成完整的证据链，是评查的高风险案件。
    违规示例：讯问笔录中犯罪嫌疑人每次均答“我没有偷东西”，起诉书写明“被告人拒不供认”。
    规范示例：讯问笔录中犯罪嫌疑人供认犯罪事实，起诉书写明“被告人对指控的犯罪事实和证据没有异议”。
    """

    id = "EVD-003"
    roles = (V.ROLE_CASE, V.ROLE_EVIDENCE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        _pattern_hint(case, ctx, "零口供", "零口供案件：卷内未见犯罪嫌疑人、被告人供认")


@register
class EVD004(Rule):
    """翻供案件：先前供认、其后否认或翻供，须审查供述以外的证据能否印证（风险提示）。

    检查内容：按讯问时间排列讯问笔录，先前笔录供认、其后笔录否认的；或先前笔录供认而起诉书/判决书记载否认、辩解；或起诉书/判决书写明翻供的，提示为翻供案件，并按罪名证据清单列出每个构成要件已见和未见的供述以外的证据。
    为何是问题：最高法解释第九十六条规定，庭前供述和辩解存在反复、庭审中不供认且无其他证据与庭前供述印证的，不得采信庭前供述；翻供案件的定罪依赖其他证据的印证。
    违规示例：第一次讯问笔录答“是我偷的”，第三次讯问笔录答“我没有偷，之前是乱说的”。
    规范示例：各次讯问笔录供述稳定，均供认犯罪事实。
    """

    id = "EVD-004"
    roles = (V.ROLE_CASE, V.ROLE_EVIDENCE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        _pattern_hint(case, ctx, "翻供", "翻供案件：犯罪嫌疑人、被告人先前供认，其后否认或翻供")
