"""一致性 (CON) rules: the same fact read from several documents must agree."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from models import CaseFile, Document, Person, parse_date
from models import vocab as V

from checks.calendar import age_on
from checks.engine import Context, Rule, register, unsupported
from checks.rules._common import (
    all_charges, birth_date, catalog_for, crime_bands, date_of, dated, describe_sentence, ev, fmt, id_birth, id_gender,
    id_valid, is_party, label, ocr_grade, parties, persons, reading_hint, recommendation, sentence, split_readings,
)
from models.reading import lost_in_reading, tolerant

unsupported("CON-010", "累犯认定须核对前案判决的刑罚及刑满释放（假释期满）日期，这些材料通常不在本案卷宗文书中，且涉及罪过形式的实体判断，无法仅凭本案文书核验。")

_ATTRS = (("name", "姓名"), ("gender", "性别"), ("ethnicity", "民族"), ("birthplace", "户籍地/出生地"))


def _groups(case: CaseFile, mentions: bool = False) -> dict[str, list[tuple[Document, Person]]]:
    """Parties grouped by 公民身份号码 (the primary key), else by name; ``mentions`` adds the
    party of documents that name it without a basic-information block."""
    by_id: dict[str, list[tuple[Document, Person]]] = defaultdict(list)
    name_to_id: dict[str, str] = {}
    pending = []
    for doc, p in parties(case) + (_named_parties(case) if mentions else []):
        if p.id_number:
            by_id[p.id_number.upper()].append((doc, p))
            name_to_id.setdefault(p.name, p.id_number.upper())
        else:
            pending.append((doc, p))
    for doc, p in pending:
        by_id[name_to_id.get(p.name, "name:" + p.name)].append((doc, p))
    _join_variants(by_id)
    return by_id


def _one_char_variant(a: str, b: str) -> bool:
    """Same surname and length, one later character differs (张伟/张玮, 李明/李鸣)."""
    return len(a) == len(b) >= 2 and a[0] == b[0] and sum(x != y for x, y in zip(a, b)) == 1


def _join_variants(groups: dict[str, list[tuple[Document, Person]]]) -> None:
    """A party read without ID number whose name is a one-character variant of exactly one party
    known by ID number, with no conflicting birth date or gender, is that party written differently."""
    keyed = {k: v for k, v in groups.items() if not k.startswith("name:")}
    for key in [k for k in groups if k.startswith("name:")]:
        items = groups[key]
        name = items[0][1].name
        born = {str(p.birth_date) for _, p in items if p.birth_date}
        sex = {p.gender for _, p in items if p.gender}
        hits = []
        for k, its in keyed.items():
            names = {p.name for _, p in its}
            if not any(_one_char_variant(name, n) for n in names):
                continue
            kb = {str(p.birth_date) for _, p in its if p.birth_date}
            ks = {p.gender for _, p in its if p.gender}
            if (born and kb and not born & kb) or (sex and ks and not sex & ks):
                continue
            hits.append(k)
        if len(hits) == 1:
            groups[hits[0]].extend(groups.pop(key))


def _named_parties(case: CaseFile) -> list[tuple[Document, Person]]:
    """Documents that name their party only in a mention (批准逮捕决定书: 犯罪嫌疑人张三), as name-only parties."""
    out = []
    for d in case.documents:
        name = d.value(V.SUSPECT_NAME)
        if name and not any(is_party(p) for p in persons(d)):
            out.append((d, Person(name=str(name), role="犯罪嫌疑人")))
    return out


def _listing(values: dict[str, list[Document]]) -> str:
    return "；".join(f"“{v}”见于{'、'.join(dict.fromkeys(label(d) for d in docs))}" for v, docs in values.items())


@register
class CON001(Rule):
    """同一当事人的姓名、性别、民族、户籍地在不同文书中不一致。

    检查内容：以公民身份号码为主键（无号码的按姓名）聚合各文书所载的犯罪嫌疑人、被告人，比较姓名、性别、民族、户籍地（出生地）；任一项不同即报，列出各取值及所在文书。住址随时间变化，不作比较。
    为何是问题：当事人基本情况错误可能导致主体认定错误，是评查中最常见的文书瑕疵之一。
    违规示例：起诉书载“张三，男，汉族”，讯问笔录载“张三，男，回族”。
    规范示例：各文书载明的姓名、性别、民族、户籍地完全一致。
    """

    id = "CON-001"

    def check(self, case: CaseFile, ctx: Context) -> None:
        for key, items in _groups(case, mentions=True).items():
            if len({d.id for d, _ in items}) < 2:
                continue
            for attr, name in _ATTRS:
                values: dict[str, list[Document]] = defaultdict(list)
                for doc, p in items:
                    v = getattr(p, attr)
                    if v:
                        values[str(v).strip()].append(doc)
                if len(values) > 1:
                    who = items[0][1].name
                    values, misread = split_readings(values, V.PERSONS)
                    if misread:
                        ctx.hint(reading_hint(f"当事人{who}的{name}", misread),
                                 [e for _, docs in misread.values() for d in docs for e in ev(d, V.PERSONS)],
                                 key=f"reading|{key}|{attr}")
                    if len(values) > 1:
                        ctx.report(f"当事人{who}的{name}在各文书中不一致：{_listing(values)}。",
                                   [e for docs in values.values() for d in docs for e in ev(d, V.PERSONS)],
                                   key=f"{key}|{attr}")


@register
class CON002(Rule):
    """公民身份号码校验位错误、与出生日期或性别矛盾，或同一人号码不一致。

    检查内容：18位号码按 GB 11643-1999（ISO 7064 MOD 11-2）校验；号码中的出生日期与所载出生日期比对，第17位奇偶与性别比对；同一姓名的当事人在不同文书中号码不同即报。
    为何是问题：身份号码是确认当事人身份的主键，错误会导致主体混同、年龄认定错误。
    违规示例：号码110105199003071234的校验位应为9；或号码显示1990-03-07出生而文书载1990-03-17。
    规范示例：号码校验正确，且与出生日期、性别一致。
    """

    id = "CON-002"

    def check(self, case: CaseFile, ctx: Context) -> None:
        by_name: dict[str, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
        for doc, p in parties(case):
            if not p.id_number:
                continue
            num = p.id_number.strip().upper()
            by_name[p.name][num].append(doc)
            if not id_valid(num):
                ctx.report(f"{label(doc)}所载{p.name}的公民身份号码{num}校验不通过（格式或校验位错误）。", ev(doc, V.PERSONS),
                           key=f"invalid|{num}")
                continue
            born = parse_date(p.birth_date)
            if born and id_birth(num) != born:
                ctx.report(f"{label(doc)}所载{p.name}的公民身份号码{num}显示出生日期{fmt(id_birth(num))}，与所载出生日期{fmt(born)}不符。",
                           ev(doc, V.PERSONS), key=f"birth|{num}|{born}")
            if p.gender and id_gender(num) != p.gender:
                ctx.report(f"{label(doc)}所载{p.name}的公民身份号码{num}显示性别{id_gender(num)}，与所载性别{p.gender}不符。",
                           ev(doc, V.PERSONS), key=f"gender|{num}|{p.gender}")
        for name, nums in by_name.items():
            if len(nums) > 1:
                ctx.report(f"当事人{name}的公民身份号码在各文书中不一致：{_listing(nums)}。",
                           [e for docs in nums.values() for d in docs for e in ev(d, V.PERSONS)], key=f"differ|{name}")


@register
class CON003(Rule):
    """同一当事人的出生日期在不同文书中不一致。

    检查内容：聚合同一当事人（以身份号码或姓名）在各文书中所载的出生日期，不一致即报；年龄计算（犯罪时、讯问时、审判时）按周岁、自生日次日起算，日期冲突时按有利于被告人的较晚日期，供 CON-012、DOC-016、CON-013 使用。
    为何是问题：出生日期决定刑事责任年龄、是否未成年人及相应程序，错误可能导致错误追诉或程序违法。
    违规示例：起诉书载出生于2006-05-10，判决书载2006-05-01。
    规范示例：各文书出生日期一致且与身份号码相符。
    """

    id = "CON-003"

    def check(self, case: CaseFile, ctx: Context) -> None:
        for key, items in _groups(case).items():
            values: dict[str, list[Document]] = defaultdict(list)
            for doc, p in items:
                born = parse_date(p.birth_date)
                if born:
                    values[born.isoformat()].append(doc)
            if len(values) > 1:
                ctx.report(f"当事人{items[0][1].name}的出生日期在各文书中不一致：{_listing(values)}。",
                           [e for docs in values.values() for d in docs for e in ev(d, V.PERSONS)], key=key)


_PROCURATORATE = re.compile(r"^\S*检\S*〔(\d{4})〕\d+号$")
_COURT = re.compile(r"^[（(](\d{4})[）)]\S+?\d+号$")
_POLICE = re.compile(r"^\S*〔(\d{4})〕\d+号$")
_PROC_TYPES = (V.INDICTMENT, V.NON_PROSECUTION, V.SENTENCING_RECOMMENDATION, V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL,
               V.REVIEW_EXTENSION, V.SUPPLEMENTARY_INVESTIGATION, V.WITHDRAWAL, V.PROTEST)
_POLICE_TYPES = (V.PROSECUTION_OPINION, V.ARREST_REQUEST, V.DETENTION_WARRANT, V.ARREST_WARRANT)


def _prefix(number: str) -> str:
    """The organ part of a 文号, before the bracketed year: ``金婺公(刑)诉字`` of ``金婺公(刑)诉字〔2022〕233号``."""
    return re.split(r"[〔\[［(（]\d{4}", number, maxsplit=1)[0]


@register
class CON004(Rule):
    """文号、案号格式不规范，年份与成文日期不符，或引用的文号与原文书不一致。

    检查内容：检察院文书文号须为“××检××〔年份〕×号”，公安文书“××〔年份〕×号”，法院案号“（年份）××刑×号”；文号年份与成文日期年份不同即报（法院案号为立案年份，仅晚于判决年份时报）；文书引用的文号（如起诉书引用起诉意见书文号、判决书引用起诉书文号）与卷内原文书文号机关代字相同而编号不同即报；识别文字中两者仅差识别漏掉的一两个字符（“〔2024 712号”与“〔2024〕4712号”）只作核对提示。
    为何是问题：文号错误影响文书的唯一识别和引用关系，多见于套用模板。
    违规示例：起诉书引用“京朝公诉字〔2024〕101号”起诉意见书，而卷内起诉意见书文号为“京朝公诉字〔2024〕110号”；或文号用“[2024]”。
    规范示例：京朝检刑诉〔2024〕123号，成文日期2024年。
    """

    id = "CON-004"

    def check(self, case: CaseFile, ctx: Context) -> None:
        numbers: dict[str, Document] = {}
        for doc in case.documents:
            num = str(doc.value(V.DOC_NUMBER) or "").replace(" ", "")
            if not num:
                continue
            numbers.setdefault(num, doc)
            court = doc.type == V.JUDGMENT
            pattern = (_PROCURATORATE if doc.type in _PROC_TYPES else _COURT if court
                       else _POLICE if doc.type in _POLICE_TYPES else None)
            if pattern is None:
                continue
            m = pattern.match(num)
            if not m and ocr_grade(doc, V.DOC_NUMBER):
                m = tolerant(pattern.pattern).match(num)  # 捡 read for 检: a reading, not a format
                if m:
                    ctx.hint(f"{label(doc)}文号读作“{num}”，个别字疑为识别误差，请人工核对文号写法。", ev(doc, V.DOC_NUMBER),
                             key=f"reading|{doc.id}")
            if not m:
                form = {id(_PROCURATORATE): "“××检××〔年份〕×号”", id(_COURT): "“（年份）××刑×号”"}.get(id(pattern), "“××〔年份〕×号”")
                ctx.report(f"{label(doc)}文号“{num}”格式不规范（应为{form}）。", ev(doc, V.DOC_NUMBER), key=f"format|{doc.id}")
                continue
            day = date_of(doc, V.DATE)
            if day and (int(m.group(1)) > day.year if court else int(m.group(1)) != day.year):
                ctx.report(f"{label(doc)}文号“{num}”年份{m.group(1)}与成文日期{fmt(day)}年份不一致。", ev(doc, V.DOC_NUMBER, V.DATE),
                           key=f"year|{doc.id}")
        for doc in case.documents:
            for cited in doc.value(V.CITED_DOC_NUMBERS) or []:
                cited = str(cited).replace(" ", "")
                if cited in numbers:
                    continue
                near = [(n, d) for n, d in numbers.items() if d is not doc and _prefix(n) == _prefix(cited) and _prefix(n)]
                if near:
                    n, d = near[0]
                    evidence = ev(doc, V.CITED_DOC_NUMBERS) + ev(d, V.DOC_NUMBER)
                    if ((ocr_grade(doc, V.CITED_DOC_NUMBERS) or ocr_grade(d, V.DOC_NUMBER))
                            and (lost_in_reading(cited, n) or lost_in_reading(n, cited))):
                        # 〔2024 712号 against 〔2024〕4712号: characters lost in recognition, not a
                        # different number — a reading to check, never an inconsistency
                        ctx.hint(f"{label(doc)}引用文号读作“{cited}”，卷内{label(d)}文号读作“{n}”，两者仅差识别中可能漏掉的"
                                 "个别字符，请人工核对。", evidence, key=f"reading|cite|{doc.id}|{cited}")
                        continue
                    ctx.report(f"{label(doc)}引用文号“{cited}”，与卷内{label(d)}文号“{n}”不一致。",
                               evidence, key=f"cite|{doc.id}|{cited}")


@register
class CON005(Rule):
    """起诉书认定的罪名与起诉意见书不同（提示说明改变理由）。

    检查内容：比较起诉意见书与起诉书的罪名集合，不同即提示须在审查报告中说明改变理由；起诉书与判决书罪名不同属诉判不一致，由 SUB-005 标记。
    为何是问题：检察机关改变侦查机关认定的罪名应有充分理由并记录在案，否则难以说明审查起诉的质量。
    违规示例：起诉意见书认定盗窃罪，起诉书指控诈骗罪，卷内未说明理由。
    规范示例：两者罪名一致，或审查报告写明改变罪名的理由。
    """

    id = "CON-005"
    triggers = (V.PROSECUTION_OPINION,)
    needs = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        op, ind = case.first(V.PROSECUTION_OPINION), case.first(V.INDICTMENT)
        a = ctx.need(op, V.CHARGES, "罪名")
        b = ctx.need(ind, V.CHARGES, "罪名")
        if {c.replace("、", "") for c in a} != {c.replace("、", "") for c in b}:  # 、 is spelling, not a charge
            ctx.report(f"{label(op)}认定罪名为{'、'.join(a)}，{label(ind)}指控罪名为{'、'.join(b)}，罪名改变，须在审查报告中说明理由。",
                       ev(op, V.CHARGES) + ev(ind, V.CHARGES))


@register
class CON006(Rule):
    """犯罪时间在各文书中不一致，或晚于受案、立案时间。

    检查内容：比较起诉意见书、起诉书、判决书所载（首个）犯罪日期，容差为同日，不一致即报；犯罪日期晚于受案或立案日期即报。犯罪地点的标准化比对不在本产品范围内。
    为何是问题：犯罪时间是事实认定的基本要素，并影响年龄、时效、法律适用的判断；不一致多为笔误或事实认定错误。
    违规示例：起诉意见书载案发于2024-01-05，起诉书载2024-01-15。
    规范示例：各文书犯罪时间一致，且早于立案时间。
    """

    id = "CON-006"

    def check(self, case: CaseFile, ctx: Context) -> None:
        values: dict[str, list[Document]] = defaultdict(list)
        for doc in case.of_type(V.PROSECUTION_OPINION, V.INDICTMENT, V.JUDGMENT, V.ARREST_REQUEST):
            d = date_of(doc, V.CRIME_DATE)
            if d:
                values[d.isoformat()].append(doc)
        if len(values) > 1:
            ctx.report(f"犯罪时间在各文书中不一致：{_listing(values)}。",
                       [e for docs in values.values() for d in docs for e in ev(d, V.CRIME_DATE)], key="differ")
        if not values:
            return
        earliest = min(values)
        for event in ("受案", "立案"):
            day = parse_date(case.case.dates.get(event))
            if day and earliest > day.isoformat():
                docs = values[earliest]
                ctx.report(f"{label(docs[0])}所载犯罪时间{earliest}晚于{event}日期{fmt(day)}。", ev(docs[0], V.CRIME_DATE),
                           key=f"after|{event}")


@register
class CON007(Rule):
    """涉案金额在各文书中不一致。

    检查内容：比较起诉意见书、起诉书、判决书所载涉案金额合计，不一致即报（容差0.01元）。金额所属数额档次须按地方标准配置，本规则不作判断。
    为何是问题：涉案金额决定数额档次和量刑，跨文书不一致说明事实认定或文字有误。
    违规示例：起诉书载盗窃财物价值人民币12,800元，判决书载18,200元，且未说明认定变化理由。
    规范示例：各文书金额一致。
    """

    id = "CON-007"

    def check(self, case: CaseFile, ctx: Context) -> None:
        values: dict[str, list[Document]] = defaultdict(list)
        for doc in case.of_type(V.PROSECUTION_OPINION, V.INDICTMENT, V.JUDGMENT):
            a = doc.value(V.AMOUNT)
            if isinstance(a, (int, float)):
                values[f"{float(a):.2f}元"].append(doc)
        if len(values) > 1:
            values, misread = split_readings(values, V.AMOUNT)  # 6146 read for 6746 on a scan
            if misread:
                ctx.hint(reading_hint("涉案金额", misread), [e for _, docs in misread.values() for d in docs
                                                           for e in ev(d, V.AMOUNT)], key="reading")
        if len(values) > 1:
            ctx.report(f"涉案金额在各文书中不一致：{_listing(values)}。",
                       [e for docs in values.values() for d in docs for e in ev(d, V.AMOUNT)])


@register
class CON008(Rule):
    """起诉书、判决书所载拘留、逮捕日期与原始证件不一致。

    检查内容：起诉书、判决书“于×年×月×日被刑事拘留……逮捕”所载日期，与拘留证、逮捕证的执行日期比较，不一致即报。
    为何是问题：强制措施日期影响羁押期限和刑期折抵的计算，错误会造成刑期计算错误。
    违规示例：拘留证执行日期2024-03-01，起诉书载“2024年3月2日被刑事拘留”。
    规范示例：起诉书所载日期与证件执行日期一致。
    """

    id = "CON-008"
    triggers = (V.INDICTMENT, V.JUDGMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        pairs = ((V.DETENTION_DATE, V.DETENTION_WARRANT, "刑事拘留"), (V.ARREST_DATE, V.ARREST_WARRANT, "逮捕"))
        for field_name, warrant_type, what in pairs:
            got = dated(case.of_type(warrant_type), V.EXECUTION_TIME, V.DATE)
            if not got:
                continue
            actual = {d for d, _ in got}
            for doc in case.of_type(V.INDICTMENT, V.JUDGMENT):
                stated = date_of(doc, field_name)
                if stated and stated not in actual:
                    ctx.report(f"{label(doc)}载明{fmt(stated)}被{what}，与{label(got[0][1])}执行日期{fmt(got[0][0])}不一致。",
                               ev(doc, field_name) + ev(got[0][1], V.EXECUTION_TIME), key=f"{doc.id}|{field_name}")


def _same_sentence(a, b) -> list[str]:
    diffs = []
    if a.kind != b.kind:
        diffs.append("主刑种类")
    if (a.range_months or a.months) != (b.range_months or b.months):
        ra = tuple(a.range_months) if a.range_months else a.months
        rb = tuple(b.range_months) if b.range_months else b.months
        if ra != rb:
            diffs.append("刑期")
    if a.suspended != b.suspended or (a.suspended and a.probation_months != b.probation_months):
        diffs.append("缓刑")
    if (a.fine_yuan or 0) != (b.fine_yuan or 0):
        diffs.append("罚金")
    return diffs


@register
class CON009(Rule):
    """认罪认罚具结书、起诉书、量刑建议书所载量刑建议不一致。

    检查内容：比较具结书、起诉书、量刑建议书的量刑建议（主刑种类、刑期或幅度、缓刑及考验期、罚金），任一不同即报。
    为何是问题：具结书所载量刑建议是犯罪嫌疑人同意的内容，起诉时改变而未重新具结，认罪认罚的自愿性和真实性存疑。
    违规示例：具结书建议有期徒刑一年，量刑建议书建议有期徒刑一年六个月。
    规范示例：三份文书均为“有期徒刑一年，缓刑二年，并处罚金五千元”。
    """

    id = "CON-009"
    triggers = (V.PLEA_AGREEMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        found = [(d, s) for d in case.of_type(V.PLEA_AGREEMENT, V.INDICTMENT, V.SENTENCING_RECOMMENDATION)
                 if (s := sentence(d.value(V.RECOMMENDATION)))]
        if len(found) < 2:
            return
        base_doc, base = found[0]
        for doc, s in found[1:]:
            diffs = _same_sentence(base, s)
            if diffs:
                ctx.report(f"{label(base_doc)}量刑建议为“{describe_sentence(base)}”，{label(doc)}为“{describe_sentence(s)}”，"
                           f"{'、'.join(diffs)}不一致。", ev(base_doc, V.RECOMMENDATION) + ev(doc, V.RECOMMENDATION), key=doc.id)


_EVENT_ORDER = (
    ("受案", None, ()), ("立案", None, ()),
    ("拘留", V.DETENTION_WARRANT, (V.EXECUTION_TIME, V.DATE)),
    ("提请批准逮捕", V.ARREST_REQUEST, (V.DATE,)),
    ("批准逮捕", V.ARREST_APPROVAL, (V.DATE,)),
    ("逮捕", V.ARREST_WARRANT, (V.EXECUTION_TIME, V.DATE)),
    ("移送审查起诉", V.PROSECUTION_OPINION, (V.TRANSFER_DATE, V.DATE)),
    ("受理", V.CASE_ACCEPTANCE, (V.RECEIVED_DATE, V.DATE)),
    ("起诉", V.INDICTMENT, (V.DATE,)),
    ("判决", V.JUDGMENT, (V.DATE,)),
)


#: Events whose own document may be absent but whose date a later document states
#: (起诉书: 本院于…受理).
_EVENT_STATED = {
    "受理": ((V.INDICTMENT, V.NON_PROSECUTION, V.RIGHTS_NOTICE, V.VICTIM_RIGHTS_NOTICE), (V.RECEIVED_DATE,)),
}


@register
class CON011(Rule):
    """文书日期时序倒置（受案→立案→拘留→提请批捕→批捕→逮捕→移送起诉→受理→起诉→判决）。

    检查内容：取各环节最早的文书日期，按诉讼流程顺序比较相邻环节，后一环节日期早于前一环节即报（一对倒序一个问题）；无受理案件登记表的，受理日期取起诉书、不起诉决定书或诉讼权利义务告知书所载收到日期；起诉书所载移送审查起诉日期早于起诉意见书日期的，亦报时序倒置。
    为何是问题：日期倒序多为套用模板导致的文书错误，也可能掩盖程序违法（如先执行后审批）。
    违规示例：批准逮捕决定书日期2024-03-10，逮捕证执行日期2024-03-08。
    规范示例：2024-03-01拘留，03-04提请批捕，03-10批准逮捕，当日执行。
    """

    id = "CON-011"

    def check(self, case: CaseFile, ctx: Context) -> None:
        events: list[tuple[str, dt.date, Document | None]] = []
        for name, doc_type, fields in _EVENT_ORDER:
            if doc_type is None:
                d = parse_date(case.case.dates.get(name))
                if d:
                    events.append((name, d, None))
                continue
            got = dated(case.of_type(doc_type), *fields)
            if not got and name in _EVENT_STATED:
                types, stated = _EVENT_STATED[name]
                got = dated(case.of_type(*types), *stated)
            if got:
                events.append((name, got[0][0], got[0][1]))
        for (n1, d1, doc1), (n2, d2, doc2) in zip(events, events[1:]):
            if d2 < d1:
                w1 = f"{label(doc1)}" if doc1 else "卷内"
                w2 = f"{label(doc2)}" if doc2 else "卷内"
                evidence = (ev(doc1) if doc1 else []) + (ev(doc2) if doc2 else [])
                ctx.report(f"{w2}{n2}日期{fmt(d2)}早于{w1}{n1}日期{fmt(d1)}，时序倒置。", evidence, key=f"{n1}|{n2}")
        opinion = dated(case.of_type(V.PROSECUTION_OPINION), V.DATE)
        stated = dated(case.of_type(V.INDICTMENT, V.NON_PROSECUTION), V.TRANSFER_DATE)
        if opinion and stated and stated[0][0] < opinion[0][0] and not any(
                n == "受理" and d < opinion[0][0] for n, d, _ in events):
            (od, odoc), (sd, sdoc) = opinion[0], stated[0]
            ctx.report(f"{label(sdoc)}所载移送审查起诉日期{fmt(sd)}早于{label(odoc)}日期{fmt(od)}：起诉意见书不能晚于据以移送的日期，"
                       "时序倒置。", ev(sdoc, V.TRANSFER_DATE) + ev(odoc, V.DATE), key="移送审查起诉|起诉意见书")


#: 刑法第十七条第二款 names 贩卖毒品 only: the split form 贩卖毒品罪 is covered, 运输毒品罪 is not.
_UNDER16_OK = ("故意杀人罪", "故意伤害罪", "强奸罪", "抢劫罪", "走私、贩卖、运输、制造毒品罪", "贩卖毒品罪", "放火罪", "爆炸罪",
               "投放危险物质罪")
_UNDER14_OK = ("故意杀人罪", "故意伤害罪")


def crime_age(case: CaseFile) -> tuple[int, dt.date, Document] | None:
    """(age at the crime, crime date, document) of the main suspect, from CON-003's birth date."""
    born = birth_date(case)
    crime = dated(case.of_type(V.INDICTMENT, V.JUDGMENT, V.PROSECUTION_OPINION), V.CRIME_DATE)
    if not born or not crime:
        return None
    return age_on(born[0], crime[0][0]), crime[0][0], crime[0][1]


