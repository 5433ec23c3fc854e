"""签名签章 (SG) rules: decided from :class:`~models.Slot` data (text layer or scans alike).

``Slot.filled is False`` is a finding; ``filled is None`` (page too poor to decide) becomes a
Chinese warning naming the page, never a finding.
"""

from __future__ import annotations

from models import CaseFile, Document, Slot
from models import vocab as V

from checks.calendar import age_on
from checks.engine import Context, Rule, register
from checks.rules._common import birth_date, date_of, ev, fmt, label, slot_ev, slot_grounds, slot_pages_text


def _unclear(ctx: Context, doc: Document, slots: list[Slot], what: str) -> None:
    for s in slots:
        if s.filled is None:
            ctx.warn(f"{label(doc)}{slot_pages_text(doc, [s])}{what}区域无法辨认，请人工核对。")


def closing_read(doc: Document) -> bool:
    """Whether the 文尾 (落款) was read well enough that a name missing from it is absent: the
    templates located it and its lines were read with confidence; a text layer without a
    located structure counts as read (its text is exact)."""
    st = doc.value(V.STRUCTURE)
    if isinstance(st, dict) and "closing_read" in st:
        return bool(st["closing_read"])
    return doc.text_source == "text-layer"


def _missing(doc: Document, role: str, kind: str | None = None) -> tuple[list[Slot], list[Slot]]:
    """(unfilled slots, all slots) of a role."""
    slots = doc.slots_for(role, kind)
    return [s for s in slots if s.filled is False], slots


@register
class SG001(Rule):
    """讯问笔录缺犯罪嫌疑人逐页签名或指印，或检察环节笔录缺核对确认语。

    检查内容：逐页检查讯问笔录的被讯问人签名区与指印区；任一页缺失即报（一份笔录一个问题，列出全部缺失页）；笔录注明拒绝签名、捺指印的降为提示。检察机关（审查逮捕、审查起诉阶段）讯问笔录末页须有“以上笔录我看过（向我宣读过），和我说的相符”。签名区无法辨认的页面列为警告。修改处捺指印、亲笔供词末页签名日期两个子项需要笔迹改动检测，暂不核验。
    为何是问题：刑事诉讼法第一百二十二条、规则第一百八十八条、公安规定第二百零六条要求笔录经犯罪嫌疑人核对后逐页签名、捺指印，否则笔录的真实性与证据能力存疑。
    违规示例：讯问笔录共4页，第2、3页无犯罪嫌疑人签名，第3页无指印。
    规范示例：每页页脚均有犯罪嫌疑人签名并捺指印，末页写明“以上笔录我看过，和我说的相符”。
    """

    id = "SG-001"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INTERROGATION):
            no_sign, signs = _missing(doc, V.SLOT_SUSPECT_SIGNATURE)
            no_print, prints = _missing(doc, V.SLOT_SUSPECT_FINGERPRINT)
            _unclear(ctx, doc, signs, "犯罪嫌疑人签名")
            _unclear(ctx, doc, prints, "指印")
            if not signs and not prints:
                ctx.warn(f"{label(doc)}未能识别签名、指印区域，无法核验逐页签名。")
            parts = []
            if no_sign:
                parts.append(f"{slot_pages_text(doc, no_sign)}缺犯罪嫌疑人签名")
            if no_print:
                parts.append(f"{slot_pages_text(doc, no_print)}缺指印")
            if parts:
                refused = doc.value(V.REFUSAL_NOTE)
                msg = f"{label(doc)}{'，'.join(parts)}"
                if refused:
                    f = ctx.report(msg + f"；笔录已注明“{refused}”，作提示。", slot_ev(doc, no_sign + no_print), grounds=slot_grounds(doc, no_sign + no_print), key=f"{doc.id}|slots")
                    f.preview = True
                else:
                    ctx.report(msg + "，且未注明拒绝签名、捺指印。", slot_ev(doc, no_sign + no_print), grounds=slot_grounds(doc, no_sign + no_print), key=f"{doc.id}|slots")
            stage = str(doc.value(V.INTERROGATION_STAGE) or "")
            if doc.value(V.CONFIRMATION) is False and stage in ("审查逮捕", "审查起诉"):
                ctx.report(f"{label(doc)}（{stage}阶段）末页缺“以上笔录我看过（向我宣读过），和我说的相符”的核对确认语。",
                           ev(doc), key=f"{doc.id}|confirm")


