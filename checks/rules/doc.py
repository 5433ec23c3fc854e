"""文书内容 (DOC) rules: required sections, elements and legal consistency of single documents."""

from __future__ import annotations

import datetime as dt

from models import CaseFile, Document
from models import vocab as V
from models.charges import split_parents

from checks.calendar import age_on
from checks.engine import Context, Rule, register
from checks.rules._common import (
    all_charges, article_base, birth_date, catalog_for, charge_lists, crime_bands, date_of, dated, describe_sentence, ev,
    fine_mandatory, fmt, is_party, label, max_penalty, months_text, persons, plea_case, procedure_of, recommendation, sentence,
    victims,
)
from checks.rules.con import crime_age


def _sections(ctx: Context, doc: Document) -> dict[str, bool]:
    value = ctx.need(doc, V.SECTIONS, "文书结构（各部分是否齐全）")
    if not isinstance(value, dict):
        ctx.warn(f"{label(doc)}结构信息格式不正确，无法核验。")
        return {}
    return value


def _absent(sections: dict[str, bool | None], names) -> list[str]:
    """Parts the templates located the document's structure for and found missing (positive evidence)."""
    return [n for n in names if sections.get(n) is False]


def _unlocated(sections: dict[str, bool | None], names) -> list[str]:
    """Parts not found where the document's structure (its end, 落款) was not located: hints only."""
    return [n for n in names if n in sections and sections.get(n) is None]


def _structure_grounds(doc: Document, missing: list[str]) -> list[str]:
    """Why a missing part is a finding: the template, the located end, the parts read."""
    st = doc.value(V.STRUCTURE) or {}
    out = [f"模板：{st.get('template') or doc.type}"]
    if st.get("end"):
        out.append(f"已定位文尾：“{st['end']}”" + (f"，成文日期“{st['closing_date']}”" if st.get("closing_date") else ""))
    read = st.get("sections") or {}
    if read:
        out.append("已识别部分：" + "；".join(f"{k}（“{v}”）" for k, v in read.items()))
    out.append(f"全文未见：{'、'.join(missing)}")
    return out


def _section_findings(ctx: Context, doc: Document, wanted, what: str, key: str, noun: str = "") -> None:
    """One finding for the parts positively missing, one hint for the parts not located."""
    sections = _sections(ctx, doc)
    missing = _absent(sections, wanted)
    if missing:
        ctx.report(f"{label(doc)}{what}缺少{'、'.join(missing)}{noun}。", ev(doc, V.SECTIONS), key=key,
                   grounds=_structure_grounds(doc, missing))
    unsure = _unlocated(sections, wanted)
    if unsure:
        ctx.hint(f"未能定位{label(doc)}的{'、'.join(unsure)}（未识别出文书结构或文尾），请人工核实。",
                 [doc.first_evidence()], key=f"{key}|unlocated")


_PERSON_ITEMS = (("gender", "性别"), ("birth_date", "出生日期"), ("id_number", "公民身份号码"), ("ethnicity", "民族"),
                 ("birthplace", "出生地/户籍地"), ("education", "文化程度"), ("occupation", "职业"), ("address", "住址"))


@register
class DOC001(Rule):
    """起诉书缺少必备内容（被告人基本情况、案由和来源、事实、根据和理由、认罪认罚情况、附项）。

    检查内容：按起诉书结构核对六部分是否齐全（认罪认罚情况仅对认罪认罚案件要求）；逐一核对被告人基本情况中的性别、出生日期、公民身份号码、民族、出生地、文化程度、职业、住址，缺项即报（每名被告人一个问题）。
    为何是问题：规则第三百五十八条规定起诉书的主要内容和附项，缺项影响指控的完整性与被告人的防御权。
    违规示例：起诉书被告人基本情况未写公民身份号码和文化程度；认罪认罚案件未写认罪认罚情况。
    规范示例：“被告人张三，男，1990年3月7日出生，公民身份号码……，汉族，初中文化，无业，住……”。
    """

    id = "DOC-001"
    triggers = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INDICTMENT):
            wanted = [s for s in V.INDICTMENT_SECTIONS if s != "认罪认罚情况" or plea_case(case)]
            _section_findings(ctx, doc, wanted, "", f"{doc.id}|sections", noun="部分")
            for p in persons(doc):
                if not is_party(p):
                    continue
                lack = [name for attr, name in _PERSON_ITEMS if not getattr(p, attr)]
                if lack:
                    ctx.report(f"{label(doc)}被告人{p.name}基本情况缺{'、'.join(lack)}。", ev(doc, V.PERSONS),
                               key=f"{doc.id}|{p.name}")


