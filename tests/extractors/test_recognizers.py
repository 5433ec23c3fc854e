"""Field recognizers declared as data (extractors/field_specs.py, extractors/recognizers.py).

One table of rows — a ``fields`` entry as written in a form's YAML, a text, the value and the
pattern name that must come out — then the rows that must NOT match, the OCR-noise rows, the
provenance carried to the report, and a field added to a template purely as data.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from extractors import field_specs, recognizers, templates
from extractors.fields import Extraction, extract_fields
from extractors.text import DocText
from models import Line, Page, vocab


@pytest.fixture(autouse=True)
def _fresh_templates(monkeypatch):
    monkeypatch.delenv("ASSISTANT_TEMPLATES", raising=False)
    monkeypatch.delenv("ASSISTANT_TEMPLATE_EXCLUDE", raising=False)


def _doc(text: str, source: str = "text-layer") -> DocText:
    rows = text.split("\n")
    lines = [Line(text=t, bbox=(70.0, 100.0 + 20 * i, 70.0 + 12 * len(t), 114.0 + 20 * i), confidence=1.0)
             for i, t in enumerate(rows)]
    page = Page(file="t.pdf", number=1, width=595.0, height=842.0, text=text, lines=lines, text_source=source)
    return DocText([page], "d1")


def _run(entry: str, text: str, source: str = "text-layer", doc_type: str = vocab.INDICTMENT) -> Extraction:
    specs = field_specs.parse_fields([yaml.safe_load(textwrap.dedent(entry))], "test")
    x = Extraction(_doc(text, source), doc_type)
    recognizers.run(x, specs)
    return x


VALID_ID = "110105199003071234"
ID_ENTRY = """
field: id_number
validator: id_number
patterns: [{name: 身份证号码, regex: '(?P<value>\\d{17}[\\dXx])'}]
"""


def _valid_id() -> str:
    from models.validators import id_check_digit
    return VALID_ID[:17] + id_check_digit(VALID_ID[:17])


ROWS = [
    # a date near a context word (no patterns): the nearest date in the sentence
    ("{field: arrest_date, validator: date, context: [被逮捕]}",
     "犯罪嫌疑人张三因涉嫌盗窃罪于2024年3月5日被逮捕。", "arrest_date", "2024-03-05", "被逮捕"),
    # a labelled row, the latest of several (a case received again)
    ("""
     field: received_date
     validator: date
     pick: latest
     patterns: [{name: 受理日期栏, regex: '受理日期[：:]\\s*(?P<value>[^\\n]{6,20})'}]
     """, "受理日期：2024年1月2日\n重新受理日期：2024年3月4日", "received_date", "2024-03-04", "受理日期栏"),
    # constant values per pattern, first pattern that matches wins
    ("""
     field: non_prosecution_type
     pick: first_match
     patterns:
       - {name: 存疑, regex: '证据不足', value: 存疑}
       - {name: 酌定, regex: '犯罪情节轻微', value: 酌定}
     """, "本院认为，犯罪情节轻微，且证据不足。", "non_prosecution_type", "存疑", "存疑"),
    # a negated group flips a flag
    ("""
     field: public_trial
     validator: flag
     value: true
     patterns: [{name: 开庭审理, regex: '(?P<negated>不)?公开开庭审理'}]
     """, "本院依法组成合议庭，不公开开庭审理了本案。", "public_trial", False, "开庭审理"),
    # an ID number confirmed by its check digit
    (ID_ENTRY, f"公民身份号码{_valid_id()}，汉族", "id_number", _valid_id(), "身份证号码"),
    # a person name confirmed by the lexicon, alternatives as value / value_1
    ("""
     field: duty_lawyer
     validator: person_name
     patterns: [{name: 值班律师, regex: '听取值班律师(?P<value>[\\u4e00-\\u9fff]{2,3}?)的意见|值班律师(?P<value_1>[\\u4e00-\\u9fff]{2,3}?)提供'}]
     """, "值班律师王芳提供了法律帮助。", "duty_lawyer", "王芳", "值班律师"),
    # a sum of money
    ("""
     field: amount_yuan
     validator: money
     patterns: [{name: 价值, regex: '价值(?P<value>[0-9,.万]+元)'}]
     """, "窃得手机一部，价值3,200元。", "amount_yuan", 3200.0, "价值"),
    # a 文号 of the right grammar
    ("""
     field: cited
     validator: doc_number
     patterns: [{name: 文号, regex: '根据(?P<value>[^，]{6,30}号)'}]
     """, "根据金婺检刑诉〔2024〕5号，", "cited", "金婺检刑诉〔2024〕5号", "文号"),
    # a 罪名 of the lexicon
    ("""
     field: charge
     validator: charge
     patterns: [{name: 罪名栏, regex: '罪名[：:](?P<value>[\\u4e00-\\u9fff]{2,12}罪)'}]
     """, "罪名：盗窃罪", "charge", "盗窃罪", "罪名栏"),
    # a zone: only the first characters are read
    ("""
     field: issuer
     zone: head
     chars: 20
     patterns: [{name: 机关, regex: '[\\u4e00-\\u9fff]{2,8}?人民检察院'}]
     """, "金华市婺城区人民检察院\n起诉书", "issuer", "金华市婺城区人民检察院", "机关"),
    # a named section of the template (起诉书: 案件事实, from 审查查明 up to 本院认为)
    ("""
     field: amount_yuan
     validator: money
     zone: section
     section: 案件事实
     patterns: [{name: 数额, regex: '(?P<value>[0-9]+元)'}]
     """, "被告人张三，男，罚款200元。\n经审查查明：被告人窃得现金3000元。\n本院认为，其行为构成盗窃罪。",
     "amount_yuan", 3000.0, "数额"),
    # the closing (落款) zone: from the template's end marker on
    ("""
     field: prosecutor
     validator: person_name
     zone: closing
     patterns: [{name: 检察官署名, regex: '检察官\\s*(?P<value>[\\u4e00-\\u9fff]{2,3})'}]
     """, "经审查查明：检察官王某某询问了证人。\n此致\n金华市婺城区人民法院\n检察官 李明\n2024年5月6日",
     "prosecutor", "李明", "检察官署名"),
    # context words a match must follow
    ("""
     field: prior_case
     context: [前案]
     window: 10
     patterns: [{name: 案号, regex: '[(（]\\d{4}[)）][\\u4e00-\\u9fff\\d]{2,8}号'}]
     """, "本案（2024）浙0702刑初1号；前案为（2020）浙0702刑初9号", "prior_case", "（2020）浙0702刑初9号", "案号"),
    # nothing found, but the text is a transcript: recorded as absent
    ("""
     field: av_recorded
     validator: flag
     absent: {value: false, when: '问[：:]'}
     patterns: [{name: 录音录像, regex: '同步录音录像'}]
     """, "问：你叫什么名字？\n答：张三。", "av_recorded", False, "absent"),
]


@pytest.mark.parametrize("entry, text, field, value, pattern", ROWS)
def test_declared_recognizer(entry, text, field, value, pattern):
    x = _run(entry, text)
    assert field in x.fields, x.fields
    got = x.fields[field]
    assert got.value == value
    assert got.pattern == pattern
    assert got.recognizer


NOT_MATCHED = [
    # a wrong check digit is not an ID number
    (ID_ENTRY, f"公民身份号码{VALID_ID[:17]}{'0' if _valid_id()[17] != '0' else '1'}，", "id_number"),
    # a word that is not a name
    ("""
     field: duty_lawyer
     validator: person_name
     patterns: [{name: 值班律师, regex: '值班律师(?P<value>[\\u4e00-\\u9fff]{2,3}?)提供'}]
     """, "值班律师依法提供了法律帮助。", "duty_lawyer"),
    # outside the zone
    ("""
     field: issuer
     zone: head
     chars: 5
     patterns: [{name: 机关, regex: '[\\u4e00-\\u9fff]{2,8}?人民检察院'}]
     """, "起诉书\n金华市婺城区人民检察院", "issuer"),
    # the context word is too far before the value
    ("""
     field: prior_case
     context: [前案]
     window: 4
     patterns: [{name: 案号, regex: '[(（]\\d{4}[)）][\\u4e00-\\u9fff\\d]{2,8}号'}]
     """, "前案的情况如下所述：（2020）浙0702刑初9号", "prior_case"),
    # not a date
    ("{field: arrest_date, validator: date, context: [被逮捕]}", "犯罪嫌疑人张三已被逮捕。", "arrest_date"),
]


@pytest.mark.parametrize("entry, text, field", NOT_MATCHED)
def test_declared_recognizer_does_not_match(entry, text, field):
    assert field not in _run(entry, text).fields


# ----------------------------------------------------------------------------- OCR noise

#: 拘/狗 and 捕/辅 are look-alikes of models/data/confusables.txt.
NOISY = "犯罪嫌疑人张三于2024年3月5日被刑事狗留。"


def test_ocr_context_word_with_a_look_alike_still_counts():
    """On a page read by OCR a context word matches through look-alike characters (one per three
    characters of the word); the same text on a text layer is taken as written, and does not."""
    entry = "{field: detention_date, validator: date, context: [刑事拘留], after: false}"
    ocr = _run(entry, NOISY, source="ocr")
    assert ocr.fields["detention_date"].value == "2024-03-05"
    assert ocr.fields["detention_date"].pattern == "刑事拘留"
    assert "detention_date" not in _run(entry, NOISY, source="text-layer").fields


def test_ocr_two_character_word_must_be_exact():
    """A two-character word allows no look-alike (half of it would be a guess): 已千 is not 已于."""
    entry = "{field: custody_time, validator: datetime, context: [已于], after: true}"
    assert "custody_time" not in _run(entry, "本证已千2024年3月5日15时向我宣布", source="ocr").fields
    got = _run(entry, "本证已于2024年3月5日15时向我宣布", source="ocr").fields["custody_time"]
    assert got.value == "2024-03-05T15:00"


def test_ocr_context_before_a_pattern():
    entry = """
    field: arrest_no
    context: [逮捕证]
    window: 8
    patterns: [{name: 文号, regex: '[\\u4e00-\\u9fff]{2,8}〔\\d{4}〕\\d+号'}]
    """
    assert _run(entry, "逮辅证 京公（刑）捕字〔2024〕5号", source="ocr").fields
    assert not _run(entry, "逮辅证 京公（刑）捕字〔2024〕5号").fields


# ----------------------------------------------------------------------------- declarations and provenance


def test_every_declared_name_resolves():
    """Validators are the ones the engine implements; every extractor and block named in YAML exists."""
    assert set(recognizers.VALIDATORS) == set(field_specs.VALIDATORS)
    entries = [s for t in templates.types() for s in templates.field_specs(t)]
    entries += [s for b in recognizers.blocks().values() for s in b]
    for s in entries:
        if s.extractor:
            assert s.extractor in recognizers.EXTRACTORS, s.extractor
        if s.use:
            assert recognizers.block(s.use)
    assert all(fn.__doc__ for fn in recognizers.EXTRACTORS.values())
    # and each has a Chinese name for the report's provenance
    assert all(recognizers.extractor_title(n) != n for n in recognizers.EXTRACTORS)


def test_bad_declaration_gives_a_chinese_error():
    with pytest.raises(field_specs.FieldSpecError, match="校验器"):
        field_specs.parse_fields([{"field": "x", "validator": "nonsense", "patterns": ["a"]}])
    with pytest.raises(field_specs.FieldSpecError, match="正则表达式"):
        field_specs.parse_fields([{"field": "x", "patterns": [{"name": "p", "regex": "("}]}])
    with pytest.raises(field_specs.FieldSpecError, match="未知键"):
        field_specs.parse_fields([{"field": "x", "patterns": ["a"], "zoen": "header"}])


def test_provenance_reaches_the_report_evidence():
    text = "金华市婺城区人民检察院\n起诉书\n金婺检刑诉〔2024〕5号\n被告人张三，男，1990年1月1日出生。\n2024年5月6日"
    fields = extract_fields(_doc(text), vocab.INDICTMENT)
    date = fields[vocab.DATE]
    assert date.recognizer == "落款日期"
    contract = date.contract()
    assert contract["recognizer"] == "落款日期"
    ev = contract["evidence"][0]
    assert ev["recognizer"] == "落款日期" and ev["span"] == [text.index("2024年5月6日"), len(text)]
    assert fields[vocab.ISSUER].recognizer == "制作机关" and fields[vocab.ISSUER].pattern == "机关名称"


def test_a_field_added_purely_as_data(tmp_path, monkeypatch):
    """A field declared in an extra YAML directory (ASSISTANT_TEMPLATES) is extracted without code."""
    text = "金华市婺城区人民检察院\n起诉书\n金婺检刑诉〔2024〕5号\n被告人张三，男，1990年1月1日出生。\n本案涉案车辆牌照为浙G12345。\n2024年5月6日"
    assert "vehicle_plate" not in extract_fields(_doc(text), vocab.INDICTMENT)
    (tmp_path / "local.yaml").write_text(textwrap.dedent("""
        type: 起诉书
        variants:
          - variant: 某地起诉书
            family: local
            titles: [起诉书]
            fields:
              - field: vehicle_plate
                name: 车牌号
                patterns:
                  - {name: 车牌, regex: '牌照为(?P<value>[\\u4e00-\\u9fff][A-Z][A-Z0-9]{5})'}
    """), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_TEMPLATES", str(tmp_path))
    after = extract_fields(_doc(text), vocab.INDICTMENT)
    assert after["vehicle_plate"].value == "浙G12345"
    assert after["vehicle_plate"].evidence[0].pattern == "车牌"
    assert after[vocab.DATE].value == "2024-05-06"  # the declared fields still run


@pytest.mark.parametrize("source, expected", [("ocr", "京公丰(刑)提捕字〔2024〕1956号"), ("text-layer", None)])
def test_a_doc_number_whose_closing_bracket_ocr_lost(source, expected):
    """``京公丰(刑)提捕字〔2024 1956号``: the 〕 went in a gap. On OCR text the 文号 is read with the
    bracket put back; a text layer that says so is left as it is."""
    got = _run("{extractor: doc_numbers}", "北京市公安局丰台分局\n提请批准逮捕书\n京公丰(刑)提捕字〔2024 1956号\n犯罪嫌疑人余某，男，",
               source=source, doc_type=vocab.ARREST_REQUEST)
    value = got.fields.get(vocab.DOC_NUMBER)
    assert (value.value if value else None) == expected


@pytest.mark.parametrize("read, expected", [
    ("京公朝(刑）提捕字〔2021〕1357号", "京公朝（刑）提捕字〔2021〕1357号"),   # one bracket of the pair read half-width
    ("京公朝（刑)诉字〔2021〕2468号", "京公朝（刑）诉字〔2021〕2468号"),
    ("京公朝(刑)诉字〔2021〕2468号", "京公朝(刑)诉字〔2021〕2468号"),      # one width throughout: as written
])
def test_a_doc_number_read_with_brackets_of_two_widths(read, expected):
    got = _run("{extractor: doc_numbers}", f"北京市公安局朝阳分局\n起诉意见书\n{read}\n犯罪嫌疑人某某，男，",
               source="ocr", doc_type=vocab.PROSECUTION_OPINION)
    assert got.fields[vocab.DOC_NUMBER].value == expected