@register
class SG002(Rule):
    """讯问笔录的讯问人员少于二人、讯问人未签名或签名人与首部所列不一致。

    检查内容：笔录首部所列讯问人（检察环节连同记录人）少于二人即报；讯问人签名区未签即报；签名人姓名（可识别时）不在首部所列讯问人、记录人之中即报。签名区无法辨认的列为警告。
    为何是问题：刑事诉讼法第一百一十八条、规则第二百六十条要求讯问由二名以上侦查或检察人员进行，并在笔录上签名。
    违规示例：笔录首部“讯问人：王某”，仅一人；或末页讯问人签名处空白。
    规范示例：首部“讯问人：王某、李某　记录人：赵某”，末页三人均签名。
    """

    id = "SG-002"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INTERROGATION):
            listed = [str(x) for x in doc.value(V.INTERROGATORS) or []]
            recorder = doc.value(V.RECORDER)
            stage = str(doc.value(V.INTERROGATION_STAGE) or "")
            if listed:
                staff = list(dict.fromkeys(listed + ([recorder] if recorder and stage in ("审查逮捕", "审查起诉") else [])))
                read = doc.fields.get(V.INTERROGATORS)
                if len(staff) < 2 and read is not None and read.confidence < 0.7:
                    # the names are handwriting (讯问人（签名）) read by OCR: one may simply not have been read
                    ctx.hint(f"{label(doc)}首部讯问人签名仅识别出{'、'.join(staff)}，请人工核实讯问人员是否为二人以上。",
                             ev(doc, V.INTERROGATORS), key=f"{doc.id}|count")
                elif len(staff) < 2:
                    ctx.report(f"{label(doc)}讯问人员仅{'、'.join(staff)}一人，不足二人。", ev(doc, V.INTERROGATORS),
                               key=f"{doc.id}|count")
            else:
                ctx.warn(f"{label(doc)}未能读取讯问人，无法核验讯问人数。")
            missing, slots = _missing(doc, V.SLOT_INTERROGATOR_SIGNATURE)
            _unclear(ctx, doc, slots, "讯问人签名")
            if missing:
                ctx.report(f"{label(doc)}{slot_pages_text(doc, missing)}讯问人签名处未签名。", slot_ev(doc, missing), grounds=slot_grounds(doc, missing),
                           key=f"{doc.id}|sign")
            names = set(listed) | ({recorder} if recorder else set())
            strangers = [s.who for s in slots if s.filled and s.who and names and s.who not in names]
            if strangers:
                ctx.report(f"{label(doc)}签名讯问人员{'、'.join(dict.fromkeys(strangers))}与首部所列讯问人"
                           f"{'、'.join(listed) or '（未列）'}不一致。", slot_ev(doc, [s for s in slots if s.who in strangers]), grounds=slot_grounds(doc, [s for s in slots if s.who in strangers]),
                           key=f"{doc.id}|names")


def _minor_at(case: CaseFile, doc: Document, *date_fields: str) -> tuple[int, str] | None:
    """(age, birth date) when the suspect was under 18 at the document's date."""
    day = date_of(doc, *date_fields)
    born = birth_date(case, doc.value(V.SUSPECT_NAME))
    if not day or not born:
        return None
    age = age_on(born[0], day)
    return (age, born[0].isoformat()) if age < 18 else None


@register
class SG003(Rule):
    """未成年犯罪嫌疑人的讯问笔录缺法定代理人或合适成年人签名。

    检查内容：按出生日期与讯问日期计算讯问时年龄，未满十八周岁的，笔录须载明到场的法定代理人或合适成年人并有其签名；到场人未记载的见 DOC-016。
    为何是问题：刑事诉讼法第二百八十一条第二款要求到场的法定代理人或者其他人员阅读笔录后签名（检察环节另须捺指印）。
    违规示例：犯罪嫌疑人2008-05-10出生，2024-03-02讯问，笔录记载其母到场，但末页无其母签名。
    规范示例：笔录末页有法定代理人签名并捺指印。
    """

    id = "SG-003"
    triggers = (V.INTERROGATION,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INTERROGATION):
            minor = _minor_at(case, doc, V.START_TIME, V.DATE)
            if not minor or not doc.value(V.GUARDIAN):
                continue
            missing, slots = _missing(doc, V.SLOT_GUARDIAN_SIGNATURE)
            _unclear(ctx, doc, slots, "法定代理人签名")
            if missing or not slots:
                where_ = slot_pages_text(doc, missing) if missing else "末页"
                ctx.report(f"{label(doc)}讯问时犯罪嫌疑人未满18周岁（{minor[0]}周岁，出生于{minor[1]}），到场人"
                           f"{doc.value(V.GUARDIAN)}{where_}未签名。", slot_ev(doc, missing) if missing else ev(doc, V.GUARDIAN),
                           key=doc.id)


