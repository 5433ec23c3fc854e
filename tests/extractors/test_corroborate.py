"""Dates read under a seal, confirmed where another document of the case states them (extractors.corroborate)."""

from __future__ import annotations

from extractors.corroborate import CONFIRMED, corroborate_dates
from models import Document, Evidence, Field


def _doc(i: int, type_: str, text: str, **fields: tuple[str, float]) -> Document:
    return Document(id=f"d{i}", type=type_, title=type_, file=f"{i}.pdf", pages=[1], text=text, text_source="ocr",
                    fields={k: Field(value=v, confidence=c, evidence=[Evidence(document_id=f"d{i}", file=f"{i}.pdf",
                                                                              page=1, text=v, text_source="ocr")])
                            for k, (v, c) in fields.items()})


def test_a_reading_another_document_states_is_confirmed():
    decision = _doc(1, "批准逮捕决定书", "……此致\n二〇二二年八月十八日", date=("2022-08-18", 0.45))
    indictment = _doc(2, "起诉书", "于2022年8月4日被刑事拘留，同年8月18日经本院批准逮捕。", date=("2022-09-20", 1.0))
    assert corroborate_dates([decision, indictment]) == 1
    f = decision.fields["date"]
    assert f.confidence == CONFIRMED and f.evidence[-1].document_id == "d2" and "8月18日" in f.evidence[-1].text
    assert indictment.fields["date"].confidence == 1.0


def test_a_reading_nobody_repeats_stays_uncertain():
    decision = _doc(1, "批准逮捕决定书", "二〇二二年八月一日", date=("2022-08-01", 0.45))  # a digit lost under the seal
    indictment = _doc(2, "起诉书", "同年8月18日经本院批准逮捕。", date=("2022-09-20", 1.0))
    assert corroborate_dates([decision, indictment]) == 0
    assert decision.fields["date"].confidence == 0.45


def test_a_reading_that_lost_a_character_takes_the_date_the_others_state():
    decision = _doc(1, "批准逮捕决定书", "二〇二一年一月十三日", date=("2021-01-13", 0.47))
    decision.fields["date"].evidence[0].text = "二〇二一年一月十三日"
    indictment = _doc(2, "起诉书", "于2021年11月2日被刑事拘留，同年11月13日经本院批准逮捕。", date=("2021-12-20", 1.0))
    assert corroborate_dates([decision, indictment]) == 1
    assert decision.fields["date"].value == "2021-11-13"
    # two dates it could have lost a character from: undecided
    decision.fields["date"] = decision.fields["date"].model_copy(update={"value": "2021-01-13", "confidence": 0.47})
    other = _doc(3, "逮捕证", "2021年1月23日", date=("2021-12-21", 1.0))  # 二〇二一年一月二十三日 less 二
    assert corroborate_dates([decision, indictment, other]) == 0


def _with_closing(doc: Document, closing: str) -> Document:
    doc.fields["structure"] = Field(value={"template": doc.type, "end": "此致", "closing_date": closing},
                                    evidence=[Evidence(document_id=doc.id, file=doc.file, page=1, text="此致",
                                                       text_source="ocr")])
    return doc


def test_a_closing_date_that_did_not_parse_takes_the_one_date_it_is_a_reading_of():
    """``二二年十月二十九日``: the 〇 of 二〇二〇 went with the seal; the 量刑建议书 of the case states
    2020年10月29日, the only date this reading can be with characters lost."""
    indictment = _with_closing(_doc(1, "起诉书", "……此致\n二二年十月二十九日"), "二二年十月二十九日")
    recommendation = _doc(2, "量刑建议书", "……\n2020年10月29日", date=("2020-10-29", 1.0))
    assert corroborate_dates([indictment, recommendation]) == 1
    f = indictment.fields["date"]
    assert (f.value, f.confidence) == ("2020-10-29", CONFIRMED) and f.evidence[0].text == "二二年十月二十九日"
    # a closing reading no other date explains adds nothing
    other = _with_closing(_doc(3, "起诉书", "……此致\n二二年三月九日"), "二二年三月九日")
    assert corroborate_dates([other, recommendation]) == 0 and "date" not in other.fields


def test_a_last_line_that_is_a_date_with_a_character_lost_is_matched_too():
    """No template located the 落款 (no structure field): the last line that is nothing but a date is
    the reading — ``二〇二一年十月二六日`` lost the 十 of 二十六; the 起诉书 states 同年10月26日."""
    decision = _doc(1, "批准逮捕决定书", "……请依法立即执行。\n二〇二一年十月二六日")
    indictment = _doc(2, "起诉书", "于2021年10月18日被刑事拘留，同年10月26日经本院批准逮捕。", date=("2021-12-07", 1.0))
    assert corroborate_dates([decision, indictment]) == 1
    assert decision.fields["date"].value == "2021-10-26"
    # on a text layer the line is what the document says: nothing is filled in
    typed = _doc(3, "批准逮捕决定书", "……请依法立即执行。\n二〇二一年十月二六日")
    typed.text_source = "text-layer"
    assert corroborate_dates([typed, indictment]) == 0 and "date" not in typed.fields


def test_a_month_lost_whole_is_not_guessed_from_the_one_date_that_fits():
    """``二〇二二年月二十七日``: the month went whole with the seal's ink. That 2022-06-27 is the only
    date of the case it fits says nothing about this document's month (its own date is written
    nowhere else): the date stays unread."""
    indictment = _doc(1, "起诉书", "……此致\n二〇二二年月二十七日")
    other = _doc(2, "起诉意见书", "于2022年6月27日移送审查起诉。", date=("2022-06-27", 1.0))
    assert corroborate_dates([indictment, other]) == 0 and "date" not in indictment.fields
