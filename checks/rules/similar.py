"""SUB-007: the sentence or outcome departs from similar decided cases (重点评查 trigger).

The assessment itself is computed outside the checks package (``assistant.similar`` over
the similar-case index) and handed to the rule as ``Context.similar`` (``run_rules(…, similar=…)``);
this module only decides and words the finding. :func:`decide` is a
pure function of that block and the options so that benchmarks use the same decision.
"""

from __future__ import annotations

from typing import Any

from models import CaseFile, vocab

from checks.engine import Context, Rule, Skip, register

DEFAULTS: dict[str, Any] = {
    "min_relative_deviation": 0.3,
    "min_outcome_rate": 0.02,
    "min_neighbours": 8,
    "use_interval": True,
    "charge_median_factor": 3.0,
    "wide_interval_ratio": 7.0,
}


#: Outcome classes a corpus of decided convictions cannot measure (their own key-review rules own them).
UNMEASURED_OUTCOMES = frozenset({"无罪/不起诉"})


def decide(similar: dict[str, Any], options: dict[str, Any] | None = None) -> list[str]:
    """The reasons (Chinese) why this assessment departs from its similar cases; empty if none.

    Fires when the actual (non-zero) term lies outside the expected interval *and* its relative
    deviation is at least ``min_relative_deviation`` (both sides, signed); where the interval is
    too wide to judge (bounds ``wide_interval_ratio`` apart), when the term is at least
    ``charge_median_factor`` times the charge's median term in the index (or at most its
    reciprocal) and still deviates by ``min_relative_deviation`` from the expected; or when the
    actual outcome class (监禁刑 / 非监禁刑、免予刑事处罚 / 无罪、不起诉 / 无期徒刑 / 死刑)
    has a weighted share below ``min_outcome_rate`` among at least ``min_neighbours``
    neighbours. A zero term (no prison term) is judged by its outcome class only. An acquittal or
    non-prosecution (``无罪/不起诉``) is never judged against similar cases: the decided-case corpus
    holds convictions only, so it cannot measure that outcome, and SUB-001–SUB-003 already put
    those cases under key review on their own ground. Nothing fires
    when the index holds fewer than ``min_neighbours`` cases of the charge
    (``same_charge_cases``): cases of other charges are no yardstick for a sentence.
    ``threshold`` is accepted as an alias of ``min_relative_deviation``.
    """
    opts = dict(DEFAULTS)
    opts.update(options or {})
    if "threshold" in (options or {}):
        opts["min_relative_deviation"] = options["threshold"]
    reasons: list[str] = []
    same = similar.get("same_charge_cases")
    if same is not None and int(same) < int(opts["min_neighbours"]):
        return reasons
    exp_m = similar.get("expected_sentence_months")
    act_m = similar.get("actual_sentence_months")
    dev = similar.get("deviation")
    iv = similar.get("interval_months")
    n = int(similar.get("neighbour_count") or len(similar.get("neighbours") or []))
    if exp_m is not None and act_m and dev is not None:
        outside = True
        if opts["use_interval"] and iv:
            outside = act_m < iv[0] or act_m > iv[1]
        if outside and abs(dev) >= float(opts["min_relative_deviation"]):
            direction = "高于" if dev > 0 else "低于"
            band = f"（类案区间 {iv[0]:.1f}–{iv[1]:.1f} 个月）" if iv else ""
            reasons.append(f"刑期 {act_m:g} 个月{direction}类案预期 {exp_m:.1f} 个月{band}，偏离 {dev:+.0%}")
        elif not outside and abs(dev) >= float(opts["min_relative_deviation"]):
            wide = _charge_level_reason(similar, opts, act_m, exp_m, dev, iv)
            if wide:
                reasons.append(wide)
    cls_ = similar.get("actual_outcome_class")
    rates = similar.get("outcome_rates") or {}
    if cls_ and cls_ not in UNMEASURED_OUTCOMES and rates and n >= int(opts["min_neighbours"]):
        rate = float(rates.get(cls_, 0.0))
        if rate < float(opts["min_outcome_rate"]):
            common = max(rates.items(), key=lambda kv: kv[1])
            reasons.append(f"处理结果“{cls_}”在 {n} 件类案中占比仅 {rate:.0%}，类案多为“{common[0]}”（{common[1]:.0%}）")
    return reasons