@register
class SG004(Rule):
    """认罪认罚具结书缺犯罪嫌疑人或律师签名、律师身份不符，或签署晚于起诉书。

    检查内容：具结书须有犯罪嫌疑人签名（捺印）和辩护人或值班律师签名；签名律师与卷内法律援助通知书、值班律师通知书所载律师不一致即报；具结书日期晚于起诉书日期即报。签名区无法辨认的列为警告。
    为何是问题：刑事诉讼法第一百七十四条、规则第二百七十二条要求犯罪嫌疑人在辩护人或者值班律师在场的情况下签署具结书。
    违规示例：具结书律师签名处空白；或具结书日期2024-05-10，起诉书日期2024-05-08。
    规范示例：具结书有犯罪嫌疑人及值班律师签名，签署于起诉前。
    """

    id = "SG-004"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        notices = case.of_type(V.LEGAL_AID_NOTICE, V.DUTY_LAWYER_NOTICE)
        known = {str(n.value(V.LAWYER_NAME)) for n in notices if n.value(V.LAWYER_NAME)}
        ind = case.first(V.INDICTMENT)
        ind_date = date_of(ind, V.DATE)
        for doc in case.of_type(V.PLEA_AGREEMENT):
            for role, who in ((V.SLOT_DEFENDANT_SIGNATURE, "犯罪嫌疑人"), (V.SLOT_LAWYER_SIGNATURE, "辩护人或值班律师")):
                missing, slots = _missing(doc, role)
                _unclear(ctx, doc, slots, f"{who}签名")
                if missing:
                    ctx.report(f"{label(doc)}{slot_pages_text(doc, missing)}缺{who}签名。", slot_ev(doc, missing), grounds=slot_grounds(doc, missing),
                               key=f"{doc.id}|{role}")
                elif not slots:
                    ctx.warn(f"{label(doc)}未能识别{who}签名区域，无法核验。")
            lawyer = doc.value(V.LAWYER_NAME)
            if lawyer and known and lawyer not in known:
                ctx.report(f"{label(doc)}签名律师{lawyer}（{doc.value(V.LAWYER_ROLE) or '身份未载明'}）与卷内指派、通知记录所载律师"
                           f"{'、'.join(sorted(known))}不一致。", ev(doc, V.LAWYER_NAME), key=f"{doc.id}|lawyer")
            signed = date_of(doc, V.DATE)
            if signed and ind_date and signed > ind_date:
                ctx.report(f"{label(doc)}签署日期{fmt(signed)}晚于{label(ind)}日期{fmt(ind_date)}。", ev(doc, V.DATE) + ev(ind, V.DATE),
                           key=f"{doc.id}|date")


@register
class SG005(Rule):
    """未成年犯罪嫌疑人签署认罪认罚具结书，缺法定代理人签名。

    检查内容：按出生日期与具结书日期计算签署时年龄，未满十八周岁的，具结书须有法定代理人（或合适成年人）签名以反映其在场；辩护人签名由 SG-004 核验。
    为何是问题：规则第四百六十八条要求未成年犯罪嫌疑人认罪认罚的，应当由其法定代理人、辩护人在场并签字确认。
    违规示例：犯罪嫌疑人签署时16周岁，具结书仅有本人和值班律师签名。
    规范示例：具结书另有法定代理人签名。
    """

    id = "SG-005"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.PLEA_AGREEMENT):
            minor = _minor_at(case, doc, V.DATE)
            if not minor:
                continue
            missing, slots = _missing(doc, V.SLOT_GUARDIAN_SIGNATURE)
            _unclear(ctx, doc, slots, "法定代理人签名")
            if missing or (not slots and not doc.value(V.GUARDIAN)):
                ctx.report(f"{label(doc)}签署时犯罪嫌疑人未满18周岁（{minor[0]}周岁，出生于{minor[1]}），未见法定代理人签名。",
                           slot_ev(doc, missing) if missing else ev(doc, V.DATE), key=doc.id)


