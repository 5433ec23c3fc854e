"""期限 (DL) rules: every period is computed by :mod:`checks.calendar` (DL-018); the judgments and start
dates several of them share are :mod:`checks.rules._dates`."""

from __future__ import annotations

import datetime as dt

from models import CaseFile, Document
from models import vocab as V

from checks.calendar import hours_end, period_end, policy_for
from checks.engine import Context, Rule, register, unsupported
from checks.rules._common import (
    acceptance_before, acceptances, date_of, dated, ev, fmt, in_custody, label, notice_receipts, persons,
    procedure_of, recommendation, time_of, transfer_bound, victims,
)
from checks.rules._dates import (
    MAX_TRANSIT_DAYS, arrest_received, arrest_request_bound, first_interrogation_after, hours_rule, judge_days,
    notice_rule,
)

unsupported("DL-009", "重新计算侦查羁押期限须判断新发现罪行是否属“另有重要罪行”，属实体判断，且卷内无统一格式的重新计算记录，无法仅凭文书核验。")
unsupported("DL-018", "期间计算通则本身不产生问题：由期限计算引擎（checks/calendar.py）实现，供全部期限规则共用。")


@register
class DL001(Rule):
    """拘留后超过二十四小时才送看守所羁押。

    检查内容：比较拘留证的执行时间与看守所收押凭证上的收押时间，按小时计算（开始的时不计）。
    为何是问题：刑事诉讼法第八十五条要求拘留后立即、至迟二十四小时内送看守所羁押，延迟羁押易生刑讯逼供风险。
    违规示例：拘留证执行时间2024-03-01 14:20，收押凭证收押时间2024-03-02 16:00。
    规范示例：执行时间2024-03-01 14:20，收押时间2024-03-01 18:30。
    """

    id = "DL-001"
    triggers = (V.DETENTION_WARRANT,)
    needs = (V.DETENTION_WARRANT, V.CUSTODY_RECEIPT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        warrant = case.first(V.DETENTION_WARRANT)
        start = time_of(warrant, V.EXECUTION_TIME)
        if start is None:
            ctx.warn(f"{label(warrant)}未能读取执行时间（时分），无法核验。")
            return
        receipt = case.first(V.CUSTODY_RECEIPT)
        end = time_of(receipt, V.CUSTODY_TIME, V.DATE)
        hours_rule(ctx, warrant, start, end, receipt, 24, "收押时间", "执行拘留时间",
                   f"{label(receipt)}未能读取收押时间（时分），无法核验。")


@register
class DL002(Rule):
    """拘留后超过二十四小时才通知家属，且未注明无法通知或有碍侦查的原因。

    检查内容：比较拘留证执行时间与拘留通知书的通知时间；超过二十四小时且通知书未注明未通知原因的报问题。
    为何是问题：刑事诉讼法第八十五条第二款要求除无法通知或有碍侦查外，拘留后二十四小时内通知家属。
    违规示例：2024-03-01 14:20执行拘留，拘留通知书记载2024-03-03 10:00通知家属，未注明原因。
    规范示例：2024-03-01 14:20执行拘留，当日20:00电话通知其妻并送达拘留通知书。
    """

    id = "DL-002"
    triggers = (V.DETENTION_WARRANT,)
    needs = (V.DETENTION_WARRANT, V.DETENTION_NOTICE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        notice_rule(case, ctx, V.DETENTION_WARRANT, V.DETENTION_NOTICE, "执行拘留时间")


@register
class DL007(Rule):
    """逮捕后超过二十四小时才通知家属，且未注明无法通知的原因。

    检查内容：比较逮捕证执行时间与逮捕通知书的通知时间；超过二十四小时且未注明原因的报问题。
    为何是问题：刑事诉讼法第九十三条第二款要求除无法通知外，逮捕后二十四小时内通知家属。
    违规示例：2024-03-08 09:00执行逮捕，逮捕通知书记载2024-03-10 09:30通知家属。
    规范示例：2024-03-08 09:00执行逮捕，当日送达逮捕通知书。
    """

    id = "DL-007"
    triggers = (V.ARREST_WARRANT,)
    needs = (V.ARREST_WARRANT, V.ARREST_NOTICE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        notice_rule(case, ctx, V.ARREST_WARRANT, V.ARREST_NOTICE, "执行逮捕时间")


class _InterrogateAfter(Rule):
    warrant_type = ""
    start_what = ""

    def check(self, case: CaseFile, ctx: Context) -> None:
        warrant = case.first(self.warrant_type)
        start = time_of(warrant, V.EXECUTION_TIME)
        if start is None:
            ctx.warn(f"{label(warrant)}未能读取执行时间（时分），无法核验。")
            return
        first = first_interrogation_after(case, start)
        later = [d for d in case.of_type(self.warrant_type) if (t := time_of(d, V.EXECUTION_TIME)) and t > start]
        if first is None:
            if not later:
                ctx.warn(f"卷内未找到{fmt(start)}之后的讯问笔录（或未能读取讯问开始时间），无法核验首次讯问时间。")
            return
        unread = [d for d in case.of_type(V.INTERROGATION) if time_of(d, V.START_TIME) is None
                  and ((day := date_of(d, V.DATE)) is None or day <= first[0].date())]
        if unread and hours_end(start, 24).judge(first[0]) == "late":
            # the first interrogation may be one whose time was not read: not a finding, a check by hand
            ctx.hint(f"{label(first[1])}讯问开始时间{fmt(first[0])}距{self.start_what}{fmt(start)}超过24小时，但"
                     f"{'、'.join(label(d) for d in unread)}未能读取讯问时间，首次讯问时间无法确定，请人工核对。",
                     ev(warrant, V.EXECUTION_TIME) + ev(first[1]) + [e for d in unread for e in ev(d)], key="unread")
            return
        hours_rule(ctx, warrant, start, first[0], first[1], 24, "首次讯问开始时间", self.start_what, "")


@register
class DL003(_InterrogateAfter):
    """拘留后超过二十四小时才进行首次讯问。

    检查内容：取拘留证执行时间之后最早的一份讯问笔录，比较其讯问开始时间与执行时间；另有讯问笔录未能读取讯问时间（可能更早）的，只作提示。
    为何是问题：刑事诉讼法第八十六条要求拘留后二十四小时内讯问，发现不应拘留的立即释放。
    违规示例：2024-03-01 14:20执行拘留，首份讯问笔录时间“自2024年3月2日16时10分”。
    规范示例：2024-03-01 14:20执行拘留，当日16时首次讯问。
    """

    id = "DL-003"
    triggers = (V.DETENTION_WARRANT,)
    needs = (V.DETENTION_WARRANT, V.INTERROGATION)
    warrant_type = V.DETENTION_WARRANT
    start_what = "执行拘留时间"


@register
class DL006(_InterrogateAfter):
    """逮捕后超过二十四小时才进行讯问。

    检查内容：取逮捕证执行时间之后最早的一份讯问笔录，比较其讯问开始时间与执行时间；另有讯问笔录未能读取讯问时间（可能更早）的，只作提示。
    为何是问题：刑事诉讼法第九十四条要求逮捕后二十四小时内讯问。
    违规示例：2024-03-08 09:00执行逮捕，其后首份讯问笔录开始于2024-03-09 15:00。
    规范示例：2024-03-08 09:00执行逮捕，当日14时讯问。
    """

    id = "DL-006"
    triggers = (V.ARREST_WARRANT,)
    needs = (V.ARREST_WARRANT, V.INTERROGATION)
    warrant_type = V.ARREST_WARRANT
    start_what = "执行逮捕时间"


@register
class DL004(Rule):
    """拘留后提请批准逮捕超过三日，且无相应的延长拘留期限审批。

    检查内容：自执行拘留之日（不计）起至检察院收到提请批准逮捕书之日：三日以内合规；四至七日须有特殊情况延长审批；八至三十日须有延长审批且事由为流窜作案、多次作案或结伙作案；超过三十日一律报问题。在押期间末日逢节假日不顺延。未记载收到日期的，以提请批准逮捕书日期为准（仅用于发现超期）。
    为何是问题：刑事诉讼法第九十一条规定提请批准逮捕的期限及延长条件，超期即超期羁押。
    违规示例：2024-03-01执行拘留，检察院2024-03-09收到提请批准逮捕书，卷内无延长拘留期限审批表。
    规范示例：2024-03-01执行拘留，2024-03-04提请批准逮捕；或经审批以结伙作案为由延长至30日。
    """

    id = "DL-004"
    triggers = (V.DETENTION_WARRANT,)
    needs = (V.DETENTION_WARRANT, V.ARREST_REQUEST)

    def check(self, case: CaseFile, ctx: Context) -> None:
        warrant = case.first(V.DETENTION_WARRANT)
        start = date_of(warrant, V.EXECUTION_TIME, V.DATE)
        if start is None:
            ctx.unusable(warrant, V.EXECUTION_TIME, "执行拘留日期")
        got = arrest_received(case)
        request = case.first(V.ARREST_REQUEST)
        if got:
            end, end_doc, what = got[0], got[1], "检察院收到提请批准逮捕书"
        else:
            end, end_doc, what = date_of(request, V.DATE), request, "提请批准逮捕"
            if end is None:
                ctx.unusable(request, V.DATE, "提请批准逮捕日期")
        exts = case.of_type(V.DETENTION_EXTENSION)
        reasons = "、".join(str(d.value(V.EXTENSION_REASON) or "") for d in exts)
        gang = any(k in reasons for k in ("流窜", "多次", "结伙"))
        base = period_end(start, days=3, policy="custody")
        d = (end - start).days
        head = f"{label(warrant)}执行拘留日期{fmt(start)}，{label(end_doc)}{what}日期{fmt(end)}，相隔{d}日"
        evidence = ev(warrant, V.EXECUTION_TIME) + ev(end_doc, V.RECEIVED_DATE, V.DATE)
        if end <= base.deadline:
            return
        if end > period_end(start, days=30, policy="custody").deadline:
            ctx.report(f"{head}，超过法定最长30日（届满日{fmt(start + dt.timedelta(days=30))}）。", evidence)
        elif end > period_end(start, days=7, policy="custody").deadline:
            if not exts:
                ctx.report(f"{head}，超过3日（届满日{fmt(base.deadline)}），卷内未见延长拘留期限审批表。", evidence, absent=True)
            elif not gang:
                ctx.report(f"{head}，超过7日，但延长拘留期限审批表所载事由“{reasons or '未载明'}”不属流窜作案、多次作案或结伙作案，"
                           f"不得延长至30日。", evidence + [e for x in exts for e in ev(x, V.EXTENSION_REASON)])
        elif not exts:
            ctx.report(f"{head}，超过3日（届满日{fmt(base.deadline)}），卷内未见延长拘留期限审批表。", evidence, absent=True)


@register
class DL005(Rule):
    """审查批准逮捕超过法定期限（已拘留七日；未拘留十五日，重大复杂二十日）。

    检查内容：自检察院收到提请批准逮捕书之日（不计）起至批准或不批准逮捕决定书日期：已被拘留的不得超过七日（在押，不因节假日顺延）；未被拘留的不得超过十五日，十五日至二十日之间提示人工确认是否属重大复杂案件，超过二十日报问题。卷内未写明收到日期的，以提请批准逮捕日期（提请批准逮捕书日期或决定书所述提请日期）为最早可能的收到日：按提请日期加最长在途一日计算仍超期的报问题，只按提请日期计算超期的作提示，并写明所依据的日期和相隔天数。
    为何是问题：刑事诉讼法第九十一条第三款规定审查批准逮捕期限，超期属程序违法，在押的构成超期羁押。
    违规示例：犯罪嫌疑人已被拘留，检察院2024-03-05收到提请批准逮捕书，2024-03-14作出批准逮捕决定；或提请批准逮捕书日期2024-03-04（收到日期未载明），批准逮捕决定书日期2024-03-14。
    规范示例：2024-03-05收到，2024-03-11作出批准逮捕决定。
    """

    id = "DL-005"
    triggers = (V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL)

    def check(self, case: CaseFile, ctx: Context) -> None:
        decision = case.first(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL)
        end = date_of(decision, V.DATE)
        if end is None:
            ctx.unusable(decision, V.DATE, "决定日期")
        detained = next((d.value(V.DETAINED) for d in case.of_type(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL, V.ARREST_REQUEST)
                         if isinstance(d.value(V.DETAINED), bool)), None)
        if detained is None:
            detained = bool(case.of_type(V.DETENTION_WARRANT))
        got = arrest_received(case)
        if got is None:
            self._from_request(case, ctx, decision, end, detained)
            return
        start, start_doc = got
        head = f"检察院收到提请批准逮捕书日期{fmt(start)}，{label(decision)}决定日期{fmt(end)}，相隔{(end - start).days}日"
        evidence = ev(start_doc, V.RECEIVED_DATE) + ev(decision, V.DATE)
        if detained:
            limit = period_end(start, days=7, policy="custody")
            if limit.judge(end) == "late":
                ctx.report(f"{head}；犯罪嫌疑人已被拘留，应在7日内作出决定（届满日{fmt(limit.deadline)}）。", evidence)
            return
        limit15 = period_end(start, days=15, custody=False)
        limit20 = period_end(start, days=20, custody=False)
        if limit20.judge(end) == "late":
            ctx.report(f"{head}；犯罪嫌疑人未被拘留，超过15日（重大复杂案件20日，届满日{limit20.describe()}）。", evidence)
        elif limit15.judge(end) == "late":
            ctx.warn(f"{head}，超过15日（届满日{limit15.describe()}）；如属重大、复杂案件可至20日，请人工确认。")

    def _from_request(self, case: CaseFile, ctx: Context, decision: Document, end: dt.date, detained: bool) -> None:
        """No receipt written: the request's date is the earliest receipt, request + transit the latest plausible."""
        bound = arrest_request_bound(case)
        if bound is None:
            ctx.warn("卷内未能读取检察院收到提请批准逮捕书的日期，也未能读取提请批准逮捕日期，无法核验审查批准逮捕期限。")
            return
        earliest, req_doc = bound
        transit = int(ctx.option("max_transit_days", MAX_TRANSIT_DAYS))
        latest = earliest + dt.timedelta(days=transit)
        days, limit_days = (end - earliest).days, (7 if detained else 20)
        if detained:
            sure, possible = period_end(latest, days=7, policy="custody"), period_end(earliest, days=7, policy="custody")
        else:
            sure, possible = period_end(latest, days=20, custody=False), period_end(earliest, days=20, custody=False)
        what = "犯罪嫌疑人已被拘留，应在7日内作出决定" if detained else "犯罪嫌疑人未被拘留，重大复杂案件最长20日"
        head = (f"卷内未载明检察院收到提请批准逮捕书的日期；{label(req_doc)}所载提请日期{fmt(earliest)}是最早可能的收到日，"
                f"{label(decision)}决定日期{fmt(end)}，距提请日期{days}日")
        evidence = ev(req_doc, V.REQUEST_DATE, V.DATE) + ev(decision, V.DATE)
        if sure.judge(end) == "late":
            ctx.report(f"{head}；即使按提请后{transit}日内送达（最晚{fmt(latest)}收到）计算，也超过{limit_days}日"
                       f"（届满日最晚{fmt(sure.deadline)}），{what}。", evidence, key="from-request")
        elif possible.judge(end) == "late":
            ctx.hint(f"{head}，按提请当日收到计算超过{limit_days}日（届满日{fmt(possible.deadline)}）；实际收到日期未载明，"
                     f"若于{fmt(latest)}收到则未超期，请人工核实收到日期。", evidence, key="from-request")
        elif not detained and period_end(earliest, days=15, custody=False).judge(end) == "late":
            ctx.warn(f"{head}，按提请当日收到计算超过15日；如属重大、复杂案件可至20日，请人工确认。")


@register
class DL008(Rule):
    """侦查羁押超过二个月且无（足够的）延长侦查羁押期限决定。

    检查内容：自执行逮捕之日起按月计算（本月某日至下月同日；卷内无逮捕证的，以起诉意见书或起诉书载明的逮捕日期为起点），移送审查起诉日晚于二个月届满日的，须有延长侦查羁押期限决定书，延长月数累计须覆盖移送日；在押期间末日逢节假日不顺延。“提请延长应在届满七日前”的子项需要提请批准延长侦查羁押期限意见书，该文书不在本产品识别范围内，暂不核验。
    为何是问题：刑事诉讼法第一百五十六条至第一百五十九条规定侦查羁押期限及逐级审批的延长，超期即超期羁押。
    违规示例：2024-03-08执行逮捕，2024-05-20移送审查起诉，卷内无延长侦查羁押期限决定书。
    规范示例：2024-03-08执行逮捕，2024-05-06移送审查起诉；或经上一级检察院批准延长一个月后于2024-06-05移送。
    """

    id = "DL-008"
    triggers = (V.ARREST_WARRANT, V.PROSECUTION_OPINION)
    needs = (V.PROSECUTION_OPINION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        opinion = case.first(V.PROSECUTION_OPINION)
        warrant = case.first(V.ARREST_WARRANT)
        start = date_of(warrant, V.EXECUTION_TIME, V.DATE)
        if warrant is None:
            # no 逮捕证 in the dossier: the arrest date the 起诉意见书 (else the 起诉书) states, if any
            for doc in (opinion, case.first(V.INDICTMENT)):
                start = date_of(doc, V.ARREST_DATE)
                if start:
                    warrant = doc
                    break
            if start is None:
                if case.first(V.ARREST_APPROVAL):
                    ctx.warn("卷内有批准逮捕决定书，但未见逮捕证，起诉意见书亦未载明执行逮捕日期，无法核验侦查羁押期限。")
                return
        elif start is None:
            ctx.unusable(warrant, V.EXECUTION_TIME, "执行逮捕日期")
        end = date_of(opinion, V.TRANSFER_DATE, V.DATE)
        if end is None:
            ctx.unusable(opinion, V.TRANSFER_DATE, "移送审查起诉日期")
        exts = case.of_type(V.CUSTODY_EXTENSION)
        months = 2
        for x in exts:
            m = x.value(V.EXTENSION_MONTHS)
            if isinstance(m, (int, float)) and m > 0:
                months += int(m)
            else:
                months += 1
                ctx.warn(f"{label(x)}未能读取延长月数，按一个月计算。")
        limit = period_end(start, months=months, policy="custody")
        if limit.judge(end) == "late":
            tail = "，卷内未见延长侦查羁押期限决定书" if not exts else f"，已延长至共{months}个月仍超期"
            if warrant is opinion:
                when = f"{label(opinion)}载明逮捕日期{fmt(start)}、移送审查起诉日期{fmt(end)}"
            else:
                what = "执行逮捕日期" if warrant.type == V.ARREST_WARRANT else "载明逮捕日期"
                when = f"{label(warrant)}{what}{fmt(start)}，{label(opinion)}移送审查起诉日期{fmt(end)}"
            ctx.report(f"{when}，"
                       f"超过侦查羁押期限（{months}个月，届满日{fmt(limit.deadline)}）{tail}。",
                       ev(warrant, V.EXECUTION_TIME, V.ARREST_DATE) + ev(opinion, V.TRANSFER_DATE, V.DATE))


@register
class DL010(Rule):
    """审查起诉超过一个月（有延长的一个半月）仍未作出起诉或不起诉决定。

    检查内容：以最近一次受理日期为起点（退回补充侦查后重新移送的重新计算），按月计算至最早作出的起诉书或不起诉决定书日期（撤回起诉后再作不起诉的期限由 DL-017 核验）：超过一个月须有延长审查起诉期限决定书，延长后超过一个月又十五日报问题。在押的末日逢节假日不顺延，不在押的顺延，无法判断是否在押且结论取决于顺延的提示人工确认。退补后卷内未见重新受理日期的，只作提示。期限变更书面通知看守所的子项（变更羁押期限通知书）暂不核验。
    为何是问题：刑事诉讼法第一百七十二条规定审查起诉期限；超期办案在押的构成超期羁押。
    违规示例：2024-04-01受理，2024-05-20作出起诉书，卷内无延长审查起诉期限决定书。
    规范示例：2024-04-01受理，2024-04-28提起公诉；或经延长于2024-05-16提起公诉。
    """

    id = "DL-010"
    triggers = (V.INDICTMENT, V.NON_PROSECUTION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        decisions = dated(case.of_type(V.INDICTMENT, V.NON_PROSECUTION), V.DATE)
        if not decisions:  # the first decision ends the review; a later 不起诉 after 撤回起诉 is DL-017's
            ctx.unusable(case.first(V.INDICTMENT, V.NON_PROSECUTION), V.DATE, "作出日期")
        end, decision = decisions[0]
        acc = acceptance_before(case, end)
        if acc is None:
            ctx.warn(f"卷内未找到{fmt(end)}以前的受理日期（受理案件登记表），无法核验审查起诉期限。")
            return
        start, acc_doc = acc
        returned = [d for d, _ in dated(case.of_type(V.SUPPLEMENTARY_INVESTIGATION), V.DATE) if start <= d <= end]
        if returned:
            ctx.warn(f"{fmt(returned[-1])}退回补充侦查后卷内未见重新移送的受理日期，无法核验重新计算的审查起诉期限。")
            return
        custody = in_custody(case)
        base = period_end(start, months=1, custody=custody)
        exts = [(d, x) for d, x in dated(case.of_type(V.REVIEW_EXTENSION), V.DATE) if d >= start]
        where_acc = label(acc_doc) if acc_doc else "卷内"
        head = f"{label(decision)}作出日期{fmt(end)}，距{where_acc}受理日{fmt(start)}"
        evidence = ev(decision, V.DATE) + (ev(acc_doc, V.RECEIVED_DATE, V.DATE) if acc_doc else [])
        if not exts:
            judge_days(ctx, base, end, f"{head}已逾1个月（届满日{base.describe()}），卷内未见延长审查起诉期限决定。", evidence)
            return
        days = exts[0][1].value(V.EXTENSION_DAYS)
        days = int(days) if isinstance(days, (int, float)) and 0 < days <= 15 else 15
        ext_limit = period_end(start, months=1, days=days, custody=custody)
        late_ext = [d for d, _ in exts if d > base.extended]
        note = f"；且延长决定日期{fmt(late_ext[0])}晚于原届满日{fmt(base.deadline)}" if late_ext else ""
        judge_days(ctx, ext_limit, end, f"{head}已逾延长后的期限1个月又{days}日（届满日{ext_limit.describe()}）{note}。",
                   evidence + ev(exts[0][1], V.DATE))
        if late_ext and ext_limit.judge(end) == "ok" and base.judge(end) == "late":
            ctx.report(f"{label(exts[0][1])}延长审查起诉期限的决定日期{fmt(late_ext[0])}晚于原届满日{fmt(base.deadline)}"
                       f"（受理日{fmt(start)}），延长无效，{label(decision)}作出日期{fmt(end)}已超期。", evidence + ev(exts[0][1], V.DATE))


@register
class DL011(Rule):
    """认罪认罚速裁案件审查起诉超过十日（可能判处一年以上有期徒刑的十五日）。

    检查内容：起诉书（或量刑建议书、具结书）建议适用速裁程序时，自受理日（不计）至起诉书日期：量刑建议为一年以下有期徒刑、拘役、管制等的不得超过十日，一年以上的不得超过十五日。
    为何是问题：刑事诉讼法第一百七十二条第一款规定速裁案件审查起诉期限。
    违规示例：2024-04-01受理，建议有期徒刑八个月并适用速裁程序，2024-04-18提起公诉。
    规范示例：2024-04-01受理，2024-04-10提起公诉。
    """

    id = "DL-011"
    triggers = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ind = case.first(V.INDICTMENT)
        proc = procedure_of(case)
        if not proc or "速裁" not in proc[0]:
            return
        end = date_of(ind, V.DATE)
        if end is None:
            ctx.unusable(ind, V.DATE, "作出日期")
        acc = acceptance_before(case, end)
        if acc is None:
            ctx.warn("卷内未找到受理日期，无法核验速裁案件审查起诉期限。")
            return
        rec = recommendation(case)
        months = None
        if rec:
            s = rec[0]
            months = s.range_months[1] if s.range_months else s.months
        days = 15 if (rec and rec[0].kind == "有期徒刑" and months and months > 12) else 10
        limit = period_end(acc[0], days=days, custody=in_custody(case))
        judge_days(ctx, limit, end, f"{label(ind)}建议适用速裁程序，作出日期{fmt(end)}，距受理日{fmt(acc[0])}超过{days}日"
                   f"（届满日{limit.describe()}）。", ev(ind, V.DATE) + ev(proc[1], V.PROCEDURE))


@register
class DL012(Rule):
    """退回补充侦查超过二次、单次超过一个月或未附补充侦查提纲。

    检查内容：统计退回补充侦查决定书（或起诉书所载退补次数）超过二次的报问题；每次退回之日至重新移送（下一次受理）之日超过一个月的报问题；每次退补须有日期相同或相近（三日内）的补充侦查提纲。
    为何是问题：刑事诉讼法第一百七十五条第三款规定补充侦查以二次为限、每次一个月；规则第三百四十六条要求附补充侦查提纲。
    违规示例：2024-04-20退回补充侦查，2024-06-05才重新移送，卷内无补充侦查提纲。
    规范示例：2024-04-20退回补充侦查并附提纲，2024-05-18重新移送。
    """

    id = "DL-012"
    triggers = (V.SUPPLEMENTARY_INVESTIGATION, V.INDICTMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        returns = dated(case.of_type(V.SUPPLEMENTARY_INVESTIGATION), V.DATE)
        stated = max((int(c) for d in case.of_type(V.INDICTMENT) if isinstance(c := d.value(V.SUPPLEMENTARY_COUNT), (int, float))),
                     default=0)
        count = max(len(returns), stated)
        if count > 2:
            src = (f"卷内有{len(returns)}份退回补充侦查决定书（{'、'.join(fmt(d) for d, _ in returns)}）" if len(returns) > 2
                   else f"起诉书载明退回补充侦查{stated}次")
            ctx.report(f"{src}，超过以二次为限的规定。", [e for _, d in returns for e in ev(d, V.DATE)] or
                       ev(case.first(V.INDICTMENT), V.SUPPLEMENTARY_COUNT), key="count")
        accs = [d for d, _ in acceptances(case)]
        outlines = [d for d, _ in dated(case.of_type(V.SUPPLEMENTARY_OUTLINE), V.DATE)]
        for when, doc in returns:
            nxt = next((a for a in accs if a > when), None)
            limit = period_end(when, months=1, policy="custody")
            if nxt and nxt > limit.extended:
                ctx.report(f"{label(doc)}退回补充侦查日期{fmt(when)}，重新移送（受理）日期{fmt(nxt)}，超过一个月"
                           f"（届满日{fmt(limit.plain)}）。", ev(doc, V.DATE), key=f"late|{doc.id}")
            if not any(abs((o - when).days) <= 3 for o in outlines):
                ctx.report(f"{label(doc)}于{fmt(when)}退回补充侦查，卷内未见对应的补充侦查提纲。", ev(doc, V.DATE),
                           key=f"outline|{doc.id}", absent=True)


@register
class DL013(Rule):
    """审查起诉阶段未在三日内告知犯罪嫌疑人有权委托辩护人。

    检查内容：自受理（收到移送起诉案卷材料）之日（不计）起至告知日期，超过三日的报问题；在押的末日不因节假日顺延。告知日期取权利义务告知书所载告知日期或犯罪嫌疑人签收（签名）所署日期（二者不同取较晚者），卷内无告知书的取起诉书等所载告知日期。受理日期取受理案件登记表、起诉书或告知书所载收到日期；均未载明的，以移送审查起诉日期（起诉意见书日期、起诉书所载移送日期）为最早可能的受理日：加最长在途一日仍超过三日的报问题，只按移送当日计算超过的作提示，并写明所依据的日期。
    为何是问题：刑事诉讼法第三十四条第二款要求检察院自收到移送审查起诉的案卷材料之日起三日以内告知犯罪嫌疑人有权委托辩护人。
    违规示例：2024-04-01受理，权利义务告知书告知日期2024-04-08；或卷内未载受理日期，起诉意见书2024-04-01移送，犯罪嫌疑人2024-04-07签收告知书。
    规范示例：2024-04-01受理，2024-04-02告知并由犯罪嫌疑人签名。
    """

    id = "DL-013"
    triggers = (V.CASE_ACCEPTANCE, V.INDICTMENT, V.NON_PROSECUTION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        notices = dated(case.of_type(V.RIGHTS_NOTICE), V.NOTIFY_RIGHTS_DATE, V.DATE)
        if not notices:
            if case.of_type(V.RIGHTS_NOTICE):
                ctx.unusable(case.first(V.RIGHTS_NOTICE), V.NOTIFY_RIGHTS_DATE, "告知日期")
            notices = dated(case.of_type(V.INDICTMENT, V.NON_PROSECUTION), V.NOTIFY_RIGHTS_DATE)
            if not notices:
                ctx.warn(f"卷内未找到{V.RIGHTS_NOTICE}，无法核验。")
                return
        accs = acceptances(case) or notice_receipts(case)
        if not accs:
            self._from_transfer(case, ctx, notices)
            return
        start, acc_doc = accs[0]
        after = [(d, n) for d, n in notices if d >= start]
        if not after:
            ctx.warn(f"卷内权利义务告知书日期均早于受理日{fmt(start)}，无法核验审查起诉阶段的告知。")
            return
        when, notice = after[0]
        limit = period_end(start, days=3, custody=in_custody(case))
        judge_days(ctx, limit, when, f"{label(notice)}告知日期{fmt(when)}，距受理日{fmt(start)}超过3日（届满日{limit.describe()}）。",
                   ev(notice, V.NOTIFY_RIGHTS_DATE, V.DATE) + (ev(acc_doc, V.RECEIVED_DATE, V.DATE) if acc_doc else []))

    def _from_transfer(self, case: CaseFile, ctx: Context, notices: list) -> None:
        """No receipt written: the transfer date is the earliest receipt, transfer + transit the latest plausible."""
        bound = transfer_bound(case)
        if bound is None:
            ctx.warn("卷内未找到受理日期，也未能读取移送审查起诉日期，无法核验告知期限。")
            return
        earliest, t_doc = bound
        after = [(d, n) for d, n in notices if d >= earliest]
        if not after:
            return
        when, notice = after[0]
        transit = int(ctx.option("max_transit_days", MAX_TRANSIT_DAYS))
        latest = earliest + dt.timedelta(days=transit)
        custody = in_custody(case)
        sure, possible = period_end(latest, days=3, custody=custody), period_end(earliest, days=3, custody=custody)
        head = (f"卷内未载明受理（收到移送审查起诉案卷材料）日期；{label(t_doc)}所载移送审查起诉日期{fmt(earliest)}是最早可能的受理日，"
                f"{label(notice)}告知日期{fmt(when)}，距移送{(when - earliest).days}日")
        evidence = ev(notice, V.NOTIFY_RIGHTS_DATE, V.DATE) + ev(t_doc, V.TRANSFER_DATE, V.DATE)
        if sure.judge(when) == "late":
            ctx.report(f"{head}；即使按移送后{transit}日内受理（最晚{fmt(latest)}）计算，也超过3日（届满日最晚{sure.describe()}）。",
                       evidence, key="from-transfer")
        elif possible.judge(when) != "ok":
            ctx.hint(f"{head}，按移送当日受理计算超过3日（届满日{possible.describe()}）；实际受理日期未载明，请人工核实。",
                     evidence, key="from-transfer")


@register
class DL014(Rule):
    """有被害人的案件，审查起诉阶段未在三日内告知被害人有权委托诉讼代理人。

    检查内容：卷内载有被害人的，自受理之日（不计）起三日内须有被害人诉讼权利义务告知书；告知晚于三日或卷内无告知书的报问题。卷内无告知书而起诉书等本案文书记载“已告知被害人……有权委托诉讼代理人”的，以所载告知日期核验；未载日期的不报问题，提示人工核实。卷内既无告知书也无起诉书（不起诉案件：不起诉决定书不记载告知情况）的，没有可定位的告知记载之处，只作提示。
    为何是问题：刑事诉讼法第四十六条、规则第五十五条要求三日内告知被害人及其法定代理人或近亲属有权委托诉讼代理人。
    违规示例：起诉书列明被害人李某，2024-04-01受理，卷内无被害人诉讼权利义务告知书。
    规范示例：2024-04-01受理，2024-04-03向被害人李某送达告知书。
    """

    id = "DL-014"
    triggers = (V.CASE_ACCEPTANCE, V.INDICTMENT, V.NON_PROSECUTION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        vs = victims(case)
        if not vs:
            return
        accs = acceptances(case)
        if not accs:
            ctx.warn("卷内未找到受理日期，无法核验被害人告知期限。")
            return
        start, acc_doc = accs[0]
        names = "、".join(dict.fromkeys(p.name for _, p in vs))
        notices = [(d, n) for d, n in dated(case.of_type(V.VICTIM_RIGHTS_NOTICE), V.NOTIFY_RIGHTS_DATE, V.DATE) if d >= start]
        limit = period_end(start, days=3, custody=in_custody(case))
        if not case.of_type(V.VICTIM_RIGHTS_NOTICE):
            recorded = next((d for d in case.documents if d.value(V.VICTIM_NOTIFIED)), None)
            if recorded is None and not case.of_type(V.INDICTMENT):
                # the dossier holds neither the notice nor the 起诉书 whose 审查起诉 paragraph records it
                # (a 不起诉决定书 does not): nothing located where the notice would show — a hint
                ctx.hint(f"卷内载有被害人{names}，受理日{fmt(start)}，未见被害人诉讼权利义务告知书，亦无记载告知情况的起诉书，"
                         "请人工核实是否已在受理后三日内告知被害人有权委托诉讼代理人。", ev(vs[0][0], V.PERSONS), key="missing")
                return
            if recorded is None:
                ctx.report(f"卷内载有被害人{names}，受理日{fmt(start)}，未见被害人诉讼权利义务告知书，起诉书亦未记载已告知被害人。",
                           ev(vs[0][0], V.PERSONS), key="missing", absent=True)
                return
            when = date_of(recorded, V.VICTIM_NOTIFIED)
            if when is None:
                ctx.hint(f"卷内未见被害人诉讼权利义务告知书，{label(recorded)}记载已告知被害人有权委托诉讼代理人但未载明告知日期，"
                         "请人工核实告知是否在受理后三日内。", ev(recorded, V.VICTIM_NOTIFIED), key="undated")
                return
            judge_days(ctx, limit, when, f"{label(recorded)}记载告知被害人日期{fmt(when)}，距受理日{fmt(start)}超过3日"
                       f"（届满日{limit.describe()}）。", ev(recorded, V.VICTIM_NOTIFIED))
            return
        if not notices:
            ctx.warn("未能读取被害人诉讼权利义务告知书的告知日期，无法核验。")
            return
        when, notice = notices[0]
        judge_days(ctx, limit, when, f"{label(notice)}告知被害人日期{fmt(when)}，距受理日{fmt(start)}超过3日（届满日{limit.describe()}）。",
                   ev(notice, V.NOTIFY_RIGHTS_DATE, V.DATE))


@register
class DL015(Rule):
    """不起诉决定书未送达被不起诉人、移送的公安机关或被害人。

    检查内容：以送达回证核对不起诉决定书的送达对象：被不起诉人、移送案件的公安机关，有被害人的还须送达被害人；缺任一即报。宣布笔录、释放证明不在本产品识别的文书范围内，不予核验。
    为何是问题：刑事诉讼法第一百七十八条至第一百八十一条要求不起诉决定公开宣布并送达被不起诉人、公安机关和被害人，以保障其申诉、复议权利。
    违规示例：卷内仅有被不起诉人签收的送达回证，未见向公安机关和被害人送达的记录。
    规范示例：被不起诉人、某市公安局、被害人各有一份签收的送达回证。
    """

    id = "DL-015"
    triggers = (V.NON_PROSECUTION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        np_doc = case.first(V.NON_PROSECUTION)
        receipts = [d for d in case.of_type(V.SERVICE_RECEIPT) if "不起诉" in str(d.value(V.SERVED_DOCUMENT) or "")]
        recips = [str(d.value(V.RECIPIENT) or "") for d in receipts]
        party = np_doc.value(V.SUSPECT_NAME) or next((p.name for p in persons(np_doc)), None)
        missing = []
        if party and not any(party in r for r in recips):
            missing.append(f"被不起诉人{party}")
        if not any("公安" in r for r in recips):
            missing.append("移送案件的公安机关")
        for name in dict.fromkeys(p.name for _, p in victims(case)):
            if not any(name in r for r in recips):
                missing.append(f"被害人{name}")
        if missing:
            ctx.report(f"{label(np_doc)}卷内未见向{'、'.join(missing)}送达的送达回证"
                       f"（现有送达对象：{'、'.join(r for r in recips if r) or '无'}）。", ev(np_doc, V.DATE), absent=True)


@register
class DL016(Rule):
    """抗诉超过法定期限（判决十日，自收到判决书的第二日起算）。

    检查内容：以检察院签收判决书的送达回证签收日期为起点（不计），至抗诉书日期，超过十日的报问题；末日为节假日时是否顺延条文未明，结论取决于顺延的提示人工确认。被害人请求抗诉后五日内答复的子项，请求书与答复不在本产品识别范围内，暂不核验。
    为何是问题：刑事诉讼法第二百三十条规定不服判决的抗诉期限为十日，逾期抗诉不发生效力。
    违规示例：检察院2024-07-01签收判决书，抗诉书日期2024-07-15。
    规范示例：2024-07-01签收，2024-07-10提出抗诉。
    """

    id = "DL-016"
    triggers = (V.PROTEST,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        protest = case.first(V.PROTEST)
        end = date_of(protest, V.DATE)
        if end is None:
            ctx.unusable(protest, V.DATE, "抗诉日期")
        receipts = [d for d in case.of_type(V.SERVICE_RECEIPT)
                    if "判决" in str(d.value(V.SERVED_DOCUMENT) or "") and "检察" in str(d.value(V.RECIPIENT) or "")]
        got = dated(receipts, V.SIGN_DATE)
        if not got:
            ctx.warn("卷内未找到检察院签收判决书的送达回证（或未能读取签收日期），无法核验抗诉期限。")
            return
        start, receipt = got[0]
        limit = period_end(start, days=10, policy="unclear")
        judge_days(ctx, limit, end, f"{label(protest)}日期{fmt(end)}，检察院于{fmt(start)}签收判决书，超过10日抗诉期限"
                   f"（届满日{fmt(limit.plain)}）。", ev(protest, V.DATE) + ev(receipt, V.SIGN_DATE))


@register
class DL017(Rule):
    """撤回起诉后三十日内未作出不起诉决定。

    检查内容：撤回起诉决定书日期（不计）至不起诉决定书日期超过三十日，或撤回起诉后卷内无不起诉决定书的，报问题。
    为何是问题：规则第四百二十四条第二款要求撤回起诉后三十日内作出不起诉决定。
    违规示例：2024-06-01撤回起诉，2024-07-20才作出不起诉决定。
    规范示例：2024-06-01撤回起诉，2024-06-25作出不起诉决定。
    """

    id = "DL-017"
    triggers = (V.WITHDRAWAL,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        wd = case.first(V.WITHDRAWAL)
        start = date_of(wd, V.DATE)
        if start is None:
            ctx.unusable(wd, V.DATE, "撤回起诉日期")
        nps = [(d, n) for d, n in dated(case.of_type(V.NON_PROSECUTION), V.DATE) if d >= start]
        limit = period_end(start, days=30, policy=policy_for(in_custody(case)))
        if not case.of_type(V.NON_PROSECUTION):
            ctx.report(f"{label(wd)}于{fmt(start)}撤回起诉，卷内未见其后作出的不起诉决定书（届满日{limit.describe()}）。",
                       ev(wd, V.DATE), key="missing", absent=True)
            return
        if not nps:
            ctx.warn("未能读取撤回起诉后不起诉决定书的日期，无法核验。")
            return
        when, np_doc = nps[0]
        judge_days(ctx, limit, when, f"{label(np_doc)}日期{fmt(when)}，距{label(wd)}撤回起诉日{fmt(start)}超过30日"
                   f"（届满日{limit.describe()}）。", ev(np_doc, V.DATE) + ev(wd, V.DATE))


@register
class DL019(Rule):
    """判决书送达检察院超过宣判后五日（诉讼监督提示）。

    检查内容：判决书日期（宣判日，不计）至检察院签收判决书的送达回证签收日期超过五日的提示；定期宣判应立即送达，同样适用。
    为何是问题：刑事诉讼法第二百零二条要求当庭宣告判决的五日以内送达判决书，延迟送达影响抗诉期的计算与监督。
    违规示例：判决书日期2024-06-28，检察院签收日期2024-07-10。
    规范示例：判决书日期2024-06-28，检察院2024-07-01签收。
    """

    id = "DL-019"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        judgment = case.first(V.JUDGMENT)
        start = date_of(judgment, V.DATE)
        if start is None:
            ctx.unusable(judgment, V.DATE, "判决日期")
        receipts = [d for d in case.of_type(V.SERVICE_RECEIPT)
                    if "判决" in str(d.value(V.SERVED_DOCUMENT) or "") and "检察" in str(d.value(V.RECIPIENT) or "")]
        got = dated(receipts, V.SIGN_DATE)
        if not got:
            return
        when, receipt = got[0]
        limit = period_end(start, days=5, policy="unclear")
        judge_days(ctx, limit, when, f"{label(judgment)}日期{fmt(start)}，{label(receipt)}检察院签收日期{fmt(when)}，"
                   f"送达超过5日（届满日{fmt(limit.plain)}）。", ev(receipt, V.SIGN_DATE) + ev(judgment, V.DATE))


@register
class DL020(Rule):
    """取保候审超过十二个月或监视居住超过六个月。

    检查内容：同一机关作出的取保候审（监视居住）决定之日起，至该机关办案阶段结束（公安：移送审查起诉；检察院：起诉或不起诉；法院：判决）或其后执行逮捕之日，按月计算超过十二个月（六个月）的报问题。
    为何是问题：刑事诉讼法第七十九条规定取保候审最长不得超过十二个月，监视居住最长不得超过六个月。
    违规示例：某市公安局2023-01-10决定取保候审，2024-03-01才移送审查起诉。
    规范示例：2023-01-10取保候审，2023-11-20移送审查起诉，检察院重新作出取保候审决定。
    """

    id = "DL-020"
    triggers = (V.BAIL_DECISION, V.RESIDENCE_DECISION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        stage_end = {
            "公安": date_of(case.first(V.PROSECUTION_OPINION), V.TRANSFER_DATE, V.DATE),
            "检察": date_of(case.first(V.INDICTMENT, V.NON_PROSECUTION), V.DATE),
            "法院": date_of(case.first(V.JUDGMENT), V.DATE),
        }
        arrests = [d for d, _ in dated(case.of_type(V.ARREST_WARRANT), V.EXECUTION_TIME, V.DATE)]
        for doc_type, months, name in ((V.BAIL_DECISION, 12, "取保候审"), (V.RESIDENCE_DECISION, 6, "监视居住")):
            for start, doc in dated(case.of_type(doc_type), V.DATE):
                issuer = str(doc.value(V.ISSUER) or "")
                organ = next((k for k in stage_end if k in issuer), None)
                if organ is None:
                    ctx.warn(f"{label(doc)}未能读取决定机关，无法核验{name}期限。")
                    continue
                ends = [d for d in [stage_end[organ], *arrests] if d and d > start]
                if not ends:
                    continue
                end = min(ends)
                limit = period_end(start, months=months, custody=False)
                if limit.judge(end) == "late":
                    ctx.report(f"{label(doc)}{issuer}于{fmt(start)}决定{name}，至{fmt(end)}该阶段结束，超过{months}个月"
                               f"（届满日{limit.describe()}），卷内未见解除或变更记录。", ev(doc, V.DATE), key=doc.id, absent=True)


@register
class DL021(Rule):
    """传唤、拘传持续时间超过十二小时（特别重大复杂的二十四小时）。

    检查内容：自传唤证（拘传证）记载的到案时间起，至其后连续讯问笔录的最晚结束时间，超过十二小时的报问题（超过十二小时未超过二十四小时的，如属特别重大、复杂需拘留逮捕的案件可以延长，仍列出供人工确认）。
    为何是问题：刑事诉讼法第一百一十九条规定传唤、拘传持续时间不得超过十二小时，最长不得超过二十四小时，不得以连续传唤变相拘禁。
    违规示例：2024-03-01 08:00到案，讯问笔录至2024-03-01 23:30结束。
    规范示例：2024-03-01 08:00到案，讯问至当日17:00结束。
    """

    id = "DL-021"
    triggers = (V.SUMMONS,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for summons in case.of_type(V.SUMMONS):
            start = time_of(summons, V.ARRIVAL_TIME)
            if start is None:
                ctx.warn(f"{label(summons)}未能读取到案时间，无法核验。")
                continue
            window = start + dt.timedelta(hours=24 + 12)
            ends = sorted((t, d) for d in case.of_type(V.INTERROGATION)
                          if (s := time_of(d, V.START_TIME)) and start <= s <= window and (t := time_of(d, V.END_TIME)))
            if not ends:
                continue
            end, doc = ends[-1]
            hours = (end - start).total_seconds() / 3600
            if hours > 12:
                more = "，超过24小时的最长限度" if hours > 24 else "；如属特别重大、复杂需要采取拘留、逮捕措施的可至24小时，请核实"
                ctx.report(f"{label(summons)}到案时间{fmt(start)}，{label(doc)}讯问结束时间{fmt(end)}，持续{hours:.1f}小时，"
                           f"超过12小时{more}。", ev(summons, V.ARRIVAL_TIME) + ev(doc, V.END_TIME), key=summons.id)
