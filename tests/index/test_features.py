"""Feature extraction from fact texts: a table of texts and the features they must (not) yield."""

from __future__ import annotations

import pytest

from index.features import extract_features, parse_number

AMOUNTS = [
    ("盗窃现金人民币3000元", 3000),
    ("骗取被害人钱款共计人民币1,0500余元", 10500),
    ("价值人民币三万五千元", 35000),
    ("涉案金额1.2万元", 12000),
    ("分别盗得200元、300元，共计500元", 500),
    ("盗得手机一部（价值2000元）和现金800元", 2800),
]


@pytest.mark.parametrize("text,expected", AMOUNTS)
def test_amounts(text, expected):
    f = extract_features(text)
    assert f.amount_yuan == pytest.approx(expected)
    span = f.spans["amount_yuan"][0]
    assert text[span.start:span.end] in text and span.text


def test_fine_is_not_an_amount():
    assert extract_features("判处有期徒刑六个月，并处罚金人民币2000元").amount_yuan is None


@pytest.mark.parametrize("text,grams", [
    ("查获甲基苯丙胺净重0.52克", 0.52),
    ("贩卖海洛因1.2千克", 1200),
    ("查获冰毒约10余克", 10),
    ("贩卖甲基苯丙胺片剂500毫克", 0.5),
])
def test_drug_quantities(text, grams):
    assert extract_features(text).drug_grams == pytest.approx(grams)


@pytest.mark.parametrize("text,bac", [
    ("血液中乙醇含量为185.6mg/100ml", 185.6),
    ("血液酒精含量为92毫克/100毫升", 92),
])
def test_blood_alcohol(text, bac):
    f = extract_features(text)
    assert f.bac_mg == pytest.approx(bac)
    assert "醉酒" in f.circumstances


CIRCS = [
    ("案发后主动投案，如实供述犯罪事实", {"自首", "坦白"}, set()),
    ("被告人系累犯，曾因盗窃罪被判处有期徒刑一年", {"累犯", "前科"}, set()),
    ("被告人无前科，不构成自首", set(), {"前科", "自首"}),
    ("已退赃并取得被害人谅解", {"退赃退赔", "取得谅解"}, set()),
    ("未取得被害人谅解", set(), {"取得谅解"}),
    ("先后3次入户盗窃，持刀威胁", {"多次", "入户", "携带凶器"}, set()),
    ("因意志以外的原因未得逞，系从犯", {"未遂", "从犯"}, set()),
    ("签署认罪认罚具结书", {"认罪认罚"}, set()),
    ("被告人作案时未满十八周岁", {"未成年"}, set()),
]


@pytest.mark.parametrize("text,present,absent", CIRCS)
def test_circumstances(text, present, absent):
    f = extract_features(text)
    assert present <= f.flags, f.flags
    assert not (absent & f.flags), f.flags
    for name in present:
        s = f.circumstances[name][0]
        assert 0 <= s.start < s.end <= len(text)


@pytest.mark.parametrize("text,level", [
    ("经鉴定，被害人损伤程度为轻伤二级", 2),
    ("致被害人重伤二级", 4),
    ("被害人经抢救无效死亡", 6),
    ("被害人所受损伤为轻微伤", 1),
])
def test_injury(text, level):
    assert extract_features(text).injury_level == level


@pytest.mark.parametrize("raw,value", [("1,0500", 10500), ("三万五千", 35000), ("１２．５", 12.5), ("二十", 20)])
def test_parse_number(raw, value):
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize("text,grams", [
    ("将34克左右毒品甲基苯丙胺片剂贩卖给吸毒人员。查获毒品甲基苯丙胺片剂可疑物，经称量净重44克。", 78),
    ("共排出77包海洛因，净重343.45克。", 343.45),
    ("将赊得的69.7430克海洛因，以每克350元的价格贩卖给董某", 69.743),
    ("查获疑似毒品海洛因2小包，净重27.837克。", 27.837),
    ("贩卖冰毒3次，共计15克，每次5克", 15),
])
def test_drug_quantities_in_real_wording(text, grams):
    assert extract_features(text).drug_grams == pytest.approx(grams)


@pytest.mark.parametrize("text", [
    "贩卖毒品海洛因不满十克，其行为已构成贩卖毒品罪",
    "贩卖甲基苯丙胺五十克以上的，处十五年有期徒刑",
    "被告人盗窃黄金项链一条，重20克。",
])
def test_thresholds_and_other_masses_are_not_drug_quantities(text):
    assert extract_features(text).drug_grams is None
