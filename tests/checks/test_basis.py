"""Each finding's 依据 names only the provisions it rests on (``checks.basis``), with the charge's own
刑法 article where the finding is about the 罪名's penalty. Messages are those the rules write on the
shared foreign dossiers."""

from __future__ import annotations

import pytest

from checks.basis import cues, named_charges, select_basis
from checks.catalog import load_catalog
from models import Finding

CAT = load_catalog()


def _basis(rule_id: str, message: str, grounds: tuple[str, ...] = ()) -> list[str]:
    e = CAT[rule_id]
    f = Finding(rule_id=rule_id, title=e.title, category=e.category, severity_points=e.severity_points, message=message,
                grounds=list(grounds))
    return [f"{b.article}|{b.quote}" for b in select_basis(e, f, CAT)]


CASES = [
    # (rule, message, grounds, provisions that must be there, provisions that must not)
    ("DOC-002", "量刑建议书（检察卷.pdf 第7页）量刑建议“建议判处被告人段强浩有期徒刑一年六个月，不适用缓刑”未载明罚金"
                "（骗取贷款罪法定并处罚金）。", (),
     ["第一百七十六条第二款|应当就主刑、附加刑", "第一百七十五条之一|（骗取贷款、票据承兑、金融票证罪）"],
     ["具结书"]),
    ("DOC-002", "认罪认罚案件起诉书（检察卷.pdf 第7–8页）未提出量刑建议，卷内亦无量刑建议书。", (),
     ["第一百七十六条第二款|应当就主刑"], ["具结书", "第一百七十五条"]),
    ("SUB-012", "犯罪嫌疑人已被逮捕（批准逮捕决定书（诉讼文书卷.pdf 第5页）），并签署认罪认罚具结书（检察卷.pdf 第6页），"
                "卷内未见羁押必要性审查记录。", (),
     ["第二百七十条第二款", "第九十五条第一款"], ["第二百八十条", "未成年"]),
    ("SUB-012", "未成年犯罪嫌疑人（16周岁）批准逮捕，卷内未见不适用不批捕情形的说理，亦未见羁押必要性审查记录。", (),
     ["第二百八十条第一款", "第二百七十条第二款"], []),
    ("CON-012", "起诉意见书（04_起诉意见书.pdf 第1–2页）：犯罪时（2022-07-26）15周岁，已满十四周岁不满十六周岁，"
                "对寻衅滋事罪不负刑事责任。", (),
     ["第十七条第二款", "第四百六十四条第一款"], ["七十五周岁", "第十七条之一", "核准追诉", "第七十二条"]),
    ("SG-001", "讯问笔录（证据卷.pdf 第2–4页）第2页缺犯罪嫌疑人签名，第2页缺指印，且未注明拒绝签名、捺指印。",
     ("模板“讯问笔录·检察机关讯问笔录”的被讯问人签名位置：证据卷.pdf 第2页“被讯问人：”已定位，未见签名、指印或印章",),
     ["第一百二十二条第一款", "逐页签名或者盖章，并捺指印", "拒绝签名、盖章、捺指印的"],
     ["以上笔录我看过", "亲笔供述", "补充或者更正"]),
    ("DL-005", "检察院收到提请批准逮捕书日期2022-08-06，批准逮捕决定书决定日期2022-08-18，相隔12日；犯罪嫌疑人已被拘留，"
               "应在7日内作出决定（届满日2022-08-13）。", (),
     ["第九十一条第三款"], ["未被拘留", "重大、复杂"]),
    ("DL-010", "起诉书作出日期2023-05-05，距受理日2023-03-22已逾1个月（届满日2023-04-22），卷内未见延长审查起诉期限决定。", (),
     ["第一百七十二条第一款", "第三百五十一条第一款"], ["看守所", "监督职责", "改变后的人民检察院", "强制措施"]),
    ("DL-015", "不起诉决定书（06_不起诉决定书.pdf 第1–2页）卷内未见向被不起诉人李兵阳、移送案件的公安机关送达的送达回证"
               "（现有送达对象：无）。", (),
     ["第一百七十九条第一款", "第三百七十七条第一款"], ["立即释放", "送达被害人"]),
    ("DOC-017", "起诉书（06_起诉书.pdf 第1–2页）认定诈骗罪，所引刑法条款为第二百七十七条，未引用该罪条文刑法第二百六十六条。", (),
     ["第三百五十八条第二款", "第二百六十六条|（诈骗罪）"], ["第三百条第一款"]),
    ("SG-007", "起诉书（08_起诉书.pdf 第1–2页）文尾缺院印（第2页）。", (),
     ["加盖院印"], ["检察长签发"]),
    ("SUB-006", "认罪认罚案件量刑建议书量刑建议“建议判处被告人张浩有期徒刑十一个月，不适用缓刑”，判决书判处"
                "“被告人张浩犯故意伤害罪，判处有期徒刑一年一个月”，刑期不一致，须重点评查并审查是否抗诉。", (),
     ["第二百零一条第一款"], ["调整"]),
]


@pytest.mark.parametrize("rule_id, message, grounds, present, absent", CASES, ids=[c[0] for c in CASES])
def test_basis_names_only_what_the_finding_rests_on(rule_id, message, grounds, present, absent):
    got = _basis(rule_id, message, grounds)
    for want in present:
        assert any(want in g for g in got), (want, got)
    for unwanted in absent:
        assert not any(unwanted in g for g in got), (unwanted, got)


def test_every_cue_names_a_provision_of_its_rule():
    for rule_id, entries in cues().items():
        assert rule_id in CAT, rule_id
        labels = [f"{b.article or ''}|{b.quote}" for b in CAT[rule_id].basis]
        for e in entries:
            if "match" in e:
                assert any(e["match"] in lab for lab in labels), (rule_id, e["match"])


def test_a_finding_always_keeps_a_basis():
    for rule_id, entry in CAT.rules.items():
        if entry.basis:
            assert _basis(rule_id, "（无关的说明文字）"), rule_id


def test_named_charges_map_split_forms_to_the_official_charge():
    assert named_charges(CAT, "未载明罚金（骗取贷款罪法定并处罚金）") == ["骗取贷款、票据承兑、金融票证罪"]
    assert named_charges(CAT, "认定诈骗罪，所引刑法条款") == ["诈骗罪"]
    assert named_charges(CAT, "未见羁押必要性审查记录") == []