@register
class SG006(Rule):
    """权利义务告知书缺被告知人签名，且卷内无送达回执。

    检查内容：犯罪嫌疑人、被害人诉讼权利义务告知书的被告知人签名区未签，且卷内没有送达该告知书的送达回证的，报问题；签名区无法辨认的列为警告。
    为何是问题：规则第四十条第三款要求口头告知的记明笔录并由被告知人签名，书面告知的将送达回执入卷，否则无法证明已履行告知义务。
    违规示例：告知书“被告知人签名”处空白，卷内无告知书送达回证。
    规范示例：告知书有犯罪嫌疑人签名及日期。
    """

    id = "SG-006"
    triggers = (V.RIGHTS_NOTICE, V.VICTIM_RIGHTS_NOTICE)

    def check(self, case: CaseFile, ctx: Context) -> None:
        served = [d for d in case.of_type(V.SERVICE_RECEIPT) if "告知" in str(d.value(V.SERVED_DOCUMENT) or "")]
        for doc in case.of_type(V.RIGHTS_NOTICE, V.VICTIM_RIGHTS_NOTICE):
            missing, slots = _missing(doc, V.SLOT_NOTIFIED_SIGNATURE)
            _unclear(ctx, doc, slots, "被告知人签名")
            if missing and not served:
                ctx.report(f"{label(doc)}{slot_pages_text(doc, missing)}被告知人签名处空白，卷内亦无该告知书的送达回证。",
                           slot_ev(doc, missing), grounds=slot_grounds(doc, missing), key=doc.id, absent=True)


_ELEMENTS = ((V.SLOT_PROSECUTOR, "检察官署名"), (V.SLOT_DOC_DATE, "成文日期"), (V.SLOT_COURT_SEAL, "院印"))


@register
class SG007(Rule):
    """起诉书、不起诉决定书、量刑建议书文尾缺检察官署名、成文日期或院印。

    检查内容：文尾须有承办检察官署名、成文日期并加盖院印；按版面检测的署名区、日期区和印章区，任一缺失即报（一份文书一个问题，列出缺失要素）；检察官姓名为打印文字的，已读取文尾（成文日期）而无检察官姓名即为缺署名；区域无法辨认的列为警告。签发审批记录不在卷宗文书范围内，不予核验。
    为何是问题：署名、日期和院印是法律文书生效的形式要件（文书格式规范），缺失影响文书效力。
    违规示例：起诉书文尾有“检察官　王某”和日期，但未加盖院印。
    规范示例：文尾“检察官　王某　2024年5月10日”并加盖院印。
    """

    id = "SG-007"
    triggers = (V.INDICTMENT, V.NON_PROSECUTION, V.SENTENCING_RECOMMENDATION)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.INDICTMENT, V.NON_PROSECUTION, V.SENTENCING_RECOMMENDATION):
            absent, bad_slots = [], []
            for role, name in _ELEMENTS:
                missing, slots = _missing(doc, role)
                _unclear(ctx, doc, slots, name)
                if missing:
                    absent.append(name)
                    bad_slots += missing
                elif not slots:
                    if role == V.SLOT_PROSECUTOR and not doc.value(V.PROSECUTORS) and doc.value(V.DATE):
                        if closing_read(doc):
                            absent.append(name)  # the 文尾 was read (its date is known) but names no 检察官
                        else:
                            ctx.hint(f"未能在{label(doc)}文尾识别{name}（文尾文字识别置信度不足），请人工核实。",
                                     [doc.first_evidence()], key=f"{doc.id}|{name}")
                    elif role == V.SLOT_COURT_SEAL or (role == V.SLOT_PROSECUTOR and not doc.value(V.PROSECUTORS)):
                        ctx.warn(f"{label(doc)}未能识别{name}区域，无法核验。")
            if absent:
                at = f"（{slot_pages_text(doc, bad_slots)}）" if bad_slots else ""
                ctx.report(f"{label(doc)}文尾缺{'、'.join(absent)}{at}。", slot_ev(doc, bad_slots), grounds=slot_grounds(doc, bad_slots), key=doc.id)


