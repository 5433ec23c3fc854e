"""What each document is to the case (:mod:`extractors.roles`), and what that changes downstream:
the case summary reads only the case's own documents, and the classifier never takes a witness's
询问笔录 for the suspect's 讯问笔录."""

from __future__ import annotations

import pytest

from models import Document, Field, TocEntry, Volume, vocab

from extractors.classify import split_documents
from extractors.merge import summarize
from extractors.roles import assign_roles, other_person
from tests.extractors.test_volumes import _page

SUSPECT = {"name": "张三", "role": "犯罪嫌疑人", "id_number": "110101199001011234"}


def _doc(i: int, typ: str, volume: str = "", **fields) -> Document:
    return Document(id=f"d{i}", type=typ, title=typ, file="卷.pdf", pages=[i], volume=volume,
                    fields={k: Field(value=v) for k, v in fields.items()})


def _case(*extra: Document) -> list[Document]:
    return [
        _doc(1, vocab.DETENTION_WARRANT, execution_time="2024-03-01T20:00", suspect_name="张三", persons=[SUSPECT]),
        _doc(2, vocab.INTERROGATION, start_time="2024-03-01T21:00", suspect_name="张三"),
        _doc(3, vocab.ARREST_REQUEST, date="2024-03-04", suspect_name="张三", persons=[SUSPECT]),
        _doc(4, vocab.PROSECUTION_OPINION, date="2024-04-20", suspect_name="张三", charges=["盗窃罪"]),
        _doc(5, vocab.INDICTMENT, date="2024-05-10", suspect_name="张三", charges=["盗窃罪"]),
        *extra,
    ]


def _roles(docs: list[Document], volumes=()) -> dict[str, str]:
    assign_roles(docs, list(volumes))
    return {d.id: d.role for d in docs}


def test_procedural_documents_are_the_case_evidence_material_is_evidence():
    docs = _case(_doc(6, vocab.INQUIRY_RECORD), _doc(7, vocab.STATEMENT_NOTE), _doc(8, vocab.VOLUME_INDEX),
                 _doc(9, vocab.ADMIN_PENALTY))
    assert _roles(docs) == {"d1": "case", "d2": "case", "d3": "case", "d4": "case", "d5": "case",
                            "d6": "evidence", "d7": "evidence", "d8": "volume", "d9": "other_case"}
    assert "不是本案刑事诉讼文书" in docs[-1].role_reason


def test_an_earlier_judgment_of_the_suspect_is_another_cases():
    prior = _doc(6, vocab.JUDGMENT, date="2018-06-01", suspect_name="张三", charges=["故意伤害罪"], verdict="有罪")
    docs = _case(prior)
    assert _roles(docs)["d6"] == "other_case"
    assert "早于本案" in prior.role_reason
    summary = summarize(docs)
    assert summary.charges == ["盗窃罪"]                     # never the earlier conviction's charge


def test_this_cases_judgment_stays_the_case():
    docs = _case(_doc(6, vocab.JUDGMENT, date="2024-06-01", suspect_name="张三", charges=["盗窃罪"]))
    assert _roles(docs)["d6"] == "case"


def test_a_co_perpetrators_judgment_is_another_cases():
    other = _doc(6, vocab.JUDGMENT, date="2024-06-01", suspect_name="李四明",
                 persons=[{"name": "李四明", "role": "被告人", "id_number": "110101198502021111"}], charges=["抢劫罪"])
    docs = _case(other)
    assert _roles(docs)["d6"] == "other_case"
    assert summarize(docs).charges == ["盗窃罪"]


def test_a_name_written_differently_in_one_document_is_still_this_case():
    """张叁 for 张三 in one document is a defect of this case (CON-001), not another person."""
    docs = _case(_doc(6, vocab.JUDGMENT, date="2024-06-01", suspect_name="张叁"))
    assert _roles(docs)["d6"] == "case"


