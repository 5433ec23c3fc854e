"""实体 / 重点评查 (SUB) rules. SUB-001…SUB-006 carry 0 points: they mark a case for key review."""

from __future__ import annotations

from models import CaseFile
from models import vocab as V

from checks.engine import Context, Rule, register, unsupported
from checks.rules._common import (
    date_of, describe_sentence, ev, fmt, label, plea_case, recommendation, sentence,
)
from checks.rules.con import limitation_problem, responsibility_problem

unsupported("SUB-008", "判断一审判决“确有错误”需对事实、证据和法律适用作实体审查，且刑事判决审查表不在本产品识别的文书范围内，无法仅凭文书判定。")
unsupported("SUB-009", "须依据审查报告中的证据审查结论（是否仍证据不足）作实体判断；一次退补后存疑不起诉须写明无再次退补必要的要求由 DOC-008 核验。")
unsupported("SUB-010", "须有审查报告中的基准刑及各情节调节比例的量刑计算过程，起诉书、判决书通常只载明宣告刑，无法复算。")

_REASONS_424 = ("不存在犯罪事实", "犯罪事实并非", "情节显著轻微", "不应当追究刑事责任", "证据不足", "证据发生变化",
                "不符合起诉条件", "法律、司法解释发生变化", "法律发生变化", "司法解释发生变化", "不应当追究被告人刑事责任",
                "被告人死亡", "告诉才处理", "已过追诉时效", "特赦")


@register
class SUB001(Rule):
    """批准逮捕后作不起诉处理（捕后不诉），须重点评查。

    检查内容：卷内同时有批准逮捕决定书和不起诉决定书（含撤回起诉后不起诉）的，标记重点评查，并附不起诉类型以区分是否反映逮捕质量问题。
    为何是问题：《人民检察院案件质量评查工作规定（试行）》第十三条第（一）项规定批准或决定逮捕后作不起诉处理的案件应当逐案重点评查。
    违规示例：2024-03-10批准逮捕，2024-06-20作出存疑不起诉决定。
    规范示例：（触发项，无“规范”形态）批准逮捕后提起公诉。
    """

    id = "SUB-001"
    triggers = (V.NON_PROSECUTION,)
    needs = (V.ARREST_APPROVAL,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ap, np_doc = case.first(V.ARREST_APPROVAL), case.first(V.NON_PROSECUTION)
        kind = np_doc.value(V.NP_TYPE)
        ctx.report(f"{label(ap)}于{fmt(date_of(ap, V.DATE)) if date_of(ap, V.DATE) else '（日期未能读取）'}批准逮捕，"
                   f"{label(np_doc)}作出{kind + '不起诉' if kind else '不起诉'}决定，属捕后不诉，须逐案重点评查。",
                   ev(ap, V.DATE) + ev(np_doc, V.NP_TYPE, V.DATE))


@register
class SUB002(Rule):
    """提起公诉后撤回起诉，须重点评查；撤回理由不属规则第四百二十四条情形的另报问题。

    检查内容：卷内有撤回起诉决定书即标记重点评查；撤回理由不含规则第四百二十四条所列情形（不存在犯罪事实、情节显著轻微、证据不足、法律或司法解释变化等）的，另报一个问题（分值默认6分，可配置 reason_points）。
    为何是问题：评查工作规定第十三条第（一）项规定提起公诉后又撤回起诉的案件应当逐案重点评查；规则第四百二十四条限定撤回起诉的情形。
    违规示例：撤回起诉决定书理由为“被告人已赔偿被害人损失”。
    规范示例：撤回理由为“证据发生变化，不符合起诉条件”，经检察长批准。
    """

    id = "SUB-002"
    triggers = (V.WITHDRAWAL,)
    options = {"reason_points": 6}

    def check(self, case: CaseFile, ctx: Context) -> None:
        wd = case.first(V.WITHDRAWAL)
        day = date_of(wd, V.DATE)
        ctx.report(f"{label(wd)}{'于' + fmt(day) if day else ''}撤回起诉，须逐案重点评查。", ev(wd, V.DATE), key="withdrawal")
        reason = str(wd.value(V.REASON) or "")
        if not reason:
            ctx.warn(f"{label(wd)}未能读取撤回起诉理由，无法核验是否属规则第四百二十四条情形。")
            return
        if not any(k in reason for k in _REASONS_424):
            f = ctx.report(f"{label(wd)}撤回起诉理由“{reason}”不属规则第四百二十四条所列情形。", ev(wd, V.REASON), key="reason")
            f.severity_points = int(ctx.option("reason_points", 6))


@register
class SUB003(Rule):
    """法院判决无罪或不负刑事责任，须重点评查。

    检查内容：判决书主文为“无罪”或“不负刑事责任”的即标记重点评查；须在抗诉期内完成审查（见 DL-016）。
    为何是问题：评查工作规定第十三条第（一）项规定人民法院判决无罪的案件应当逐案重点评查，以检验起诉质量。
    违规示例：判决书主文“被告人张三无罪”。
    规范示例：（触发项）判决有罪。
    """

    id = "SUB-003"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.JUDGMENT):
            verdict = str(doc.value(V.VERDICT) or "")
            s = sentence(doc.value(V.SENTENCE))
            if verdict in ("无罪", "不负刑事责任") or (s and s.kind == "无罪"):
                ctx.report(f"{label(doc)}判决{verdict or '无罪'}，须逐案重点评查，并在抗诉期内审查是否抗诉。", ev(doc, V.VERDICT, V.SENTENCE),
                           key=doc.id)


