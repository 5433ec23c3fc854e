"""Table tests for the fields rules read: each case must be extracted, and a near miss must not be."""

from __future__ import annotations

import pytest

from extractors.fields import extract_fields
from extractors.text import DocText
from models import Line, Page, vocab


def _fields(text: str, doc_type: str) -> dict:
    rows = text.split("\n")
    lines = [Line(text=t, bbox=(72.0, 72.0 + 18 * i, min(523.0, 80.0 + 12 * len(t)), 86.0 + 18 * i)) for i, t in enumerate(rows)]
    page = Page(file="t.pdf", number=1, width=595.0, height=842.0, text=text, lines=lines)
    return {k: f.value for k, f in extract_fields(DocText([page]), doc_type).items()}


_HEAD = "讯问笔录\n时间：2021年6月24日17时37分至2021年6月24日19时11分\n"


@pytest.mark.parametrize("row, names", [
    ("讯问人：杜文斌、贾丽工作单位：某市公安局", ["杜文斌", "贾丽"]),
    ("讯问人：范波、曹丽华  工作单位：某市公安局", ["范波", "曹丽华"]),
    ("讯问人：范波工作单位：某市公安局", ["范波"]),
    ("讯问人：王强\t记录人：李明", ["王强"]),
])
def test_interrogators(row, names):
    assert _fields(_HEAD + row + "\n问：你叫什么？\n答：张三。", vocab.INTERROGATION)[vocab.INTERROGATORS] == names


@pytest.mark.parametrize("body, told, av", [
    ("本次讯问已告知被讯问人，并进行全程同步录音录像。\n问：这是告知书。如实供述自己罪行可以从轻处罚，认罪认罚的可以依法从宽处理。\n答：清楚。",
     True, True),
    ("本次讯问未进行同步录音录像。\n问：你叫什么？\n答：张三。", False, False),
    ("问：你叫什么？\n答：张三。", False, False),
])
def test_rights_and_av(body, told, av):
    f = _fields(_HEAD + "讯问人：王强、李明\n" + body, vocab.INTERROGATION)
    assert f[vocab.RIGHTS_TOLD] is told
    assert f[vocab.AV_RECORDED] is av


_INDICT = ("某区人民检察院\n起诉书\n某检刑诉〔2021〕701号\n"
           "被告人谢俊杰，男，1967年4月12日出生于广东省广州市，公民身份号码440106196704124638，汉族，小学文化，农民，"
           "户籍地广东省广州市天河区长江路264号，住广东省广州市天河区长江路264号。\n"
           "因涉嫌窝藏、包庇罪于2021年6月24日被某区公安分局刑事拘留，同年6月29日经本院批准，2021年6月29日由某区公安分局执行逮捕。\n"
           "本案由某区公安分局侦查终结，于2021年8月15日向本院移送审查起诉。\n经依法审查查明：\n被告人谢俊杰窝藏他人。\n"
           "{plea}本院认为，被告人谢俊杰的行为触犯了《中华人民共和国刑法》第三百一十条，应当以窝藏、包庇罪追究其刑事责任。"
           "认罪认罚，根据《中华人民共和国刑事诉讼法》第十五条的规定，可以从宽处理。\n此致\n某区人民法院\n二〇二一年十月七日\n附：\n1.案卷二册。")


def test_indictment_person_dates_sections():
    f = _fields(_INDICT.format(plea="被告人谢俊杰自愿认罪认罚，签署了认罪认罚具结书。\n"), vocab.INDICTMENT)
    p = f[vocab.PERSONS][0]
    assert (p["birthplace"], p["occupation"], p["ethnicity"]) == ("广东省广州市", "农民", "汉族")
    assert f[vocab.DETENTION_DATE] == "2021-06-24"
    assert f[vocab.SECTIONS] == {s: True for s in vocab.INDICTMENT_SECTIONS}
    missing = _fields(_INDICT.format(plea=""), vocab.INDICTMENT)[vocab.SECTIONS]
    assert missing["认罪认罚情况"] is False and missing["附项"] is True