@register
class DOC002(Rule):
    """认罪认罚案件未提出量刑建议，或量刑建议缺主刑、刑期或法定必并处的罚金。

    检查内容：认罪认罚案件（有具结书或起诉书写明认罪认罚）中，起诉书或量刑建议书须有量刑建议；建议须载明主刑种类和刑期（或幅度），所涉罪名各刑档均规定并处罚金的须有罚金建议。未签署具结书的例外记录由 DOC-005 核验。
    为何是问题：刑事诉讼法第一百七十六条第二款要求认罪认罚案件提出量刑建议，包括主刑、附加刑、是否适用缓刑等。
    违规示例：盗窃罪认罪认罚案件量刑建议“有期徒刑八个月”，未建议罚金。
    规范示例：“建议判处有期徒刑八个月，并处罚金人民币三千元”。
    """

    id = "DOC-002"
    triggers = (V.INDICTMENT, V.PLEA_AGREEMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        if not plea_case(case):
            return
        rec = recommendation(case)
        ind = case.first(V.INDICTMENT)
        if rec is None:
            if case.of_type(V.SENTENCING_RECOMMENDATION):
                ctx.warn("未能读取量刑建议书的量刑建议内容，无法核验。")
            elif ind is not None:
                ctx.report(f"认罪认罚案件{label(ind)}未提出量刑建议，卷内亦无量刑建议书。", ev(ind), key="missing", absent=True)
            return
        s, doc = rec
        lacks = []
        if not s.kind:
            lacks.append("主刑")
        elif s.kind in ("有期徒刑", "拘役", "管制") and not s.months and not s.range_months:
            lacks.append("刑期")
        cat = catalog_for(ctx)
        need_fine = [c for c in (doc.value(V.CHARGES) or all_charges(case)) if fine_mandatory(cat, c)]
        if need_fine and not s.fine_yuan and s.kind not in ("免予刑事处罚", "无罪"):
            lacks.append(f"罚金（{'、'.join(need_fine)}法定并处罚金）")
        if lacks:
            ctx.report(f"{label(doc)}量刑建议“{describe_sentence(s)}”未载明{'、'.join(lacks)}。", ev(doc, V.RECOMMENDATION), key="elements")


_REDUCERS = ("自首", "立功", "从犯", "胁从", "未遂", "中止", "预备", "未成年", "防卫过当", "避险过当", "又聋又哑", "盲人",
             "减轻处罚", "特殊减轻")


@register
class DOC003(Rule):
    """量刑建议超出所引罪名的法定刑幅度，或量刑建议书缺必备要素。

    检查内容：按 crimes 表的法定刑幅度，建议刑期高于各刑档最高刑，或低于最低刑档下限且无减轻处罚情节（自首、立功、从犯、未遂、未成年等）即报；认罪认罚案件提出幅度刑的提示；量刑建议书缺法定刑、量刑情节、刑种刑期、执行方式、理由依据任一部分即报。
    为何是问题：规则第二百七十五条要求量刑建议一般为确定刑，第三百六十四条要求在法定量刑幅度内提出，并载明建议的理由和依据。
    违规示例：危险驾驶罪建议有期徒刑八个月（法定刑仅为拘役）。
    规范示例：危险驾驶罪建议拘役三个月，并处罚金五千元。
    """

    id = "DOC-003"
    triggers = (V.SENTENCING_RECOMMENDATION, V.INDICTMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.SENTENCING_RECOMMENDATION):
            if isinstance(doc.value(V.SECTIONS), dict):
                _section_findings(ctx, doc, V.RECOMMENDATION_SECTIONS, "", f"{doc.id}|sections")
        rec = recommendation(case)
        if rec is None:
            return
        s, doc = rec
        if s.range_months and plea_case(case):
            f = ctx.report(f"认罪认罚案件{label(doc)}提出幅度刑量刑建议“{describe_sentence(s)}”，一般应为确定刑。",
                           ev(doc, V.RECOMMENDATION), key="range")
            f.preview = True
        months = s.range_months[1] if s.range_months else s.months
        low_m = s.range_months[0] if s.range_months else s.months
        if months is None or s.kind not in ("有期徒刑", "拘役", "管制"):
            return
        cat = catalog_for(ctx)
        charges = doc.value(V.CHARGES) or all_charges(case)
        for charge in charges:
            bands = crime_bands(cat, charge)
            if not bands:
                continue
            top = max(b[1] for b in bands)
            life = any(b[2] for b in bands)
            only_short = all("有期徒刑" not in b[3] for b in bands)
            if s.kind == "有期徒刑" and only_short:
                ctx.report(f"{label(doc)}对{charge}建议{describe_sentence(s)}，而该罪法定刑为{bands[0][3].strip('。')}，不含有期徒刑。",
                           ev(doc, V.RECOMMENDATION), key=f"kind|{charge}")
            elif months > top and not life:
                ctx.report(f"{label(doc)}对{charge}建议{describe_sentence(s)}，超过该罪法定最高刑{months_text(top)}。",
                           ev(doc, V.RECOMMENDATION), key=f"high|{charge}")
            elif s.kind == "有期徒刑" and low_m is not None and low_m < min(b[0] for b in bands):
                circ = " ".join(str(c) for d in case.documents for c in (d.value(V.CIRCUMSTANCES) or []))
                if not any(k in circ for k in _REDUCERS):
                    ctx.report(f"{label(doc)}对{charge}建议{describe_sentence(s)}，低于该罪最低刑档下限"
                               f"{months_text(min(b[0] for b in bands))}，且未载明减轻处罚情节。", ev(doc, V.RECOMMENDATION),
                               key=f"low|{charge}")


def _section_rule(ctx: Context, docs: list[Document], names, what: str) -> None:
    for doc in docs:
        _section_findings(ctx, doc, names, what, doc.id)


@register
class DOC004(Rule):
    """认罪认罚具结书缺认罪声明、同意量刑建议或同意程序适用的内容。

    检查内容：具结书须含如实供述罪行（认罪）、同意量刑建议、同意适用的程序三项内容，缺任一即报；量刑建议与起诉书是否一致由 CON-009 核验。
    为何是问题：规则第二百七十二条规定具结书应当包括犯罪嫌疑人如实供述罪行、同意量刑建议和程序适用等内容。
    违规示例：具结书只写“本人自愿认罪”，未写明同意的量刑建议和程序。
    规范示例：具结书载明认罪、同意“有期徒刑八个月，并处罚金三千元”的量刑建议、同意适用速裁程序。
    """

    id = "DOC-004"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        _section_rule(ctx, case.of_type(V.PLEA_AGREEMENT), V.PLEA_AGREEMENT_SECTIONS, "")


@register
class DOC005(Rule):
    """起诉书写明认罪认罚但卷内无具结书，也未记录不签署的法定例外。

    检查内容：起诉书写明认罪认罚而卷内无认罪认罚具结书的，须记录未签署的例外事由（盲聋哑人、尚未完全丧失辨认或控制能力的精神病人、未成年人的法定代理人或辩护人有异议等）；无记录即报。
    为何是问题：刑事诉讼法第一百七十四条规定认罪认罚应签署具结书及其例外；无具结书又无例外记录，认罪认罚从宽的适用缺乏依据。
    违规示例：起诉书称“被告人自愿认罪认罚”，卷内无具结书，无任何说明。
    规范示例：随案移送具结书；或写明“被告人系聋哑人，依法不需签署具结书”。
    """

    id = "DOC-005"
    triggers = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ind = case.first(V.INDICTMENT)
        if ind.value(V.PLEA) is not True or case.of_type(V.PLEA_AGREEMENT):
            return
        if any(d.value(V.PLEA_EXCEPTION) for d in case.documents):
            return
        ctx.report(f"{label(ind)}写明认罪认罚，但卷内未见认罪认罚具结书，也未记录不签署具结书的例外事由。", ev(ind, V.PLEA), absent=True)


@register
class DOC006(Rule):
    """不起诉决定书缺少必备内容。

    检查内容：不起诉决定书须有被不起诉人基本情况（含羁押处所）、案由和案件来源、案件事实、不起诉的根据和理由、涉案财物处理情况、告知事项六部分，缺任一即报；告知事项为“有关告知事项”，仅在有被害人或酌定不起诉（有申诉权人）时要求。仅在识别出文书结构（文尾）时才认定缺失，否则列为提示。
    为何是问题：规则第三百七十二条第二款规定不起诉决定书的主要内容。
    违规示例：不起诉决定书未写明查封扣押财物的处理。
    规范示例：六部分齐全，无涉案财物的写明“无涉案财物”。
    """

    id = "DOC-006"
    triggers = (V.NON_PROSECUTION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.NON_PROSECUTION):
            # 告知事项 are the "有关" notices: owed where a victim or a 酌定不起诉 gives someone a right to appeal
            notice_owed = bool(victims(case)) or "酌定" in str(doc.value(V.NP_TYPE) or "")
            wanted = [s for s in V.NON_PROSECUTION_SECTIONS if s != "告知事项" or notice_owed]
            _section_findings(ctx, doc, wanted, "", doc.id)


@register
class DOC007(Rule):
    """不起诉决定书未告知被害人或被不起诉人七日内申诉的权利。

    检查内容：有被害人的，不起诉决定书须告知被害人七日内向上一级检察院申诉或向法院起诉；酌定不起诉的须告知被不起诉人七日内向本院申诉；缺失即报。
    为何是问题：刑事诉讼法第一百八十条、第一百八十一条赋予被害人、被不起诉人申诉权，告知缺失会剥夺其救济机会。
    违规示例：酌定不起诉决定书未写明被不起诉人可在七日内向本院申诉。
    规范示例：决定书末尾分别写明被害人和被不起诉人的申诉权利及期限。
    """

    id = "DOC-007"
    triggers = (V.NON_PROSECUTION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.NON_PROSECUTION):
            sections = _sections(ctx, doc)
            missing = []
            if victims(case) and sections.get("被害人申诉告知") is False:
                missing.append("被害人七日内申诉（或向法院起诉）的告知")
            if "酌定" in str(doc.value(V.NP_TYPE) or "") and sections.get("被不起诉人申诉告知") is False:
                missing.append("被不起诉人七日内向本院申诉的告知")
            if missing:
                ctx.report(f"{label(doc)}缺{'、'.join(missing)}。", ev(doc, V.SECTIONS), key=doc.id)


_NP_ARTICLES = {
    "法定": ("第一百七十七条第一款", "第十六条"),
    "酌定": ("第一百七十七条第二款",),
    "存疑": ("第一百七十五条第四款",),
    "特殊": ("第一百八十二条",),
    "附条件": ("第二百八十二条",),
}


@register
class DOC008(Rule):
    """不起诉类型与所引刑事诉讼法条款或理由不一致。

    检查内容：法定不起诉应引第一百七十七条第一款（或第十六条）；酌定不起诉应引第一百七十七条第二款并有“犯罪情节轻微”；存疑不起诉应引第一百七十五条第四款，一次退回补充侦查后即作出的须写明“没有再次退回补充侦查必要”；特殊不起诉引第一百八十二条；附条件不起诉引第二百八十二条。类型、条款、理由不一致即报。
    为何是问题：不起诉类型决定法律后果和救济途径，适用条款错误属适用法律错误。
    违规示例：酌定不起诉决定书引用刑事诉讼法第一百七十五条第四款。
    规范示例：酌定不起诉：“犯罪情节轻微……依照《中华人民共和国刑事诉讼法》第一百七十七条第二款的规定，决定对某某不起诉”。
    """

    id = "DOC-008"
    triggers = (V.NON_PROSECUTION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.NON_PROSECUTION):
            kind = str(ctx.need(doc, V.NP_TYPE, "不起诉类型"))
            key = next((k for k in _NP_ARTICLES if k in kind), None)
            if key is None:
                continue
            cited = [str(a) for a in doc.value(V.PROCEDURE_ARTICLES) or []]
            reason = str(doc.value(V.REASON) or "") + doc.text
            if cited and not any(c.startswith(a) or a.startswith(c) for a in _NP_ARTICLES[key] for c in cited):
                ctx.report(f"{label(doc)}为{key}不起诉，所引刑事诉讼法条款为{'、'.join(cited)}，应为{'或'.join(_NP_ARTICLES[key])}。",
                           ev(doc, V.PROCEDURE_ARTICLES, V.NP_TYPE), key=f"{doc.id}|article")
            elif not cited:
                ctx.warn(f"{label(doc)}未能读取所引刑事诉讼法条款，无法核验不起诉类型与条款是否对应。")
            if key == "酌定" and "情节轻微" not in reason:
                ctx.report(f"{label(doc)}为酌定不起诉，但未写明“犯罪情节轻微”。", ev(doc, V.REASON), key=f"{doc.id}|minor")
            returns = len(case.of_type(V.SUPPLEMENTARY_INVESTIGATION))
            if key == "存疑" and returns == 1 and "再次退回补充侦查必要" not in reason and "再次退补必要" not in reason:
                ctx.report(f"{label(doc)}在一次退回补充侦查后作出存疑不起诉，未写明“没有再次退回补充侦查必要”。", ev(doc, V.REASON),
                           key=f"{doc.id}|once")


@register
class DOC009(Rule):
    """判决书缺裁判依据、控辩意见回应、上诉告知，或未成年被告人缺出生日期（诉讼监督提示）。

    检查内容：判决书未引用法律条文（裁判依据）、未对控辩意见是否采纳作出说明、未写明上诉期限和上诉法院、被告人为未成年人而未写明出生年月日的，作为诉讼监督提示（一份判决书一个问题，列出缺项）。
    为何是问题：最高法解释关于裁判文书的要求：判决书应写明裁判依据和理由，回应控辩意见；未成年人的出生日期关系到刑事责任和量刑。
    违规示例：判决书“本院认为”部分未回应辩护人的自首意见；或全文无“如不服本判决……提出上诉”。
    规范示例：写明“辩护人提出被告人有自首情节的意见，经查……本院予以采纳”。
    """

    id = "DOC-009"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.JUDGMENT):
            sections = _sections(ctx, doc)
            missing = _absent(sections, V.JUDGMENT_SECTIONS)
            if doc.value(V.APPEAL_NOTICE) is False and "上诉告知" not in missing:
                missing.append("上诉告知")
            got = crime_age(case)
            for p in persons(doc):
                if is_party(p) and not p.birth_date and got and got[0] < 18:
                    missing.append(f"未成年被告人{p.name}的出生日期")
            if missing:
                ctx.report(f"{label(doc)}缺{'、'.join(missing)}。", ev(doc, V.SECTIONS), key=doc.id)


