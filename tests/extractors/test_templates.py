"""Declared templates (extractors/forms/*.yaml): loading, data-only variants, zones, positive evidence."""

from __future__ import annotations

import textwrap

import pytest

from extractors import templates
from extractors.fields import extract_fields
from extractors.slots import find_slots
from extractors.text import DocText
from models import Line, Mark, Page, vocab


@pytest.fixture(autouse=True)
def _fresh_templates(monkeypatch):
    monkeypatch.delenv("ASSISTANT_TEMPLATES", raising=False)
    monkeypatch.delenv("ASSISTANT_TEMPLATE_EXCLUDE", raising=False)


def _page(rows, marks=(), source="text-layer"):
    lines = [Line(text=t, bbox=b) for t, b in rows]
    return Page(file="t.pdf", number=1, width=595.0, height=842.0, text="\n".join(t for t, _ in rows), lines=lines,
                marks=list(marks), text_source=source)


def test_every_form_loads_with_known_types():
    known = {v for k, v in vars(vocab).items() if k.isupper() and isinstance(v, str)}
    all_t = templates.templates()
    assert len(all_t) >= 36
    for t in all_t:
        assert t.type in known, t.type
        assert t.titles, t.name
        assert t.family and t.variant, t.name
    # every type the classifier knows has one template file
    assert vocab.INTERROGATION in templates.titles() and vocab.INDICTMENT in templates.titles()


def test_union_of_variants():
    specs = templates.slot_specs(vocab.INTERROGATION)
    zones = {(s.role, s.zone) for s in specs}
    assert (vocab.SLOT_INTERROGATOR_SIGNATURE, "header") in zones and (vocab.SLOT_INTERROGATOR_SIGNATURE, "end") in zones
    annex = templates.section_specs(vocab.INDICTMENT)["附项"]
    assert {"附：", "附件：", "附项："} <= set(annex.headings)


@pytest.mark.parametrize("label, sign, colon", [
    ("讯问人（签名）", "（签名）", None),
    ("讯问人（签名）：张三", "（签名）", "："),
    ("讯问人：", None, "："),
    ("犯罪嫌疑人（签名、捺指印）：", "（签名、捺指印）", "："),
])
def test_label_grammar(label, sign, colon):
    spec = templates.SlotSpec("r", "signature", ("讯问人", "犯罪嫌疑人"))
    m = spec.match(label)
    assert m and m.group("sign") == sign and m.group("colon") == colon


@pytest.mark.parametrize("text", ["被讯问人：张三", "讯问人张三", "讯问人员不足"])
def test_label_grammar_should_not_match(text):
    spec = templates.SlotSpec("r", "signature", ("讯问人",))
    assert spec.match(text) is None


_HEADER = [("讯 问 笔 录", (218.0, 73.0, 375.0, 95.0)),
           ("时间 2022年8月5日8时03分", (74.0, 134.0, 239.0, 148.0)),
           ("讯问人（签名）钱某某", (74.0, 195.0, 224.0, 215.0)), ("孙某某", (276.0, 194.0, 321.0, 211.0)),
           ("工作单位 某市公安局刑事侦查大队", (74.0, 223.0, 354.0, 237.0)),
           ("记录人（签名）孙某某", (74.0, 250.0, 227.0, 268.0)), ("工作单位 同上", (272.0, 255.0, 364.0, 268.0)),
           ("问：我们是某市公安局的民警，现依法对你进行讯问，你应当如实回答。", (74.0, 300.0, 525.0, 314.0)),
           ("被讯问人：张三", (74.0, 765.0, 173.0, 782.0))]
_INK = [Mark(kind="handwriting", bbox=(176.0, 194.0, 226.0, 211.0), score=0.8),
        Mark(kind="handwriting", bbox=(276.0, 194.0, 324.0, 212.0), score=0.8),
        Mark(kind="handwriting", bbox=(176.0, 250.0, 230.0, 268.0), score=0.8),
        Mark(kind="handwriting", bbox=(142.0, 764.0, 198.0, 786.0), score=0.8)]


def _police_transcript():
    page = _page(_HEADER, _INK)
    fields = extract_fields(DocText([page]), vocab.INTERROGATION)
    n = len(fields[vocab.INTERROGATORS].value) if vocab.INTERROGATORS in fields else 1
    slots = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: n})
    return fields, slots


def test_police_form_signatures_in_the_header():
    fields, slots = _police_transcript()
    assert fields[vocab.INTERROGATORS].value == ["钱某某", "孙某某"]
    assert fields[vocab.RECORDER].value == "孙某某"
    got = [(s.role, s.filled) for s in slots if s.role in (vocab.SLOT_INTERROGATOR_SIGNATURE, vocab.SLOT_RECORDER_SIGNATURE)]
    assert got == [(vocab.SLOT_INTERROGATOR_SIGNATURE, True)] * 2 + [(vocab.SLOT_RECORDER_SIGNATURE, True)]
    assert all(s.template for s in slots)