def _charge_level_reason(similar: dict[str, Any], opts: dict[str, Any], act_m: float, exp_m: float, dev: float,
                         iv: list[float] | None) -> str | None:
    """Where the interval is too wide to judge (its bounds more than ``wide_interval_ratio`` apart,
    in months + 1: the model cannot tell this case from its neighbours), the charge is the yardstick:
    a term ``charge_median_factor`` times the median term of the charge's cases in the index, or
    that fraction of it, that also departs from the expected term, is flagged."""
    med = similar.get("charge_median_months")
    if not iv or not med or med < 1:
        return None
    if (iv[1] + 1) / (iv[0] + 1) < float(opts["wide_interval_ratio"]):
        return None
    factor = float(opts["charge_median_factor"])
    ratio = act_m / med
    if 1 / factor < ratio < factor:
        return None
    how = f"为同罪名类案中位数 {med:.1f} 个月的 {ratio:.1f} 倍" if ratio >= 1 else f"仅为同罪名类案中位数 {med:.1f} 个月的 {ratio:.0%}"
    return (f"刑期 {act_m:g} 个月{how}；类案区间 {iv[0]:.1f}–{iv[1]:.1f} 个月过宽，不足以单独判断，"
            f"与本案类案预期 {exp_m:.1f} 个月亦偏离 {dev:+.0%}")


@register
class SUB007(Rule):
    """量刑建议或宣告刑与类案明显偏离，列为重点评查。

    检查内容：以同罪名类案（相似度与数额、情节相近度加权）得出的预期刑期及其区间（区间按历史案例交叉验证残差校准，
    默认约 97% 的正常判决落在区间内）、处理结果分布为基准，
    判决书宣告刑（无判决书时为量刑建议）超出区间且相对偏离超过阈值（默认 30%），或处理结果在类案中
    极少出现（默认低于 2%）时标记；类案区间过宽（上下限相差 7 倍以上）不足以判断时，宣告刑达到同罪名类案
    中位数的 3 倍以上（或不足三分之一）且与本案预期相对偏离超过阈值的，同样标记。附预期、实际、偏离方向与幅度、
    主要类案及情节差异。
    为何是问题：最高法关于适用刑事诉讼法的解释第三百五十四条要求结合相关犯罪的法定刑、类似案件的刑罚适用
    等审查量刑建议；与类案明显偏离的量刑可能存在情节认定或量刑失衡，需要重点评查。
    违规示例：盗窃罪，涉案金额 3,000 元，有自首、退赃情节，类案预期约 6 个月（区间 3–10 个月），宣告刑 36 个月。
    规范示例：同一案件宣告刑 6 个月，落在类案区间内；或类案中多数为监禁刑而本案亦判处监禁刑。
    """

    id = "SUB-007"
    triggers = (vocab.JUDGMENT, vocab.SENTENCING_RECOMMENDATION, vocab.INDICTMENT, vocab.PLEA_AGREEMENT)
    options = dict(DEFAULTS)

    def check(self, case: CaseFile, ctx: Context) -> None:
        similar = ctx.similar
        if not similar:
            ctx.warn("未配置类案索引或未能完成类案比对，无法核验。")
            raise Skip
        if similar.get("actual_sentence_months") is None and not similar.get("actual_outcome_class"):
            ctx.warn("未能读取判决书宣告刑或量刑建议，无法与类案比较。")
            raise Skip
        same = similar.get("same_charge_cases")
        need = int(ctx.option("min_neighbours", DEFAULTS["min_neighbours"]))
        if same is not None and int(same) < need:
            ctx.warn(f"类案索引中“{similar.get('charge') or '本案罪名'}”的案例仅 {int(same)} 件（少于 {need} 件），"
                     "未作类案偏离判断。")
            raise Skip
        reasons = decide(similar, ctx.options)
        if not reasons:
            return
        nbs = similar.get("neighbours") or []
        top = "；".join(f"{n['id']}（{'、'.join(n.get('charges') or [])}，"
                       f"{'—' if n.get('sentence_months') is None else format(n['sentence_months'], 'g') + '个月'}，"
                       f"相似度 {n.get('similarity', 0):.2f}）" for n in nbs[:3])
        diff = similar.get("circumstances_differing") or {}
        diff_txt = "、".join(list(diff)[:5])
        source = similar.get("actual_source") or "宣告刑"
        message = f"{similar.get('charge') or '本案'}{source}与类案偏离：" + "；".join(reasons) + "。"
        if top:
            message += f"主要类案：{top}。"
        if diff_txt:
            message += f"与类案存在差异的情节：{diff_txt}。"
        evidence = []
        doc_id = similar.get("actual_document_id")
        doc = case.document(doc_id) if doc_id else None
        if doc is not None:
            name = vocab.SENTENCE if doc.type == vocab.JUDGMENT else vocab.RECOMMENDATION
            evidence = doc.evidence(name) or [doc.first_evidence()]
        ctx.report(message, evidence=evidence, key="SUB-007")