@pytest.mark.parametrize("name, ids, party, party_ids, expected", [
    ("张三", {"1"}, "张三", set(), False),
    ("张三丰", set(), "张三峰", set(), False),        # one character differs: the same person written differently
    ("张三丰", set(), "李四明", set(), True),
    ("张三丰", {"1"}, "李四明", {"1"}, False),        # the same ID number: the same person
    ("张三丰", {"1"}, "张三峰", {"2"}, True),         # one character and the ID number differ
])
def test_other_person(name, ids, party, party_ids, expected):
    assert other_person(name, ids, party, party_ids) is expected


def test_material_the_toc_lists_as_prior_record_is_another_cases():
    volume = Volume(file="卷.pdf", label="第2卷 证据卷", title="证据卷",
                    entries=[TocEntry(no=9, name="张三前科材料", first=30, document_id="d6")])
    docs = _case(_doc(6, vocab.OTHER, volume="第2卷 证据卷"), _doc(7, vocab.OTHER, volume="第2卷 证据卷"))
    roles = _roles(docs, [volume])
    assert roles["d6"] == "other_case" and roles["d7"] == "evidence"


def test_a_witness_statement_titled_as_an_interrogation_is_a_witness_statement():
    """OCR reads 询 as 讯 in the title: the persons questioned say which record it is."""
    page = _page(1, ["讯问笔录", "询问人：王五、赵六  记录人：赵六", "被询问人：李四  性别：男",
                     "问：我们是某分局民警，你应当如实提供证据、证言，有意作伪证要负法律责任。", "答：明白。",
                     "以上笔录我看过，和我说的一样。被询问人：李四"])
    (seg,) = split_documents([page])
    assert seg.type == vocab.INQUIRY_RECORD


def test_an_interrogation_stays_an_interrogation():
    page = _page(1, ["讯问笔录", "讯问人：王五、赵六  记录人：赵六", "被讯问人：张三  性别：男",
                     "问：你是否听清楚？", "答：听清楚了。", "被讯问人：张三"])
    (seg,) = split_documents([page])
    assert seg.type == vocab.INTERROGATION


@pytest.mark.parametrize("title, typ", [
    ("关于犯罪嫌疑人违法犯罪记录的情况说明", vocab.STATEMENT_NOTE),
    ("关于同案人另案处理的工作说明", vocab.STATEMENT_NOTE),
    ("情 况 说 明", vocab.STATEMENT_NOTE),
    ("犯罪嫌疑人张三体貌特征照片", vocab.PHOTOS),
    ("监控视频截图（二）", vocab.PHOTOS),
    ("居民身份证复印件", vocab.IDENTITY_PROOF),
    ("常住人口信息表", vocab.HOUSEHOLD_PROOF),
    ("行政处罚决定书", vocab.ADMIN_PENALTY),
    ("搜 查 笔 录", vocab.SEARCH_RECORD),
    ("卷 内 备 考 表", vocab.VOLUME_NOTE),
    ("证人李四询问笔录", vocab.INQUIRY_RECORD),
])
def test_material_titles(title, typ):
    (seg,) = split_documents([_page(1, [title, "特此说明。"])])
    assert seg.type == typ


def test_a_table_whose_heading_repeats_on_every_page_is_one_document():
    pages = [_page(n, ["通话详单", f"2024-03-0{n} 10:00:00  主叫  13800000000  60秒  本地"]) for n in range(1, 5)]
    segs = split_documents(pages)
    assert [len(s.pages) for s in segs] == [4]


def test_an_uncertain_date_is_used_only_without_a_sure_one_and_marked():
    """The case overview states a date another document reads surely; a date read only uncertainly
    (an OCR date under a seal) is shown marked, never as a plain fact."""
    docs = _case()
    indictment = next(d for d in docs if d.type == vocab.INDICTMENT)
    indictment.fields[vocab.DATE] = indictment.fields[vocab.DATE].model_copy(update={"value": "2034-12-05", "confidence": 0.4})
    summary = summarize(docs)
    assert summary.dates.get("起诉") == "2034-12-05" and summary.unsure_dates == ["起诉"]
    assert summary.contract()["unsure_dates"] == ["起诉"]