@register
class DOC010(Rule):
    """讯问笔录中犯罪嫌疑人认罪，起诉意见书却未写明认罪情况。

    检查内容：任一讯问笔录记载犯罪嫌疑人如实供述（认罪）的，起诉意见书须写明犯罪嫌疑人的认罪情况；缺失即报。
    为何是问题：公安机关移送审查起诉时应写明认罪认罚情况（刑事诉讼法第一百六十二条第二款），以便检察机关审查适用认罪认罚从宽。
    违规示例：讯问笔录中嫌疑人供认盗窃事实，起诉意见书对认罪情况只字未提。
    规范示例：起诉意见书写明“犯罪嫌疑人张三到案后如实供述自己的罪行，自愿认罪”。
    """

    id = "DOC-010"
    triggers = (V.PROSECUTION_OPINION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        confessed = [d for d in case.of_type(V.INTERROGATION) if d.value(V.CONFESSION) is True]
        if not confessed:
            return
        op = case.first(V.PROSECUTION_OPINION)
        sections = _sections(ctx, op)
        if sections.get("认罪情况") is False:
            ctx.report(f"{label(confessed[0])}记载犯罪嫌疑人供认犯罪事实，但{label(op)}未写明认罪情况。",
                       ev(confessed[0], V.CONFESSION) + ev(op, V.SECTIONS))


@register
class DOC011(Rule):
    """各诉讼阶段首次讯问未告知诉讼权利及认罪认罚的法律规定。

    检查内容：侦查、审查逮捕、审查起诉各阶段的第一份讯问笔录（按讯问开始时间），须记载告知诉讼权利及“如实供述可以从宽处理和认罪认罚的法律规定”；未记载即报。
    为何是问题：刑事诉讼法第一百二十条要求讯问时告知犯罪嫌疑人享有的诉讼权利、如实供述可以从宽处理和认罪认罚的法律规定。
    违规示例：审查起诉阶段首次讯问笔录开头直接问案情，无权利告知。
    规范示例：笔录开头记载已送达权利义务告知书并告知认罪认罚的法律规定，犯罪嫌疑人表示听清楚了。
    """

    id = "DOC-011"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        firsts: dict[str, Document] = {}
        for _, doc in dated(case.of_type(V.INTERROGATION), V.START_TIME, V.DATE):
            firsts.setdefault(str(doc.value(V.INTERROGATION_STAGE) or "侦查"), doc)
        for stage, doc in firsts.items():
            if doc.value(V.RIGHTS_TOLD) is False:
                ctx.report(f"{stage}阶段首次{label(doc)}未记载告知诉讼权利及认罪认罚的法律规定。", ev(doc), key=stage)


@register
class DOC012(Rule):
    """审查起诉阶段卷内无检察人员讯问犯罪嫌疑人的笔录。

    检查内容：受理审查起诉后作出起诉或不起诉决定的，卷内须有审查起诉阶段（检察人员）的讯问笔录，缺失即报。听取辩护人、被害人意见的笔录不在本产品识别的文书范围内，不予核验。
    为何是问题：刑事诉讼法第一百七十三条规定审查起诉应当讯问犯罪嫌疑人，听取辩护人、被害人及其诉讼代理人的意见并记录在案。
    违规示例：2024-04-01受理，2024-04-28起诉，卷内讯问笔录均为公安机关制作。
    规范示例：卷内有2024-04-08检察官讯问笔录。
    """

    id = "DOC-012"
    triggers = (V.INDICTMENT, V.NON_PROSECUTION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        decision = case.first(V.INDICTMENT, V.NON_PROSECUTION)
        talks = case.of_type(V.INTERROGATION)
        if not talks:
            ctx.warn("卷内未找到讯问笔录，无法核验审查起诉阶段是否讯问。")
            return
        stages = [str(d.value(V.INTERROGATION_STAGE) or "") for d in talks]
        if not any(stages):
            ctx.warn("未能识别讯问笔录的诉讼阶段，无法核验审查起诉阶段是否讯问。")
            return
        if "审查起诉" not in stages:
            ctx.report(f"{label(decision)}作出前，卷内{len(talks)}份讯问笔录均非审查起诉阶段检察人员讯问，未见审查起诉阶段讯问犯罪嫌疑人的笔录。",
                       ev(decision))


def _has_defender(case: CaseFile) -> bool:
    """A defender is on record: a 辩护人 signed the 具结书, or a document names one (辩护律师张三 …)."""
    return any("辩护人" in str(d.value(V.LAWYER_ROLE) or "") or d.value(V.DEFENDERS) for d in case.documents)


@register
class DOC013(Rule):
    """应当通知法律援助（未成年人、可能判处无期徒刑或死刑）而卷内无通知书。

    检查内容：犯罪嫌疑人犯罪时或诉讼中未满十八周岁，或量刑建议、判决为无期徒刑、死刑，且卷内无委托辩护人记录的，须有法律援助通知书；缺失即报。盲、聋、哑及精神病人的身份状况无法从文书可靠读取，不予判断。
    为何是问题：刑事诉讼法第三十五条、第二百七十八条规定上述情形应当通知法律援助机构指派律师辩护，侵害辩护权属严重程序违法。
    违规示例：犯罪嫌疑人16周岁，卷内无辩护委托，也无法律援助通知书。
    规范示例：受理后即通知法律援助机构，卷内有法律援助通知书。
    """

    id = "DOC-013"

    def check(self, case: CaseFile, ctx: Context) -> None:
        if case.of_type(V.LEGAL_AID_NOTICE) or _has_defender(case):
            return
        reasons = []
        got = crime_age(case)
        born = birth_date(case)
        if got and got[0] < 18:
            reasons.append(f"犯罪时未满十八周岁（{got[0]}周岁）")
        elif born and (acc := date_of(case.first(V.INDICTMENT, V.CASE_ACCEPTANCE), V.DATE)) and age_on(born[0], acc) < 18:
            reasons.append("审查起诉时未满十八周岁")
        for d in case.of_type(V.SENTENCING_RECOMMENDATION, V.INDICTMENT, V.JUDGMENT):
            s = sentence(d.value(V.RECOMMENDATION)) or sentence(d.value(V.SENTENCE))
            if s and s.kind in ("无期徒刑", "死刑"):
                reasons.append(f"{label(d)}载明{s.kind}")
                break
        if reasons:
            ctx.report(f"犯罪嫌疑人{'、'.join(reasons)}，卷内无委托辩护人记录，也未见法律援助通知书。",
                       [case.documents[0].first_evidence()] if case.documents else [], absent=True)


@register
class DOC014(Rule):
    """认罪认罚而无辩护人的案件，卷内无通知值班律师的记录。

    检查内容：认罪认罚案件卷内无委托或指派辩护人的，须有值班律师通知书，或本案文书记载值班律师在本阶段提供法律帮助（起诉书“听取了值班律师某某的意见”、检察人员讯问笔录“由值班律师某某提供法律帮助”）；具结书由值班律师签名而卷内无上述任何记录的亦报。
    为何是问题：刑事诉讼法第三十六条、第一百七十三条要求为没有辩护人的犯罪嫌疑人通知值班律师提供法律帮助，保障认罪认罚的自愿性。
    违规示例：具结书由值班律师签名，卷内无值班律师通知书。
    规范示例：受理后通知值班律师，卷内有值班律师通知书及会见记录。
    """

    id = "DOC-014"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        if _has_defender(case) or case.of_type(V.LEGAL_AID_NOTICE, V.DUTY_LAWYER_NOTICE):
            return
        if any(d.value(V.DUTY_LAWYER) for d in case.of_type(V.INDICTMENT, V.INTERROGATION)
               if d.type == V.INDICTMENT or d.value(V.INTERROGATION_STAGE) == "审查起诉"):
            return  # the dossier records the duty lawyer's help in this stage
        plea = case.first(V.PLEA_AGREEMENT)
        ctx.report(f"认罪认罚案件卷内无辩护人，{label(plea)}{'由值班律师' + str(plea.value(V.LAWYER_NAME)) + '签名，' if plea.value(V.LAWYER_NAME) else ''}"
                   f"但未见通知值班律师的记录。", ev(plea, V.LAWYER_NAME, V.LAWYER_ROLE), absent=True)


@register
class DOC015(Rule):
    """可能判处无期徒刑、死刑的案件，讯问笔录未注明全程同步录音录像。

    检查内容：所涉罪名法定最高刑含无期徒刑或死刑（crimes 表）的，每份讯问笔录须注明全程同步录音录像；未注明的笔录列入一个问题。
    为何是问题：刑事诉讼法第一百二十三条规定对可能判处无期徒刑、死刑的案件讯问过程应当录音录像，以保证供述合法性。
    违规示例：故意杀人案的三份讯问笔录均未注明录音录像。
    规范示例：笔录首部注明“本次讯问全程同步录音录像”。
    """

    id = "DOC-015"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        top = max_penalty(catalog_for(ctx), all_charges(case))
        if not top or not top[1]:
            return
        bad = [d for d in case.of_type(V.INTERROGATION) if d.value(V.AV_RECORDED) is False]
        if bad:
            ctx.report(f"本案罪名（{'、'.join(all_charges(case))}）法定最高刑含无期徒刑或死刑，"
                       f"{'、'.join(label(d) for d in bad)}未注明全程同步录音录像。", [e for d in bad for e in ev(d)])


@register
class DOC016(Rule):
    """讯问未成年犯罪嫌疑人未记载法定代理人或合适成年人到场。

    检查内容：按出生日期与讯问日期计算讯问时年龄，未满十八周岁的，笔录须记载法定代理人（或其他合适成年人及其原因）到场；未记载即报（每份笔录一个问题）。讯问女性未成年人须有女性工作人员参加的要求，因讯问人性别通常不载于笔录，不予判断。
    为何是问题：刑事诉讼法第二百八十一条规定讯问未成年犯罪嫌疑人应当通知其法定代理人到场，否则供述的合法性存疑。
    违规示例：犯罪嫌疑人16周岁，讯问笔录未记载任何人到场。
    规范示例：笔录首部“法定代理人：王某某（系犯罪嫌疑人之母）到场”。
    """

    id = "DOC-016"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INTERROGATION):
            day = date_of(doc, V.START_TIME, V.DATE)
            born = birth_date(case, doc.value(V.SUSPECT_NAME))
            if not day or not born:
                continue
            age = age_on(born[0], day)
            if age < 18 and not doc.value(V.GUARDIAN):
                ctx.report(f"{label(doc)}讯问时（{fmt(day)}）犯罪嫌疑人{age}周岁（出生于{fmt(born[0])}），笔录未记载法定代理人或合适成年人到场。",
                           ev(doc), key=doc.id)



@register
class DOC017(Rule):
    """罪名不是规范罪名（含已取消罪名），或与所引刑法条款不对应。

    检查内容：起诉意见书、起诉书、判决书、不起诉决定书所载罪名，与两高罪名规定及补充规定比对：使用已取消的罪名（如“偷税罪”应为“逃税罪”）或不在罪名规定中的即报；crimes 表中有对应条文的，所引刑法条款不含该条即报。
    为何是问题：罪名必须使用两高确定的规范罪名，并与刑法分则条文对应，否则属适用法律错误。
    违规示例：起诉书指控“偷税罪”；或指控危险驾驶罪却引用刑法第一百三十三条。
    规范示例：指控逃税罪，引用刑法第二百零一条。
    """

    id = "DOC-017"
    triggers = (V.PROSECUTION_OPINION, V.INDICTMENT, V.JUDGMENT, V.NON_PROSECUTION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        cat = catalog_for(ctx)
        names, abolished = charge_lists(cat)
        for doc in case.of_type(V.PROSECUTION_OPINION, V.INDICTMENT, V.JUDGMENT, V.NON_PROSECUTION):
            charges = [str(c) for c in doc.value(V.CHARGES) or []]
            articles = [article_base(str(a)) for a in doc.value(V.ARTICLES) or []]
            for charge in charges:
                if charge in abolished:
                    ctx.report(f"{label(doc)}使用已取消的罪名“{charge}”（现行罪名为“{abolished[charge]}”）。", ev(doc, V.CHARGES),
                               key=f"{doc.id}|{charge}|abolished")
                    continue
                official = charge
                if charge not in names:
                    # a split form of a 选择性罪名 (贩卖毒品罪) is a normal way to write the charge
                    parents = split_parents(charge, names)
                    if not parents:
                        ctx.report(f"{label(doc)}所载罪名“{charge}”不是两高罪名规定中的规范罪名。", ev(doc, V.CHARGES),
                                   key=f"{doc.id}|{charge}|unknown")
                    if len(parents) != 1:
                        continue
                    official = parents[0]
                entry = cat.crimes.get(official)
                if not entry or not entry.article:
                    continue
                if not articles:
                    ctx.warn(f"{label(doc)}未能读取所引刑法条款，无法核对{charge}的条文。")
                    continue
                if article_base(entry.article) not in articles:
                    ctx.report(f"{label(doc)}认定{charge}，所引刑法条款为{'、'.join(dict.fromkeys(articles))}，"
                               f"未引用该罪条文刑法{entry.article}。", ev(doc, V.ARTICLES, V.CHARGES), key=f"{doc.id}|{charge}|article")


@register
class DOC018(Rule):
    """缓刑建议或判决不符合法定条件（刑种刑期、累犯、首要分子）或考验期不合法。

    检查内容：建议或判处缓刑的，主刑须为拘役或三年以下有期徒刑；累犯、犯罪集团首要分子不得缓刑；考验期：拘役为原判刑期以上一年以下且不少于二个月，有期徒刑为原判刑期以上五年以下且不少于一年；不符即报。
    为何是问题：刑法第七十二条至第七十四条规定缓刑的适用条件和考验期限，适用错误属抗诉事由。
    违规示例：建议有期徒刑四年，缓刑五年；或被告人系累犯仍建议缓刑。
    规范示例：有期徒刑一年，缓刑一年六个月。
    """

    id = "DOC-018"
    triggers = (V.SENTENCING_RECOMMENDATION, V.INDICTMENT, V.JUDGMENT, V.PLEA_AGREEMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        circ = {str(c) for d in case.documents for c in (d.value(V.CIRCUMSTANCES) or [])}
        for doc in case.of_type(V.SENTENCING_RECOMMENDATION, V.INDICTMENT, V.JUDGMENT):
            s = sentence(doc.value(V.SENTENCE if doc.type == V.JUDGMENT else V.RECOMMENDATION))
            if not s or not s.suspended:
                continue
            what = "判处" if doc.type == V.JUDGMENT else "建议"
            problems = []
            term = s.range_months[1] if s.range_months else s.months
            if s.kind not in ("拘役", "有期徒刑"):
                problems.append(f"主刑为{s.kind}，不得适用缓刑")
            elif s.kind == "有期徒刑" and term and term > 36:
                problems.append(f"有期徒刑{months_text(term)}超过三年")
            bad_circ = [c for c in circ if "累犯" in c or "首要分子" in c]
            if bad_circ:
                problems.append(f"被告人系{'、'.join(sorted(bad_circ))}，不适用缓刑")
            p = s.probation_months
            if p is not None and term:
                if s.kind == "拘役" and not (max(term, 2) <= p <= 12):
                    problems.append(f"拘役缓刑考验期{months_text(p)}不在原判刑期以上一年以下（且不少于二个月）")
                if s.kind == "有期徒刑" and not (max(term, 12) <= p <= 60):
                    problems.append(f"有期徒刑缓刑考验期{months_text(p)}不在原判刑期以上五年以下（且不少于一年）")
            if problems:
                ctx.report(f"{label(doc)}{what}“{describe_sentence(s)}”：{'；'.join(problems)}。",
                           ev(doc, V.SENTENCE, V.RECOMMENDATION), key=doc.id)


@register
class DOC019(Rule):
    """判决书刑期起止日期与先行羁押折抵的计算不符。

    检查内容：判处有期徒刑、拘役（非缓刑）的，刑期起算日应为先行羁押（刑事拘留）之日，终止日为起算日加刑期、至相应日的前一日（最高法解释第二百零二条第二款）；按卷内拘留日期复算，起止日误差一日以上即报；起算日为月末、按月末规则多算或少算一日的，提示人工确认。管制折抵（一日折抵二日）及羁押中断的情形须人工复核。
    为何是问题：刑期计算错误直接影响刑罚执行，多羁押或少羁押均属错误。
    违规示例：2024-03-01刑事拘留，判处有期徒刑一年，判决书写“自2024年3月1日起至2025年3月1日止”。
    规范示例：“自2024年3月1日起至2025年2月28日止”。
    """

    id = "DOC-019"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        from checks.calendar import add_months, sentence_end

        jd = case.first(V.JUDGMENT)
        s = sentence(jd.value(V.SENTENCE))
        if not s or s.suspended or s.kind not in ("有期徒刑", "拘役") or not s.months:
            return
        start, end = date_of(jd, V.TERM_START), date_of(jd, V.TERM_END)
        if not start or not end:
            ctx.warn(f"{label(jd)}未能读取刑期起止日期，无法复算。")
            return
        custody = date_of(jd, V.DETENTION_DATE) or next(iter(d for d, _ in dated(case.of_type(V.DETENTION_WARRANT), V.EXECUTION_TIME, V.DATE)), None)
        problems = []
        if custody and custody != start:
            problems.append(f"起算日应为先行羁押之日{fmt(custody)}，判决书写{fmt(start)}")
        months = int(round(s.months))
        first = custody or start
        expected = sentence_end(first, months=months)
        month_end_reading = add_months(first, months) - dt.timedelta(days=1)
        if end != expected:
            if end == month_end_reading:
                ctx.warn(f"{label(jd)}刑期自{fmt(first)}起、至{fmt(end)}止，系按月末规则计算；按“至下月同日的前一日”应至"
                         f"{fmt(expected)}止，请人工确认。")
            else:
                problems.append(f"按{fmt(first)}起算{months_text(s.months)}应至{fmt(expected)}止，判决书写{fmt(end)}")
        if problems:
            ctx.report(f"{label(jd)}刑期计算有误：{'；'.join(problems)}。", ev(jd, V.TERM_START, V.TERM_END))


@register
class DOC020(Rule):
    """建议适用速裁程序但不符合条件（量刑建议超过三年有期徒刑或被告人系未成年人）。

    检查内容：起诉书建议速裁程序的，量刑建议超过三年有期徒刑（或无期徒刑、死刑）、被告人审查起诉时未满十八周岁的，即报；盲聋哑人、精神病人、共同被告人异议等情形无法仅凭文书可靠判断。
    为何是问题：刑事诉讼法第二百二十二条、第二百二十三条规定速裁程序仅适用于可能判处三年有期徒刑以下刑罚的案件，未成年人不适用速裁。
    违规示例：建议有期徒刑四年并适用速裁程序。
    规范示例：建议有期徒刑八个月并适用速裁程序，被告人已成年。
    """

    id = "DOC-020"
    triggers = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        ind = case.first(V.INDICTMENT)
        proc = procedure_of(case)
        if not proc or "速裁" not in proc[0]:
            return
        problems = []
        rec = recommendation(case)
        if rec:
            s = rec[0]
            term = s.range_months[1] if s.range_months else s.months
            if s.kind in ("无期徒刑", "死刑") or (s.kind == "有期徒刑" and term and term > 36):
                problems.append(f"量刑建议“{describe_sentence(s)}”超过三年有期徒刑")
        born = birth_date(case)
        day = date_of(ind, V.DATE)
        if born and day and age_on(born[0], day) < 18:
            problems.append(f"被告人未满十八周岁（{age_on(born[0], day)}周岁）")
        if problems:
            ctx.report(f"{label(ind)}建议适用速裁程序，但{'；'.join(problems)}，不符合速裁程序适用条件。", ev(ind, V.PROCEDURE))


_PRE_TYPES = (V.PROSECUTION_OPINION, V.ARREST_REQUEST, V.ARREST_APPROVAL, V.DETENTION_WARRANT, V.ARREST_WARRANT,
              V.RIGHTS_NOTICE, V.PLEA_AGREEMENT, V.CASE_ACCEPTANCE, V.INTERROGATION)


@register
class DOC021(Rule):
    """当事人称谓不规范（起诉前“犯罪嫌疑人”、起诉后“被告人”、不起诉后“被不起诉人”）。

    检查内容：侦查、审查起诉阶段文书（起诉意见书、提请批准逮捕书、讯问笔录、具结书等）称本案当事人为“被告人”，起诉书、判决书称“犯罪嫌疑人”，或不起诉决定书未使用“被不起诉人”的，即报（历史前科叙述中的“被告人”由抽取环节排除）。
    为何是问题：刑事诉讼法按诉讼阶段使用不同称谓，混用反映文书制作不规范（实践规范）。
    违规示例：起诉意见书写“被告人张三于2024年1月……”。
    规范示例：起诉意见书写“犯罪嫌疑人张三”，起诉书写“被告人张三”。
    """

    id = "DOC-021"

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.documents:
            terms = [str(t) for t in doc.value(V.ADDRESSEE_TERM) or []]
            if not terms:
                continue
            if doc.type in _PRE_TYPES and "被告人" in terms:
                ctx.report(f"{label(doc)}系起诉前文书，却称当事人为“被告人”，应为“犯罪嫌疑人”。", ev(doc, V.ADDRESSEE_TERM), key=doc.id)
            elif doc.type in (V.INDICTMENT, V.JUDGMENT) and "犯罪嫌疑人" in terms:
                ctx.report(f"{label(doc)}称当事人为“犯罪嫌疑人”，应为“被告人”。", ev(doc, V.ADDRESSEE_TERM), key=doc.id)
            elif doc.type == V.NON_PROSECUTION and "被不起诉人" not in terms:
                ctx.report(f"{label(doc)}未使用“被不起诉人”称谓（现用“{'、'.join(terms)}”）。", ev(doc, V.ADDRESSEE_TERM), key=doc.id)


@register
class DOC022(Rule):
    """犯罪时未满十八周岁的案件，卷内无社会调查报告（提示）。

    检查内容：以出生日期和犯罪日期计算犯罪时年龄，未满十八周岁而卷内无社会调查报告的，提示。
    为何是问题：刑事诉讼法第二百七十九条规定办理未成年人刑事案件可以对其成长经历、犯罪原因等进行调查，实践要求随案移送社会调查报告。
    违规示例：犯罪时17周岁，移送材料中无社会调查报告。
    规范示例：卷内有公安机关或司法行政机关制作的社会调查报告。
    """

    id = "DOC-022"
    hint_only = True
    triggers = (V.PROSECUTION_OPINION, V.INDICTMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        got = crime_age(case)
        if got and got[0] < 18 and not case.of_type(V.SOCIAL_INVESTIGATION):
            ctx.hint(f"犯罪时（{fmt(got[1])}）犯罪嫌疑人{got[0]}周岁，未满十八周岁，卷内未见社会调查报告，请核实是否随案移送。",
                     ev(got[2], V.CRIME_DATE))