@pytest.mark.parametrize("block, ethnicity, occupation", [
    ("本人姓名谢俊杰，性别男，出生日期1967年4月12日，公民身份号码440106196704124638，民族汉族，户籍地某省某市某路1号。", "汉族", None),
    ("被告人张三，男，1982年10月11日出生，回族，初中文化，无业，住某省某市某路1号。", "回族", "无业"),
])
def test_person_labels(block, ethnicity, occupation):
    text = "认罪认罚具结书\n" + block + "\n本人认罪认罚。"
    p = _fields(text, vocab.PLEA_AGREEMENT)[vocab.PERSONS][0]
    assert p["ethnicity"] == ethnicity
    assert p.get("occupation") == occupation


@pytest.mark.parametrize("tail, sections", [
    ("本人认罪认罚，并同意上述量刑建议和程序适用。\n犯罪嫌疑人签名：", {"认罪": True, "同意量刑建议": True, "同意程序适用": True}),
    # the procedure is spoken of but no known wording agrees to it: not located (a hint), not absent
    ("本人认罪认罚，并同意上述量刑建议。\n犯罪嫌疑人签名：", {"认罪": True, "同意量刑建议": True, "同意程序适用": None}),
    # the 具结书's end (signature part) not read: an unfound part is "not located", not absent
    ("本人认罪认罚，并同意上述量刑建议。", {"认罪": True, "同意量刑建议": True, "同意程序适用": None}),
    # the other office's form: the recommendation stated in the content, agreement to the whole 具结书
    ("本人知悉并认可如下内容。同意本具结书的内容，自愿签署本具结书。\n犯罪嫌疑人签名：",
     {"认罪": True, "同意量刑建议": True, "同意程序适用": None}),
])
def test_plea_sections(tail, sections):
    text = "认罪认罚具结书\n1.构成盗窃罪。\n2.量刑建议：拘役五个月。\n3.本案适用简易程序。\n" + tail
    assert _fields(text, vocab.PLEA_AGREEMENT)[vocab.SECTIONS] == sections


def test_plea_section_absent_when_its_subject_is_never_spoken_of():
    text = "认罪认罚具结书\n1.构成盗窃罪。\n2.量刑建议：拘役五个月。\n本人认罪认罚，并同意上述量刑建议。\n犯罪嫌疑人签名："
    assert _fields(text, vocab.PLEA_AGREEMENT)[vocab.SECTIONS]["同意程序适用"] is False


_JUDG = ("某区人民法院\n刑事判决书\n（2021）粤0106刑初965号\n公诉机关某区人民检察院。\n"
         "被告人谢俊杰，男，1967年4月12日出生，汉族。\n因涉嫌盗窃罪于2021年6月24日被刑事拘留，同年6月29日被逮捕。\n"
         "本院于2021年11月10日{pub}开庭审理了本案。\n经审理查明：被告人谢俊杰盗窃。\n本院认为，被告人谢俊杰构成盗窃罪。"
         "依照《中华人民共和国刑法》第二百六十四条之规定，判决如下：\n被告人谢俊杰犯盗窃罪，判处拘役五个月"
         "（刑期从判决执行之日起计算。即自2021年6月24日起至2021年11月23日止）。\n{appeal}审判员武鑫\n二〇二一年十一月十日")


@pytest.mark.parametrize("pub, public", [("公开", True), ("不公开", False)])
def test_judgment_trial_term(pub, public):
    appeal = "如不服本判决，可在接到判决书的第二日起十日内提出上诉。\n"
    f = _fields(_JUDG.format(pub=pub, appeal=appeal), vocab.JUDGMENT)
    assert f[vocab.PUBLIC_TRIAL] is public
    assert f[vocab.TRIAL_DATE] == "2021-11-10"
    assert (f[vocab.TERM_START], f[vocab.TERM_END]) == ("2021-06-24", "2021-11-23")
    assert f[vocab.DETENTION_DATE] == "2021-06-24"
    assert f[vocab.SECTIONS]["上诉告知"] is True
    assert f[vocab.APPEAL_NOTICE] is True
    none = _fields(_JUDG.format(pub=pub, appeal=""), vocab.JUDGMENT)
    assert none[vocab.SECTIONS]["上诉告知"] is False and none[vocab.APPEAL_NOTICE] is False


