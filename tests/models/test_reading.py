"""Values read through OCR compared as a reader would (models.reading)."""

from __future__ import annotations

import pytest

from models.reading import confusables, look_alike, lost_in_reading, majority_reading, reading_diff, same_reading


def test_the_table_is_loaded_and_symmetric():
    table = confusables()
    assert len(table) > 3000
    assert all(a in table[b] for a, others in list(table.items())[:500] for b in others)


@pytest.mark.parametrize("a,b", [("己", "已"), ("人", "入"), ("市", "巿"), ("察", "蔡"), ("状", "壮"), ("诉", "沂"), ("（", "(")])
def test_look_alikes(a, b):
    assert look_alike(a, b) and look_alike(b, a)


@pytest.mark.parametrize("a,b", [
    ("壮族", "状族"),
    ("临沂市", "临诉巿"),      # two look-alikes in three characters
    ("北京市海淀区", "北京巿海淀区"),
    ("检察官", "检 蔡官"),     # spaces an OCR layer adds do not count
])
def test_same_reading(a, b):
    assert same_reading(a, b)


@pytest.mark.parametrize("a,b", [
    ("唐新", "唐欣"),          # a different character, not a look-alike: a real inconsistency
    ("王涛", "王韬"),
    ("汉族", "回族"),
    ("张三", "张三丰"),        # an extra character
    ("市公安局", "区公安局"),
])
def test_not_the_same_reading(a, b):
    assert not same_reading(a, b)


def test_reading_diff_counts_kinds():
    d = reading_diff("临沂市公安局", "临诉巿公安居")
    assert d.look_alike == 2 and d.other == 1
    assert ("沂", "诉") in d.pairs
    assert reading_diff("张三", "张三").same


def test_majority_reading_counts_look_alike_votes():
    assert majority_reading(["壮族", "壮族", "状族"]) == "壮族"
    # 状族 gets its own vote and the two 壮族 readings' votes: the exact majority still wins
    assert majority_reading(["状族", "壮族", "壮族", "状族", "壮族"]) == "壮族"
    assert majority_reading([]) is None


def test_tolerant_patterns_match_look_alikes_one_for_one():
    from models.reading import tolerant

    p = tolerant(r"^\S*检\S*〔(\d{4})〕\d+号$")
    assert p.match("温鹿捡刑诉〔2021〕1962号").group(1) == "2021"
    assert not p.match("温鹿刑诉〔2021〕1962号")          # a missing character is not a look-alike
    assert tolerant("[男女]性").search("男牲") and not tolerant("[男女]性").search("丁性")
    assert tolerant("[^检]+").pattern == "[^检]+"          # a negated class is left as written
    m = tolerant("检察官").search("落款：检蔡官尹杰军")
    assert m and (m.start(), m.end()) == (3, 6)


@pytest.mark.parametrize("short, long, lost", [
    ("京朝检刑诉〔2024 712号", "京朝检刑诉〔2024〕4712号", True),    # the bracket and a digit lost where glyphs ran together
    ("〔2024〕712号", "〔2024〕4712号", True),
    ("〔2024〕12号", "〔2024〕4712号", True),
    ("〔2024〕2号", "〔2024〕4712号", False),                 # three lost: too many to be a reading
    ("京朝检刑诉〔2021〕358号", "京朝检刑诉〔2021〕356号", False),  # a different number
    ("〔2021〕498号", "〔2021〕502号", False),
    ("〔2024〕4712号", "〔2024〕4712号", False),               # nothing lost
    ("京朝捡〔2024〕712号", "京朝检〔2024〕4712号", True),      # a look-alike besides the lost digit
    ("〔2024〕4712号", "〔2024〕712号", False),                # the longer one is not lost from the shorter
])
def test_lost_in_reading(short, long, lost):
    assert lost_in_reading(short, long) is lost
