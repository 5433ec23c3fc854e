"""Normalisers: parametrized tables, including texts that must NOT give a value."""

import pytest

from extractors import normalize as nz
from extractors.lexicon import is_person_name, normalize_charge


@pytest.mark.parametrize("text,prev,want", [
    ("二〇二四年三月五日", None, "2024-03-05"),
    ("2024年3月5日", None, "2024-03-05"),
    ("二〇二三年十二月三十一日", None, "2023-12-31"),
    ("同年3月8日", "2024-01-02", "2024-03-08"),
    ("3月8日", "2023-05-01", "2023-03-08"),
    ("2024-03-05", None, "2024-03-05"),
    # should NOT match
    ("3月8日", None, None),
    ("2024年2月30日", None, None),
    ("第2024号", None, None),
])
def test_parse_date(text, prev, want):
    assert nz.parse_date(text, prev) == want


@pytest.mark.parametrize("text,want", [
    ("2024年3月5日10时20分", "2024-03-05T10:20"),
    ("二〇二四年三月五日上午十时二十分", "2024-03-05T10:20"),
    ("2024年3月5日下午3时", "2024-03-05T15:00"),
    ("2024年3月5日", "2024-03-05"),
    ("没有时间", None),
])
def test_parse_datetime(text, want):
    assert nz.parse_datetime(text) == want


def test_all_dates_chain_yearless_dates():
    got = [iso for _, _, iso in nz.all_dates("于2024年3月5日被刑事拘留，同年3月8日被逮捕")]
    assert got == ["2024-03-05", "2024-03-08"]


@pytest.mark.parametrize("text,want", [
    ("一年六个月", 18), ("五个月", 5), ("二年", 24), ("1年6个月", 18), ("十个月", 10), ("一年零六个月", 18),
    ("无期限", None), ("", None),
])
def test_duration(text, want):
    assert nz.parse_duration_months(text) == want


@pytest.mark.parametrize("text,kind,months,rng,suspended,probation,fine", [
    ("有期徒刑一年六个月，缓刑二年，并处罚金人民币三千元", "有期徒刑", 18, None, True, 24, 3000),
    ("拘役五个月", "拘役", 5, None, False, None, None),
    ("有期徒刑一年至一年六个月", "有期徒刑", None, [12, 18], False, None, None),
    ("判处有期徒刑八个月，并处罚金人民币3000元", "有期徒刑", 8, None, False, None, 3000),
    ("无期徒刑", "无期徒刑", None, None, False, None, None),
])
def test_sentence(text, kind, months, rng, suspended, probation, fine):
    s = nz.parse_sentence(text)
    assert (s["kind"], s["months"], s["range_months"], s["suspended"], s["probation_months"], s["fine_yuan"]) == \
        (kind, months, rng, suspended, probation, fine)


def test_sentence_none():
    assert nz.parse_sentence("本院认为，被告人犯罪事实清楚") is None


@pytest.mark.parametrize("text,want", [
    ("人民币三千元", 3000), ("3,000元", 3000), ("1.2万元", 12000), ("9万余元", 90000), ("一万二千元", 12000),
    ("三千", None), ("元旦", None),
])
def test_money(text, want):
    assert nz.parse_money(text) == want


@pytest.mark.parametrize("number,valid", [
    ("11010519491231002X", True), ("110105194912310021", False), ("320106197901315510", True),
    ("110105194913310026", False), ("1101051949123100", False), ("11010519491231002x", True),
])
def test_id_check_digit(number, valid):
    assert nz.check_id_number(number) is valid


def test_id_birth_and_gender():
    assert nz.id_birth_date("320106197901315510") == "1979-01-31"
    assert nz.id_gender("320106197901315510") == "男"


@pytest.mark.parametrize("text,want", [
    ("第264条", "第二百六十四条"), ("第六十七条第3款", "第六十七条第三款"), ("第一百三十三条之一", "第一百三十三条之一"),
    ("第一百一十条", "第一百一十条"), ("第十三条", "第十三条"), ("第几条", None), ("条款", None),
])
def test_article(text, want):
    assert nz.canonical_article(text) == want


@pytest.mark.parametrize("text,want", [
    ("盗窃", "盗窃罪"), ("盗窃罪", "盗窃罪"), ("犯盗窃罪", "盗窃罪"), ("危险驾驶", "危险驾驶罪"),
    ("窝藏、包庇罪", "窝藏、包庇罪"), ("偷东西罪", None), ("盗", None),
])
def test_charge(text, want):
    assert normalize_charge(text) == want


@pytest.mark.parametrize("name,ok", [("张三", True), ("欧阳娜娜", True), ("王建国", True), ("到案后", False),
                                     ("张三到案", False), ("A1", False)])
def test_person_name(name, ok):
    assert is_person_name(name) is ok