@register
class SG008(Rule):
    """判决书缺审判人员或书记员署名、院印，或未写明上诉期限和上诉法院。

    检查内容：判决书文尾审判长、审判员（人民陪审员）和书记员署名区及院印区任一缺失即报（署名为打印文字的，读到其他署名而缺某一项即为缺失）；判决书未载明“如不服本判决，可在接到判决书的第二日起十日内……向××人民法院提出上诉”即报（诉讼监督提示，DOC-009 同时作为判决书结构要素核验）。
    为何是问题：刑事诉讼法第二百零三条、最高法解释第二百九十九条要求判决书由审判人员和书记员署名，并写明上诉的期限和上诉的法院。
    违规示例：判决书文尾无书记员署名；或全文无上诉告知。
    规范示例：文尾列明审判长、审判员、书记员，加盖院印，并有上诉告知。
    """

    id = "SG-008"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.JUDGMENT):
            absent, bad = [], []
            printed = {V.SLOT_JUDGE: doc.value(V.JUDGES), V.SLOT_CLERK: doc.value(V.CLERK)}
            for role, name in ((V.SLOT_JUDGE, "审判人员署名"), (V.SLOT_CLERK, "书记员署名"), (V.SLOT_COURT_SEAL, "院印")):
                missing, slots = _missing(doc, role)
                _unclear(ctx, doc, slots, name)
                if missing:
                    absent.append(name)
                    bad += missing
                elif not slots and role in printed and not printed[role]:
                    if any(printed.values()) and closing_read(doc):  # the 文尾 was read: the other names are there
                        absent.append(name)
                    elif any(printed.values()):
                        ctx.hint(f"未能在{label(doc)}文尾识别{name}（文尾文字识别置信度不足），请人工核实。",
                                 [doc.first_evidence()], key=f"{doc.id}|{name}")
                    else:
                        ctx.warn(f"{label(doc)}未能读取{name}，无法核验。")
            if absent:
                at = f"（{slot_pages_text(doc, bad)}）" if bad else ""
                ctx.report(f"{label(doc)}文尾缺{'、'.join(absent)}{at}。", slot_ev(doc, bad), grounds=slot_grounds(doc, bad), key=f"{doc.id}|sign")
            if doc.value(V.APPEAL_NOTICE) is False:
                ctx.report(f"{label(doc)}未写明上诉期限和上诉法院。", ev(doc), key=f"{doc.id}|appeal")


@register
class SG009(Rule):
    """送达回证缺受送达人签名或签收日期，拒收未注明事由。

    检查内容：送达回证的受送达人签名区、签收日期区任一未填即报（一份回证一个问题）；回证注明拒收（拒绝签收）的不要求签名，但须有拒收说明；区域无法辨认的列为警告。
    为何是问题：刑事诉讼法第一百零七条、最高法解释第二百零四条规定送达以受送达人在送达回证上记明的签收日期为准，缺失将无法计算上诉、抗诉期限。
    违规示例：送达回证受送达人签名处有签名，签收日期空白。
    规范示例：受送达人签名并记明“2024年7月1日”。
    """

    id = "SG-009"
    triggers = (V.SERVICE_RECEIPT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.SERVICE_RECEIPT):
            refused = doc.value(V.REFUSAL_NOTE)
            absent, bad = [], []
            for role, name in ((V.SLOT_RECIPIENT_SIGNATURE, "受送达人签名"), (V.SLOT_SIGN_DATE, "签收日期")):
                missing, slots = _missing(doc, role)
                _unclear(ctx, doc, slots, name)
                if missing:
                    absent.append(name)
                    bad += missing
                elif not slots and role == V.SLOT_SIGN_DATE and not doc.value(V.SIGN_DATE):
                    ctx.warn(f"{label(doc)}未能读取签收日期，无法核验。")
            if absent and not refused:
                served = doc.value(V.SERVED_DOCUMENT) or "文书"
                ctx.report(f"{label(doc)}（送达{served}，受送达人{doc.value(V.RECIPIENT) or '未载明'}）缺{'、'.join(absent)}，"
                           f"且未注明拒收事由。", slot_ev(doc, bad), grounds=slot_grounds(doc, bad), key=doc.id)


@register
class SG010(Rule):
    """拘留证、逮捕证缺被拘留（逮捕）人签名捺印或执行人签名。

    检查内容：拘留证、逮捕证附卷联的被执行人签名（捺印）区、执行人签名区任一未填，且未注明拒绝签名的，报问题；区域无法辨认的列为警告。
    为何是问题：执行拘留、逮捕须出示证件，由被拘留、逮捕人签名捺指印，拒绝的应注明（公安规定），以证明执行的合法性和时间。
    违规示例：拘留证“被拘留人签名”处空白，未注明拒签。
    规范示例：被拘留人签名并捺指印，执行人二人签名。
    """

    id = "SG-010"
    triggers = (V.DETENTION_WARRANT, V.ARREST_WARRANT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        for doc in case.of_type(V.DETENTION_WARRANT, V.ARREST_WARRANT):
            absent, bad = [], []
            for role, name in ((V.SLOT_DETAINEE_SIGNATURE, "被执行人签名捺印"), (V.SLOT_EXECUTOR_SIGNATURE, "执行人签名")):
                missing, slots = _missing(doc, role)
                _unclear(ctx, doc, slots, name)
                if missing:
                    absent.append(name)
                    bad += missing
            if absent and not doc.value(V.REFUSAL_NOTE):
                ctx.report(f"{label(doc)}缺{'、'.join(absent)}（{slot_pages_text(doc, bad)}），且未注明拒绝签名。",
                           slot_ev(doc, bad), grounds=slot_grounds(doc, bad), key=doc.id)