@register
class SUB004(Rule):
    """法院判决免予刑事处罚（尤其是捕后判免刑），须重点评查。

    检查内容：判决书主文为“免予刑事处罚”的即标记重点评查；被告人曾被批准逮捕的注明“捕后判免刑”。
    为何是问题：评查工作规定第十三条第（一）项规定判决免予刑事处罚的案件应当逐案重点评查；免除处罚错误是抗诉事由之一（规则第五百八十四条）。
    违规示例：判决书主文“被告人张三犯盗窃罪，免予刑事处罚”，其曾于2024-03-10被逮捕。
    规范示例：（触发项）判处刑罚。
    """

    id = "SUB-004"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.JUDGMENT):
            s = sentence(doc.value(V.SENTENCE))
            if doc.value(V.VERDICT) == "免予刑事处罚" or (s and s.kind == "免予刑事处罚"):
                arrested = bool(case.of_type(V.ARREST_APPROVAL, V.ARREST_WARRANT))
                ctx.report(f"{label(doc)}判决免予刑事处罚{'（捕后判免刑）' if arrested else ''}，须逐案重点评查。",
                           ev(doc, V.VERDICT, V.SENTENCE), key=doc.id)


@register
class SUB005(Rule):
    """判决认定罪名与起诉书指控罪名不一致（诉判不一致），须重点评查。

    检查内容：比较起诉书指控罪名集合与判决书认定罪名集合（含一罪变数罪、数罪变一罪），不同即标记。
    为何是问题：罪名改变反映指控质量问题，诉判不一致是检察实务中的重点评查对象（最高法解释第二百九十五条第（二）项）。
    违规示例：起诉书指控抢劫罪，判决认定抢夺罪。
    规范示例：判决认定罪名与指控一致。
    """

    id = "SUB-005"
    triggers = (V.JUDGMENT,)
    needs = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ind, jd = case.first(V.INDICTMENT), case.first(V.JUDGMENT)
        if jd.value(V.VERDICT) in ("无罪", "不负刑事责任"):
            return
        a = ctx.need(ind, V.CHARGES, "指控罪名")
        b = ctx.need(jd, V.CHARGES, "判决罪名")
        if set(a) != set(b):
            ctx.report(f"{label(ind)}指控{'、'.join(a)}，{label(jd)}认定{'、'.join(b)}，诉判罪名不一致，须重点评查。",
                       ev(ind, V.CHARGES) + ev(jd, V.CHARGES))


def _outside(rec, s) -> list[str]:
    diffs = []
    if rec.kind != s.kind:
        diffs.append(f"主刑种类（建议{rec.kind}，判处{s.kind}）")
    elif rec.range_months and s.months is not None:
        lo, hi = rec.range_months
        if not lo <= s.months <= hi:
            diffs.append("刑期超出建议幅度")
    elif rec.months is not None and s.months is not None and abs(rec.months - s.months) > 1e-6:
        diffs.append("刑期")
    if rec.suspended != s.suspended:
        diffs.append("缓刑")
    if rec.fine_yuan and s.fine_yuan and abs(rec.fine_yuan - s.fine_yuan) > 0.5:
        diffs.append("罚金")
    return diffs


