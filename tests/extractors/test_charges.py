"""Charges are read only where a document states them (涉嫌/犯/以/构成 … 罪, 罪名：…), validated by
the 罪名 lexicon, including the split forms of 选择性罪名 (Presidio-style should / should-not lists)."""

from __future__ import annotations

import pytest

from extractors.fields import stated_charges
from extractors.lexicon import canonical_charge, is_person_name, normalize_charge
from models.charges import is_split_form


@pytest.mark.parametrize("text,want", [
    ("犯罪嫌疑人赵甲涉嫌盗窃罪一案，现已侦查终结。", ["盗窃罪"]),
    ("其行为已触犯刑法，应当以骗取贷款\n罪追究其刑事责任。", ["骗取贷款罪"]),
    ("被告人赵甲犯故意伤害罪，判处有期徒刑一年。", ["故意伤害罪"]),
    ("被告人赵甲犯盗窃罪、诈骗罪，数罪并罚。", ["盗窃罪", "诈骗罪"]),
    ("其行为已构成贩卖毒品罪。", ["贩卖毒品罪"]),
    ("其行为已构成销售有毒、有害食品罪。", ["销售有毒、有害食品罪"]),
    ("其行为已构成掩饰、隐瞒犯罪所得罪。", ["掩饰、隐瞒犯罪所得罪"]),
    ("被告人钱乙犯以危险方法危害公共安全罪。", ["以危险方法危害公共安全罪"]),
    ("罪名：危险驾驶", ["危险驾驶罪"]),
    ("案由：涉嫌寻衅滋事罪", ["寻衅滋事罪"]),
    ("被告人曾因犯盗窃罪被判处有期徒刑一年。现因涉嫌诈骗罪于2024年被刑事拘留。", ["诈骗罪"]),
])
def test_charge_stated(text, want):
    assert [n for n, _, _ in stated_charges(text)] == want


@pytest.mark.parametrize("text", [
    "由我局经济犯罪侦查大队民警在工作中发现。",
    "根据《中华人民共和国刑法》第二百六十四条之规定。",
    "证据如下：1.受案登记表；2.犯罪嫌疑人供述和辩解；3.被害人陈述。",
    "辩护人提出被告人不构成抢劫罪的意见。",
    "2015年因犯盗窃罪被本院判处有期徒刑一年，2016年刑满释放。",
    "以非法占有为目的，秘密窃取他人财物。",
    "被告人的行为是否构成诈骗罪，需要进一步审查。",
    "涉嫌毒品罪。",
])
def test_charge_not_stated(text):
    assert stated_charges(text) == []


@pytest.mark.parametrize("form,full", [
    ("贩卖毒品罪", "走私、贩卖、运输、制造毒品罪"),
    ("贩卖、运输毒品罪", "走私、贩卖、运输、制造毒品罪"),
    ("骗取贷款罪", "骗取贷款、票据承兑、金融票证罪"),
    ("销售有毒、有害食品罪", "生产、销售有毒、有害食品罪"),
    ("伪造国家机关公文罪", "伪造、变造、买卖国家机关公文、证件、印章罪"),
    ("非法持有枪支罪", "非法持有、私藏枪支、弹药罪"),
])
def test_split_forms(form, full):
    assert is_split_form(form, full)
    assert normalize_charge(form) == form
    assert canonical_charge(form) == full


@pytest.mark.parametrize("form,full", [
    ("毒品罪", "走私、贩卖、运输、制造毒品罪"),       # a bare tail keeps no act
    ("贩卖罪", "走私、贩卖、运输、制造毒品罪"),       # a bare act keeps no object
    ("走私、贩卖、运输、制造毒品罪", "走私、贩卖、运输、制造毒品罪"),  # the name itself
    ("盗窃罪", "盗窃、抢夺枪支、弹药、爆炸物罪"),     # 盗窃罪 is its own 罪名 (exact match wins elsewhere)
])
def test_not_split_forms(form, full):
    if form == "盗窃罪":
        assert normalize_charge(form) == "盗窃罪" and canonical_charge(form) == "盗窃罪"
    else:
        assert not is_split_form(form, full)


@pytest.mark.parametrize("text", ["经济犯罪", "经济犯", "犯罪", "偷东西罪"])
def test_not_a_charge(text):
    assert normalize_charge(text) is None


@pytest.mark.parametrize("word", ["陈述", "辩解", "供述", "曾因", "单位", "原审", "陈述和"])
def test_words_are_not_names(word):
    assert not is_person_name(word)


@pytest.mark.parametrize("name", ["陈大明", "高明", "单雄", "曾小贤", "原野"])
def test_names_with_surname_words_stay(name):
    assert is_person_name(name)
