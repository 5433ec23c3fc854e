"""Named patterns for values with a fixed grammar (文号, 案号, ID numbers, labels).

Each pattern is a :class:`Pattern` with a name and a base score, in the manner of
Presidio recognizers; validation (check digits, real dates) happens in
:mod:`extractors.normalize`. Free-text values (罪名, legal terms) are matched with the
spaCy PhraseMatcher of :mod:`extractors.lexicon`, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    """A named regular expression with the score a match carries."""

    name: str
    regex: re.Pattern
    score: float


_OPEN = "〔［\\[（(【"
_CLOSE = "〕］\\]）)】"
#: 文号: organ abbreviation + type word + 〔year〕 + number + 号, e.g. 金婺检刑诉〔2024〕123号, 京朝公(刑)拘字〔2024〕5号.
DOC_NUMBER = Pattern(
    "doc_number",
    re.compile(rf"[\u4e00-\u9fff]{{1,14}}(?:[（(][\u4e00-\u9fff]{{1,3}}[）)])?[\u4e00-\u9fff]{{0,8}}"
               rf"[{_OPEN}]\s*(?:19|20)\d\d\s*[{_CLOSE}]\s*(?:第)?\s*\d{{1,6}}\s*号"),
    0.9,
)
#: The same 文号 as OCR reads it with the closing bracket lost in a gap (``京公丰(刑)提捕字〔2024 1956号``):
#: taken on OCR text only (:func:`extractors.fields_structure.doc_numbers`), the bracket put back.
DOC_NUMBER_OCR = Pattern(
    "doc_number_bracket_lost",
    re.compile(rf"[\u4e00-\u9fff]{{1,14}}(?:[（(][\u4e00-\u9fff]{{1,3}}[）)])?[\u4e00-\u9fff]{{0,8}}"
               rf"[{_OPEN}]\s*(?P<year>(?:19|20)\d\d)\s+(?:第)?\s*\d{{1,6}}\s*号"),
    0.7,
)
#: Between 刑 and 初/终 a court may write its division (刑一终, 刑二初) or the kind of case: 公诉 (刑公初),
#: 自诉 (刑自初), 少年 (刑少初), 附带民事 (刑附民初).
_CASE_KIND = r"(?:[一二三四五六七八九]|公|自|少|附民)?"
#: 案号 of a court: （2024）浙0702刑初123号, 二审 （2019）粤13刑终230号, （2016）晋0825刑初第17号, and the
#: pre-2016 forms （2014）包刑一终字第57号, （2013）白水刑初字第00101号, （2013）粤高法刑三终字第304号,
#: （2015）四西刑公初字第82号.
CASE_NUMBER = Pattern(
    "case_number",
    re.compile(rf"[{_OPEN}]\s*(?:19|20)\d\d\s*[{_CLOSE}]\s*(?:[\u4e00-\u9fff]{{1,2}}\d{{0,6}}\s*刑{_CASE_KIND}[初终再监更]\s*第?"
               rf"|[\u4e00-\u9fff\d]{{1,8}}?刑{_CASE_KIND}[初终再监提申复更]字\s*第?)\s*\d{{1,6}}\s*号"),
    0.95,
)
ID_NUMBER = Pattern("id_number", re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])"), 0.9)

#: Boundary after a name in running text (what may follow 张三 in 被告人张三犯…).
NAME_END = (r"(?=[，,。；;、（(：:\s\t\n]|犯|因|于|在|涉嫌|的|系|对|被|已|经|供|签|到|无|有|具|同意|自愿|认罪|男|女|身份|出生"
            r"|没|未|拒|现|等|一案|涉|为|提|$)")
NAME = r"(?:[\u4e00-\u9fff]{2,4}?)"
ROLE_WORDS = ("犯罪嫌疑人", "被告人", "被不起诉人", "被讯问人", "被告知人", "受送达人", "被拘留人", "被逮捕人", "被害人")
PERSON_MENTION = re.compile(rf"(?P<role>{'|'.join(ROLE_WORDS)})[：:]?\s*(?P<name>{NAME}){NAME_END}")
LABELLED_NAME = re.compile(rf"(?P<label>姓名|被讯问人|被告知人|受送达人|讯问人|记录人|审判长|审判员|人民陪审员|代理审判员|书记员|"
                           rf"检察官|检察员|检察官助理|值班律师|辩护人|律师)[（(]?(?:签名|签字|签名捺指印)?[）)]?[：:\s]*"
                           rf"(?P<name>[\u4e00-\u9fff]{{2,4}}(?:[、，,][\u4e00-\u9fff]{{2,4}})*)")
FACT_START = re.compile(r"(经依法审查查明|经审查查明|经审理查明|经依法侦查查明|经侦查查明|现查明|审查查明|查明)[：:，,]?")
OPINION_START = re.compile(r"(本院认为|综上所述|上述犯罪事实)")

#: A page number stamped (or printed by the filing system) alone in the top or bottom margin of a
#: dossier page: ``12``, ``第12页``, ``- 12 -``, ``12页`` (never with 共: that is a document's own count).
PAGE_STAMP = re.compile(r"^(?:第\s*)?[-—–]?\s*(\d{1,4})\s*[-—–]?\s*(?:页)?$")
#: Share of the page height at the top and at the foot where page stamps stand.
STAMP_MARGIN = 0.1


def page_stamp(text: str, y0: float, y1: float, height: float) -> int | None:
    """The number of a page stamp: ``text`` (spaces removed) is :data:`PAGE_STAMP`, at most 8
    characters, and its box (``y0``–``y1`` in the units of ``height``) lies in the top or bottom
    :data:`STAMP_MARGIN` of the page; else None."""
    text = re.sub(r"\s+", "", text)
    m = PAGE_STAMP.match(text)
    if not m or len(text) > 8 or not height:
        return None
    return int(m.group(1)) if y1 <= height * STAMP_MARGIN or y0 >= height * (1 - STAMP_MARGIN) else None