def responsibility_problem(case: CaseFile) -> str | None:
    """Chinese description when the charges exceed the criminal responsibility of the age at the crime."""
    got = crime_age(case)
    if not got:
        return None
    age, day, _ = got
    charges = all_charges(case)
    if age < 12:
        return f"犯罪时（{fmt(day)}）仅{age}周岁，不满十二周岁，不负刑事责任"
    if age < 14:
        bad = [c for c in charges if c not in _UNDER14_OK]
        if bad or not _approved(case):
            return (f"犯罪时（{fmt(day)}）{age}周岁，已满十二周岁不满十四周岁，"
                    f"仅对故意杀人、故意伤害致人死亡或以特别残忍手段致人重伤造成严重残疾且经最高人民检察院核准追诉的负刑事责任"
                    f"（本案罪名：{'、'.join(charges) or '未载明'}）")
    if age < 16:
        bad = [c for c in charges if c not in _UNDER16_OK]
        if bad:
            return f"犯罪时（{fmt(day)}）{age}周岁，已满十四周岁不满十六周岁，对{'、'.join(bad)}不负刑事责任"
    return None


def _approved(case: CaseFile) -> bool:
    return "核准追诉" in " ".join(d.text for d in case.documents)


@register
class CON012(Rule):
    """犯罪时未达刑事责任年龄或罪名超出相应年龄段的责任范围仍被追诉。

    检查内容：以出生日期（CON-003）和犯罪日期计算犯罪时周岁：不满十二周岁不负刑事责任；十二至十四周岁仅对故意杀人、故意伤害（致人死亡或特别残忍手段致人重伤造成严重残疾，且经最高检核准追诉）负责；十四至十六周岁仅对故意杀人、故意伤害致人重伤或死亡、强奸、抢劫、贩卖毒品、放火、爆炸、投放危险物质负责；罪名超出范围即报。八类犯罪指具体行为而非罪名，以罪名比对可能漏报转化情形，结论须人工复核。
    为何是问题：刑法第十七条规定刑事责任年龄，追诉不负刑事责任的人属严重错误。
    违规示例：犯罪嫌疑人2010-06-01出生，2024-03-01盗窃（13周岁），被提起公诉。
    规范示例：犯罪时已满十六周岁，或十四至十六周岁犯抢劫罪。
    """

    id = "CON-012"
    triggers = (V.PROSECUTION_OPINION, V.INDICTMENT, V.JUDGMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        problem = responsibility_problem(case)
        if problem:
            _, _, doc = crime_age(case)
            ctx.report(f"{label(doc)}：{problem}。", ev(doc, V.CRIME_DATE, V.PERSONS))


@register
class CON013(Rule):
    """审判时不满十八周岁的被告人案件公开开庭审理。

    检查内容：以开庭日期（未载明的，判决日期早于十八周岁生日时可推知）计算被告人年龄，未满十八周岁而判决书载明“公开开庭审理”即报。
    为何是问题：刑事诉讼法第二百八十五条规定审判时被告人不满十八周岁的案件不公开审理。
    违规示例：被告人2007-08-01出生，2024-06-20公开开庭审理。
    规范示例：依法不公开开庭审理。
    """

    id = "CON-013"
    triggers = (V.JUDGMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        judgment = case.first(V.JUDGMENT)
        if judgment.value(V.PUBLIC_TRIAL) is not True:
            return
        born = birth_date(case)
        trial = date_of(judgment, V.TRIAL_DATE, V.DATE)
        if not born or not trial:
            ctx.warn("未能读取被告人出生日期或开庭日期，无法核验是否应不公开审理。")
            return
        age = age_on(born[0], trial)
        if age < 18:
            ctx.report(f"{label(judgment)}载明公开开庭审理，开庭（{fmt(trial)}）时被告人{age}周岁（出生于{fmt(born[0])}），未满十八周岁。",
                       ev(judgment, V.PUBLIC_TRIAL, V.TRIAL_DATE))


@register
class CON014(Rule):
    """起诉意见书列明的犯罪嫌疑人在起诉书中遗漏，且无不起诉或另案处理说明。

    检查内容：起诉意见书所列犯罪嫌疑人，既不在起诉书被告人之中，也无针对其的不起诉决定书，起诉书亦未提及“另案处理”的，报问题。犯罪事实条目的对齐不在本产品范围内。
    为何是问题：遗漏同案犯罪嫌疑人可能造成漏诉，须有处理结论。
    违规示例：起诉意见书移送张三、李四，起诉书仅起诉张三，卷内无李四的处理说明。
    规范示例：起诉书写明“李四另案处理”，或卷内有李四的不起诉决定书。
    """

    id = "CON-014"
    triggers = (V.PROSECUTION_OPINION,)
    needs = (V.INDICTMENT,)

    def check(self, case: CaseFile, ctx: Context) -> None:
        from checks.rules._common import persons, is_party

        op, ind = case.first(V.PROSECUTION_OPINION), case.first(V.INDICTMENT)
        listed = [p for p in persons(op) if is_party(p)]
        charged_people = [p for d in case.of_type(V.INDICTMENT) for p in persons(d) if is_party(p)]
        charged = {p.name for p in charged_people} | {p.id_number.upper() for p in charged_people if p.id_number}
        if not listed or not charged:
            ctx.warn("未能读取起诉意见书或起诉书的当事人名单，无法核验是否遗漏。")
            return
        np_names = {str(d.value(V.SUSPECT_NAME)) for d in case.of_type(V.NON_PROSECUTION)} | {
            p.name for d in case.of_type(V.NON_PROSECUTION) for p in persons(d)}
        text = ind.text
        for person in listed:
            name = person.name
            if name in charged or (person.id_number and person.id_number.upper() in charged) or name in np_names \
                    or (name in text and "另案" in text):
                continue
            ctx.report(f"{label(op)}列明的犯罪嫌疑人{name}未见于{label(ind)}，卷内亦无其不起诉决定或另案处理说明。",
                       ev(op, V.PERSONS), key=name, absent=True)


def limitation_years(max_months: float, life: bool) -> int:
    """刑法第八十七条: 追诉期限 from the statutory maximum."""
    if life:
        return 20
    if max_months < 60:
        return 5
    if max_months < 120:
        return 10
    return 15


def limitation_problem(case: CaseFile, ctx: Context) -> tuple[str, Document] | None:
    """(description, document) when the period of prosecution had run out before the case was opened."""
    crime = dated(case.of_type(V.INDICTMENT, V.JUDGMENT, V.PROSECUTION_OPINION), V.CRIME_DATE)
    if not crime:
        return None
    crime_day, doc = crime[0]
    starts = [parse_date(case.case.dates.get(k)) for k in ("立案", "受案", "拘留")]
    starts += [d for d, _ in dated(case.of_type(V.DETENTION_WARRANT, V.ARREST_WARRANT), V.EXECUTION_TIME, V.DATE)]
    starts = [s for s in starts if s]
    if not starts:
        return None
    opened = min(starts)
    cat = catalog_for(ctx)
    charges = all_charges(case)
    bands = [b for c in charges for b in crime_bands(cat, c)]
    if not bands:
        return None
    rec = recommendation(case)
    applicable = bands
    if rec and (m := (rec[0].range_months[1] if rec[0].range_months else rec[0].months)):
        fit = [b for b in bands if b[0] <= m <= b[1]]
        applicable = fit or bands
    top = max(b[1] for b in applicable)
    life = any(b[2] for b in applicable)
    years = limitation_years(top, life)
    from checks.calendar import add_months

    end = add_months(crime_day, 12 * years)
    if opened > end and not (life and _approved(case)):
        return (f"犯罪日期{fmt(crime_day)}，法定最高刑{'无期徒刑或死刑' if life else f'{top / 12:g}年有期徒刑'}，追诉期限{years}年"
                f"（至{fmt(end)}），而立案（最早的立案或强制措施日期）为{fmt(opened)}，已过追诉时效", doc)
    return None


@register
class CON015(Rule):
    """立案时已过追诉时效。

    检查内容：按所适用刑档的法定最高刑确定追诉期限（不满五年的五年；五年以上不满十年的十年；十年以上的十五年；无期徒刑、死刑的二十年，超过须最高检核准），自犯罪之日起至立案（最早的立案、受案或强制措施日期）已超过即报。时效中断和不受追诉期限限制的情形须人工复核。
    为何是问题：刑法第八十七条规定追诉时效，已过时效的应当不追诉（刑事诉讼法第十六条第二项）。
    违规示例：2015-03-01犯盗窃罪（数额较大，法定最高刑三年），2024-03-01立案侦查。
    规范示例：犯罪之日起五年内立案。
    """

    id = "CON-015"
    triggers = (V.PROSECUTION_OPINION, V.INDICTMENT)

    def check(self, case: CaseFile, ctx: Context) -> None:
        got = limitation_problem(case, ctx)
        if got:
            ctx.report(f"{label(got[1])}：{got[0]}。", ev(got[1], V.CRIME_DATE))