def test_leaving_out_the_police_family_loses_the_slots_not_the_finding(monkeypatch):
    """Without the police variant its header slots lose their declared zone: whatever the other
    variants still locate, the rule never concludes that the interrogators did not sign."""
    from checks import run_rules
    from checks.catalog import load_catalog
    from models import CaseFile, Document

    monkeypatch.setenv("ASSISTANT_TEMPLATE_EXCLUDE", "police")
    fields, slots = _police_transcript()
    assert all(s.filled is not False for s in slots if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE)
    doc = Document(id="d1", type=vocab.INTERROGATION, title="讯问笔录", file="t.pdf", pages=[1], fields=fields, slots=slots)
    run = run_rules(CaseFile(name="t", documents=[doc]), load_catalog(), enabled=["SG-002"])
    assert [f for f in run.findings if not f.preview] == []


def test_a_new_office_form_is_a_data_change(tmp_path, monkeypatch):
    """A variant declared in an extra YAML directory (ASSISTANT_TEMPLATES) is read without code changes."""
    rows = [("讯问笔录", (218.0, 73.0, 375.0, 95.0)), ("侦讯员：周某、吴某", (74.0, 134.0, 300.0, 148.0)),
            ("问：你叫什么名字？现在对你依法进行讯问，你要如实回答。", (74.0, 200.0, 525.0, 214.0)),
            ("侦讯员签字：", (74.0, 700.0, 160.0, 714.0))]
    page = _page(rows, [Mark(kind="handwriting", bbox=(165.0, 698.0, 215.0, 716.0), score=0.9)])
    before = extract_fields(DocText([page]), vocab.INTERROGATION)
    assert vocab.INTERROGATORS not in before
    (tmp_path / "local.yaml").write_text(textwrap.dedent("""
        type: 讯问笔录
        variants:
          - variant: 某地侦讯笔录
            family: local
            titles: [讯问笔录]
            labels:
              - {field: interrogators, labels: [侦讯员], value: names}
            slots:
              - {role: 讯问人签名, kind: signature, labels: [侦讯员], multi: true}
    """), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_TEMPLATES", str(tmp_path))
    after = extract_fields(DocText([page]), vocab.INTERROGATION)
    assert after[vocab.INTERROGATORS].value == ["周某", "吴某"]
    slots = find_slots(vocab.INTERROGATION, [page], "d1", {("t.pdf", 1)}, {vocab.SLOT_INTERROGATOR_SIGNATURE: 2})
    assert [s.filled for s in slots if s.role == vocab.SLOT_INTERROGATOR_SIGNATURE] == [True, False]


def test_a_broken_template_gives_a_chinese_error(tmp_path, monkeypatch):
    (tmp_path / "bad.yaml").write_text("type: 起诉书\nvariants:\n  - {variant: x, slots: [{role: r, kind: name, labels: [a], zone: 中间}]}\n",
                                       encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_TEMPLATES", str(tmp_path))
    with pytest.raises(templates.TemplateError, match="区域 中间 无效"):
        templates.templates()


@pytest.mark.parametrize("closing, expected", [
    ("此致\n某区人民法院\n检察官 王某\n二〇二四年七月二日\n附件：1.被告人现羁押于某看守所。", True),
    ("此致\n某区人民法院\n检察官 王某\n二〇二四年七月二日\n附项：1.案卷材料二册。", True),
    ("此致\n某区人民法院\n检察官 王某\n二〇二四年七月二日", False),
    ("此致\n某区人民法院\n检察官 王某", None),   # closing date not read: the annex cannot be judged absent
    ("", None),                                # the end (落款) not read: nothing is judged absent
])
def test_indictment_annex_needs_a_located_end(closing, expected):
    text = ("某区人民检察院\n起诉书\n被告人张三，男，1990年1月1日出生。\n本案由某分局侦查终结，向本院移送审查起诉。\n"
            "经依法审查查明：被告人张三窃取财物。\n本院认为，被告人张三的行为触犯了《中华人民共和国刑法》第二百六十四条。\n" + closing)
    rows = text.split("\n")
    page = _page([(t, (72.0, 72.0 + 18 * i, 72.0 + 12 * len(t), 86.0 + 18 * i)) for i, t in enumerate(rows)])
    sections = extract_fields(DocText([page]), vocab.INDICTMENT, "起诉书")[vocab.SECTIONS].value
    assert sections["附项"] is expected


def test_a_page_headed_by_an_undeclared_title_starts_its_own_document():
    """A title no template declares still starts a document (of unknown type): the page is not
    swallowed by the document before it, and rules see an untyped document, not a missing one."""
    from extractors.classify import split_documents

    first = _page([("讯问笔录", (250.0, 73.0, 345.0, 95.0)),
                   ("问：你对此有何意见？我们现在依法对你进行讯问，请如实回答。", (74.0, 130.0, 525.0, 143.0))])
    second = _page([("未成年人成长经历评估报告", (190.0, 73.0, 405.0, 95.0)),
                    ("经走访被评估人所在社区及学校，现将有关情况报告如下：", (74.0, 130.0, 525.0, 143.0))])
    second = second.model_copy(update={"number": 2})
    segs = split_documents([first, second])
    assert [(s.type, s.title) for s in segs] == [(vocab.INTERROGATION, "讯问笔录"), (vocab.OTHER, "未成年人成长经历评估报告")]
    body = _page([("经走访被评估人所在社区及学校，现将有关情况报告如下。", (74.0, 130.0, 525.0, 143.0))])
    assert len(split_documents([first, body.model_copy(update={"number": 2})])) == 1