@register
class SUB006(Rule):
    """认罪认罚案件判决刑罚与量刑建议不一致（量刑建议未被采纳），须重点评查。

    检查内容：认罪认罚案件中，判决的主刑种类、刑期（确定刑：不同；幅度刑：超出幅度）、缓刑、罚金与起诉书或量刑建议书的量刑建议不一致即标记，并检查判决是否说明不采纳理由。
    为何是问题：刑事诉讼法第二百零一条规定对认罪认罚案件的量刑建议一般应当采纳；未采纳的须审查是否属法定例外并考虑抗诉。
    违规示例：建议有期徒刑一年，判决有期徒刑一年六个月。
    规范示例：判决采纳量刑建议“有期徒刑一年”。
    """

    id = "SUB-006"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        if not plea_case(case):
            return
        jd = case.first(V.JUDGMENT)
        rec = recommendation(case)
        if rec is None:
            ctx.warn("认罪认罚案件未能读取量刑建议，无法比对判决刑罚。")
            return
        s = sentence(jd.value(V.SENTENCE))
        if s is None:
            ctx.unusable(jd, V.SENTENCE, "判处刑罚")
        diffs = _outside(rec[0], s)
        if diffs:
            ctx.report(f"认罪认罚案件{label(rec[1])}量刑建议“{describe_sentence(rec[0])}”，{label(jd)}判处“{describe_sentence(s)}”，"
                       f"{'、'.join(diffs)}不一致，须重点评查并审查是否抗诉。", ev(rec[1], V.RECOMMENDATION) + ev(jd, V.SENTENCE))


@register
class SUB011(Rule):
    """具有不负刑事责任情形（未达刑事责任年龄、已过追诉时效）仍提起公诉。

    检查内容：卷内有起诉书，而犯罪时未达相应刑事责任年龄（CON-012 的判断）或立案时已过追诉时效（CON-015 的判断）的，报问题；应作法定不起诉或撤回起诉。情节显著轻微、特赦、告诉才处理、犯罪嫌疑人死亡等情形无法仅凭文书判定。
    为何是问题：刑事诉讼法第十六条规定有上述情形的不追究刑事责任，已追究的应当撤销案件、不起诉或终止审理。
    违规示例：犯罪时13周岁犯盗窃罪，检察院提起公诉。
    规范示例：作出法定不起诉决定。
    """

    id = "SUB-011"
    triggers = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ind = case.first(V.INDICTMENT)
        problem = responsibility_problem(case)
        if problem:
            ctx.report(f"{label(ind)}提起公诉，但{problem}，应当不起诉。", ev(ind, V.CRIME_DATE), key="age")
        lim = limitation_problem(case, ctx)
        if lim:
            ctx.report(f"{label(ind)}提起公诉，但{lim[0]}，应当不起诉。", ev(ind, V.CRIME_DATE), key="limitation")


@register
class SUB012(Rule):
    """已逮捕的犯罪嫌疑人认罪认罚后，卷内无羁押必要性审查记录（提示）。

    检查内容：犯罪嫌疑人已被逮捕并签署认罪认罚具结书，卷内无羁押必要性审查记录的，提示。
    为何是问题：认罪认罚从宽制度指导意见要求对捕后认罪认罚的犯罪嫌疑人及时审查羁押必要性，不需要继续羁押的应当变更强制措施。
    违规示例：2024-03-10逮捕，2024-04-15签署具结书，卷内无羁押必要性审查记录。
    规范示例：签署具结书后制作羁押必要性审查记录，认为仍有羁押必要并说明理由。
    """

    id = "SUB-012"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        arrest = case.first(V.ARREST_WARRANT, V.ARREST_APPROVAL)
        if arrest is None or case.of_type(V.CUSTODY_NECESSITY_REVIEW, V.BAIL_DECISION, V.RESIDENCE_DECISION):
            return
        plea = case.first(V.PLEA_AGREEMENT)
        ctx.report(f"犯罪嫌疑人已被逮捕（{label(arrest)}），并签署{label(plea)}，卷内未见羁押必要性审查记录。",
                   ev(plea, V.DATE) + ev(arrest, V.EXECUTION_TIME, V.DATE), absent=True)