def test_arrest_approval_and_warrant():
    f = _fields("某区人民检察院\n批准逮捕决定书\n某检刑批〔2021〕125号\n某分局：\n你局于2021年6月27日以某公提捕字〔2021〕284号"
                "提请批准逮捕书提请批准逮捕犯罪嫌疑人谢俊杰，决定批准逮捕犯罪嫌疑人谢俊杰。\n某区人民检察院\n2021年6月29日",
                vocab.ARREST_APPROVAL)
    # the request's date bounds the receipt from below; it is not the receipt (issue 21, DL-005)
    assert f[vocab.REQUEST_DATE] == "2021-06-27" and vocab.RECEIVED_DATE not in f
    assert vocab.DETAINED not in f
    w = _fields("某分局\n逮捕证\n某公捕字〔2021〕485号\n兹决定对涉嫌盗窃罪的谢俊杰（性别男，出生日期1967年4月12日，住址某省某市某路1号）"
                "执行逮捕。\n某分局\n2021年6月29日", vocab.ARREST_WARRANT)
    assert w[vocab.PERSONS][0]["name"] == "谢俊杰" and w[vocab.PERSONS][0]["gender"] == "男"


def test_case_acceptance_and_victims():
    f = _fields("某区人民检察院\n受理案件登记表\n犯罪嫌疑人：谢俊杰（在押）\n移送日期：2021年8月15日\n受理日期：2021年8月15日\n"
                "第1次退回补充侦查日期：2021年9月3日\n补充侦查后重新移送日期：2021年9月27日\n重新受理日期：2021年9月27日",
                vocab.CASE_ACCEPTANCE)
    assert (f[vocab.RECEIVED_DATE], f[vocab.TRANSFER_DATE], f[vocab.SUPPLEMENTARY_COUNT]) == ("2021-09-27", "2021-08-15", 1)
    v = _fields(_INDICT.format(plea="").replace("被告人谢俊杰窝藏他人。", "被告人谢俊杰窃取被害人李某的手机。"), vocab.INDICTMENT)
    assert {"name": "李某", "role": "被害人", "cue": "被害人"} in v[vocab.PERSONS]
    assert not any(p["role"] == "被害人" for p in _fields(_INDICT.format(plea=""), vocab.INDICTMENT)[vocab.PERSONS])


@pytest.mark.parametrize("sentence, plea", [
    ("被告人张三自愿认罪认罚，签署了认罪认罚具结书。", True),
    ("对辩护人李四提出的被告人系坦白、认罪认罚、请求从轻处罚的辩护意见，本院予以采纳。", None),
])
def test_plea_not_from_defence_opinion(sentence, plea):
    f = _fields("某区人民法院\n刑事判决书\n被告人张三，男，1990年1月1日出生。\n本院认为，" + sentence, vocab.JUDGMENT)
    assert f.get(vocab.PLEA) is plea


@pytest.mark.parametrize("tail, judges, clerk", [
    ("审判员武鑫\n二〇二一年十一月十日\n本件与原本核对无异\n书记员余秀英", ["武鑫"], "余秀英"),
    ("审判员武鑫\n二〇二一年十一月十日\n本件与原本核对无异", ["武鑫"], ""),
])
def test_judgment_signers(tail, judges, clerk):
    f = _fields("某区人民法院\n刑事判决书\n被告人张三，男，1990年1月1日出生。\n判决如下：\n被告人张三犯盗窃罪，判处拘役五个月。\n" + tail,
                vocab.JUDGMENT)
    assert (f[vocab.JUDGES], f[vocab.CLERK]) == (judges, clerk)


