"""The shared validators (:mod:`models.validators`): one table of numbers that must pass and one that must not,
and the three users — extraction, the rules, the fixtures — answering alike."""

from __future__ import annotations

import datetime as dt

import pytest

from models.validators import id_birth, id_check_digit, id_gender, id_number_ok, id_valid, plausible_date

VALID = [
    ("11010519491231002X", dt.date(1949, 12, 31), "女"),
    ("320106197901315510", dt.date(1979, 1, 31), "男"),
    (" 11010519491231002x ", dt.date(1949, 12, 31), "女"),  # spaces around, lower-case x
]
NOT_VALID = [
    "110105194912310021",    # wrong check character
    "11010519491231002",     # 17 characters
    "1101051949123100211",   # 19 characters
    "11010519491231002Y",    # not a check character
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits: normalised before, never here
    "",
]


@pytest.mark.parametrize("number,born,gender", VALID)
def test_valid_numbers(number, born, gender):
    assert id_valid(number) and id_number_ok(number)
    assert id_birth(number) == born
    assert id_gender(number.strip()) == gender


@pytest.mark.parametrize("number", NOT_VALID)
def test_numbers_that_must_not_pass(number):
    assert not id_valid(number)
    assert not id_number_ok(number)


def test_a_right_check_digit_on_an_impossible_birth_date_is_not_an_id_number():
    first17 = "11010519490231002"  # 1949-02-31
    number = first17 + id_check_digit(first17)
    assert id_valid(number) and not id_number_ok(number) and id_birth(number) is None


def test_extraction_rules_and_fixtures_share_the_check():
    from checks.rules import _common
    from extractors import normalize
    from fixtures import cn

    for number in [n for n, _, _ in VALID] + NOT_VALID:
        expected = id_valid(number)
        assert _common.id_valid(number) is expected
        assert cn.id_is_valid(number) is expected
        assert normalize.check_id_number(number) is id_number_ok(number)
    made = cn.make_id_number("110105", dt.date(1990, 5, 1), 3, True)
    assert id_number_ok(made) and id_birth(made) == dt.date(1990, 5, 1) and id_gender(made) == "男"


@pytest.mark.parametrize("day,ok", [(dt.date(1949, 1, 1), True), (dt.date(2024, 5, 20), True),
                                    (dt.date(1948, 12, 31), False), (dt.date(2101, 1, 1), False)])
def test_plausible_dates(day, ok):
    assert plausible_date(day) is ok
