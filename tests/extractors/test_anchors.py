"""Anchors that survive recognition noise (extractors.anchors): the product's own phrases restored
in OCR-grade text through look-alike characters, and nothing else touched."""

from __future__ import annotations

import pytest

from extractors.anchors import expand, restore_page, restorer, vocabulary
from models import Line, Page


def test_regexes_expand_into_their_phrases():
    assert expand("(经依法审查查明|经审查查明|现查明)") == {"经依法审查查明", "经审查查明", "现查明"}
    assert expand("侦查终结|移送(?:本院)?审查起诉") == {"侦查终结", "移送审查起诉", "移送本院审查起诉"}
    # an open part (a character range, a repeat) splits the pattern into its literal runs
    assert expand(r"[\u4e00-\u9fff]{2,4}人民检察院") == {"人民检察院"}
    assert expand("(?:检察官|检察员)(?:助理)?") == {"检察官", "检察员", "检察官助理", "检察员助理"}


def test_the_vocabulary_comes_from_templates_patterns_and_the_lexicon():
    v = vocabulary()
    assert {"检察官", "审查查明", "人民检察院", "法定代理人", "值班律师", "公民身份号码"} <= v  # templates, extractors
    assert "盗窃罪" in v  # the 罪名 lexicon


@pytest.mark.parametrize("read,want", [
    ("检蔡官尹杰军", "检察官尹杰军"),
    ("经依法审杳杳明：", "经依法审查查明："),                         # two look-alikes in a long phrase
    ("根据《中华人民共和国刑怯》第三百", "根据《中华人民共和国刑法》第三百"),
    ("我们是上海市普陀区入民检察院的检察人员", "我们是上海市普陀区人民检察院的检察人员"),
    ("到场怯定代理入刘春", "到场法定代理人刘春"),
])
def test_phrases_read_through_look_alikes_are_restored(read, want):
    got, done = restorer().restore(read)
    assert got == want and done and all(len(r.read) == len(r.phrase) for r in done)


@pytest.mark.parametrize("text", [
    "户籍地北京市海淀区",          # 北京 is a word: not 户籍地址
    "被告人段强浩知悉并认可",      # a name is not restored into 告知
    "二〇二一年十二月三十日",      # numbers are values
    "认罪认罚系犯罪嫌疑人自愿作出",  # 系犯罪 is not 累犯
    "被告人张三",                   # an exact phrase is never changed (告/害 look alike)
    "成公金（刑）拘字〔2021〕5号",  # a 文号's organ code
])
def test_what_is_read_right_is_left_alone(text):
    assert restorer().restore(text) == (text, [])


def test_restore_page_keeps_what_was_read_and_skips_typed_text():
    line = Line(text="检蔡官 尹杰军", bbox=(300.0, 500.0, 420.0, 515.0))
    page = Page(file="a.pdf", number=1, width=595.0, height=842.0, lines=[line], text=line.text, text_source="ocr")
    assert restore_page(page) == 1
    assert page.lines[0].text == "检察官 尹杰军" and page.lines[0].read_as == "检蔡官 尹杰军"
    assert page.text == "检察官 尹杰军"
    typed = Page(file="b.pdf", number=1, width=595.0, height=842.0, lines=[line], text=line.text)
    assert restore_page(typed) == 0 and typed.lines[0].text == "检蔡官 尹杰军"