def test_interrogator_signature_shortfall():
    from extractors.slots import find_slots
    from models import Mark

    label = Line(text="讯问人：", bbox=(72.0, 700.0, 120.0, 714.0))
    marks = [Mark(kind="handwriting", bbox=(130.0, 698.0, 180.0, 716.0), score=0.9)]
    page = Page(file="t.pdf", number=1, width=595.0, height=842.0, text="讯问人：", lines=[label], marks=marks)
    two = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 2})
    assert [s.filled for s in two if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == [True, False]
    one = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 1})
    assert [s.filled for s in one if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == [True]


def test_two_signatures_in_one_wide_mark():
    from extractors.slots import find_slots
    from models import Mark

    label = Line(text="讯问人：", bbox=(72.0, 700.0, 120.0, 714.0))
    marks = [Mark(kind="handwriting", bbox=(122.0, 698.0, 312.0, 716.0), score=0.9)]
    page = Page(file="t.pdf", number=1, width=595.0, height=842.0, text="讯问人：", lines=[label], marks=marks)
    got = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 2})
    assert [s.filled for s in got if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == [True]


def _slot_page(rows, source="ocr", marks=()):
    lines = [Line(text=t, bbox=b) for t, b in rows]
    return Page(file="t.pdf", number=1, width=595.0, height=842.0, text="\n".join(t for t, _ in rows), lines=lines,
                marks=list(marks), text_source=source)


@pytest.mark.parametrize("rest, filled", [("2023年12月13日", True), ("", False)])
def test_date_read_with_its_label_in_one_ocr_line(rest, filled):
    """A handwritten 签收日期 that OCR read together with its label still opens the date slot."""
    from extractors.slots import find_slots

    page = _slot_page([("受送达人签名：", (72.0, 600.0, 160.0, 614.0)), (f"签收日期：{rest}", (72.0, 640.0, 260.0, 654.0))])
    got = find_slots(vocab.SERVICE_RECEIPT, [page], "d1", {("t.pdf", 1)})
    assert [s.filled for s in got if s.role == vocab.SLOT_SIGN_DATE] == [filled]


def test_signature_read_as_letters_with_its_label():
    from extractors.slots import find_slots

    page = _slot_page([("讯问人：VKCR", (72.0, 700.0, 200.0, 714.0)), ("记录人：", (320.0, 700.0, 368.0, 714.0))])
    got = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 1})
    assert [s.filled for s in got if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == [True]
    assert [s.filled for s in got if s.role == vocab.SLOT_RECORDER_SIGNATURE] == [False]
    header = _slot_page([("被讯问人：张明", (72.0, 700.0, 170.0, 714.0))])
    assert find_slots(vocab.INTERROGATION, [header], "d1", {("t.pdf", 1)}) == []


@pytest.mark.parametrize("source, filled", [("text-layer", False), ("ocr", None)])
def test_typed_name_is_not_a_signature(source, filled):
    """No handwriting, only a typed name right of 被告知人（签名）: not signed on a text layer,
    undecided on a scan (where it may be handwriting read as print)."""
    from extractors.slots import find_slots

    page = _slot_page([("被告知人（签名）：", (72.0, 700.0, 180.0, 714.0)), ("张明", (190.0, 700.0, 220.0, 714.0))], source)
    [slot] = find_slots(vocab.RIGHTS_NOTICE, [page], "d1", {("t.pdf", 1)})
    assert (slot.filled, slot.who) == (filled, "张明")


def test_seal_role_from_the_header_when_the_closing_organ_is_broken():
    """A seal over the 落款 breaks 郑州市看守所 into 郑州 … 守所 on a scan: the organ comes from the header."""
    from extractors.slots import find_slots
    from models import Mark

    page = _slot_page([("郑州市看守所", (246.0, 75.0, 353.0, 92.0)), ("收押凭证", (259.0, 111.0, 338.0, 130.0)),
                       ("郑州", (430.0, 255.0, 452.0, 266.0)), ("守所", (476.0, 255.0, 502.0, 266.0)),
                       ("2021年6月28日", (417.0, 276.0, 497.0, 286.0))],
                      marks=[Mark(kind="seal", bbox=(416.0, 216.0, 510.0, 309.0), score=0.9)])
    [seal] = find_slots(vocab.CUSTODY_RECEIPT, [page], "d1", {("t.pdf", 1)})
    assert (seal.role, seal.filled) == (vocab.SLOT_ORGAN_SEAL, True)


@pytest.mark.parametrize("tail, present", [
    ("本案扣押的甲基苯丙胺依法予以没收。", True),
    ("", False),
])
def test_non_prosecution_property_section(tail, present):
    text = ("某区人民检察院\n不起诉决定书\n被不起诉人钟刚，男，1990年1月1日出生。\n本案由某分局侦查终结，向本院移送审查起诉。\n"
            "经本院依法审查查明：被不起诉人钟刚被抓获，并从其身上扣押到甲基苯丙胺0.7720克。\n"
            "本院认为，被不起诉人钟刚犯罪情节轻微，决定对钟刚不起诉。\n" + tail + "\n被不起诉人如不服本决定，可以自收到本决定书后七日以内向本院申诉。")
    got = _fields(text, vocab.NON_PROSECUTION)[vocab.SECTIONS]
    assert got["涉案财物处理"] is present and got["被不起诉人申诉告知"] is True and got["被害人申诉告知"] is False


def test_indictment_basic_info_with_wrong_term():
    f = _fields(_INDICT.format(plea="").replace("被告人谢俊杰，男", "犯罪嫌疑人谢俊杰，男"), vocab.INDICTMENT)
    assert f[vocab.SECTIONS]["被告人基本情况"] is True


@pytest.mark.parametrize("seal_x, opened", [(350.0, True), (120.0, False)])
def test_a_label_whose_first_character_the_seal_covers(seal_x, opened):
    """``察官`` alone on a line that starts inside the 院印 is the 检察官 label with its first character
    under the red ink: the 署名 slot opens (and nothing signed after it is missing). The same two
    characters away from a seal open nothing."""
    from extractors.slots import find_slots
    from models import Mark

    seal = Mark(kind="seal", bbox=(seal_x, 366.0, seal_x + 117.0, 483.0), score=0.99)
    page = _slot_page([("此致", (106.0, 327.0, 130.0, 341.0)), ("北湖市南山区人民法院", (76.0, 354.0, 217.0, 368.0)),
                       ("察官", (462.0, 391.0, 492.0, 405.0)), ("二〇二〇年十月二十九日", (315.0, 420.0, 492.0, 432.0))],
                      marks=[seal])
    first = _slot_page([("北湖市南山区人民检察院", (200.0, 80.0, 400.0, 100.0)), ("起诉书", (260.0, 110.0, 330.0, 130.0))])
    page = page.model_copy(update={"number": 2})
    got = [s for s in find_slots(vocab.INDICTMENT, [first, page], "d1", {("t.pdf", 1), ("t.pdf", 2)})
           if s.role == vocab.SLOT_PROSECUTOR]
    assert [s.filled for s in got] == ([False] if opened else [])


@pytest.mark.parametrize("second, conf, signed", [("忌文心", 0.59, [True, True]), ("忌文心", 0.97, [True, False])])
def test_a_handwritten_name_ocr_misread_counts_as_the_second_signature(second, conf, signed):
    """Two interrogators: one signature is ink beside the label, the other OCR read with
    low confidence as 「忌文心」 (not a name, but a name's shape written by hand). Read with print's confidence it
    is not a signature, and the second slot stays unsigned."""
    from extractors.slots import find_slots
    from models import Mark

    label = Line(text="讯问人：", bbox=(99.0, 490.0, 151.0, 502.0))
    scrawl = Line(text=second, bbox=(239.0, 488.0, 295.0, 509.0), confidence=conf)
    marks = [Mark(kind="handwriting", bbox=(157.0, 486.0, 203.0, 510.0), score=1.0)]
    page = Page(file="t.pdf", number=1, width=595.0, height=842.0, text="讯问人：\n" + second, lines=[label, scrawl],
                marks=marks, text_source="ocr")
    got = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 2})
    assert [s.filled for s in got if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == signed
