"""Robustness on real, unseen wording: LeCaRDv2 judgment openings and the CAIL2018 charge list.

Read from the shared folder (``ASSISTANT_SHARED_DIR``, default ``shared`` beside the repo).
"""

from __future__ import annotations

import json
import re

import pytest

from extractors.fields import extract_fields
from extractors.lexicon import normalize_charge, shared_dir
from extractors.text import DocText
from models import Line, Page, vocab

#: The court's own 案号 right after the title (optionally a bracketed note such as （速裁程序专用）), in
#: the current (（2020）浙0702刑初662号, （2018）冀刑终348号) and pre-2016 forms (（2014）包刑一终字第57号).
CASE_NO = re.compile(r"(?:判决书|裁定书)(?:[（(][\u4e00-\u9fff]{2,10}[）)])?([（(]\d{4}[）)][^号（）()：:。，]{2,24}?号)")


def _page(text: str) -> Page:
    rows = [p for p in re.split(r"(?<=[。：])", text) if p]
    lines = [Line(text=t, bbox=(72.0, 72.0 + 18 * i, 523.0, 86.0 + 18 * i)) for i, t in enumerate(rows)]
    return Page(file="q.docx", number=1, width=595.0, height=842.0, text=text, lines=lines)


def test_lecard_judgment_openings():
    path = shared_dir() / "data" / "lecardv2" / "queries.jsonl"
    if not path.exists():
        pytest.skip("LeCaRDv2 queries not available")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = ok = charged = named = 0
    for r in rows:
        q = r["query"]
        fields = extract_fields(DocText([_page(q)]), vocab.JUDGMENT)
        charged += vocab.CHARGES in fields
        named += vocab.SUSPECT_NAME in fields
        m = CASE_NO.search(q[:250])
        if m:
            n += 1
            want = m.group(1).replace("(", "（").replace(")", "）")
            ok += fields.get(vocab.DOC_NUMBER) is not None and fields[vocab.DOC_NUMBER].value == want
        for p in (fields[vocab.PERSONS].value if vocab.PERSONS in fields else []):
            assert p["name"] not in ("陈述", "辩解", "供述"), q[:120]
    print(f"\nLeCaRDv2 openings: {len(rows)}; 案号 {ok}/{n}; charges found {charged}; suspect found {named}")
    assert n >= 150 and ok / n >= 0.98
    assert charged / len(rows) >= 0.9 and named / len(rows) >= 0.9


def test_every_cail_charge_normalises():
    path = shared_dir() / "data" / "cail2018" / "accu.txt"
    if not path.exists():
        pytest.skip("CAIL2018 charge list not available")
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # CAIL's category label 经济犯 (→ 经济犯罪, as in 经济犯罪侦查大队) is no 罪名
    names = [n for n in names if not n.endswith("犯")]
    bad = [n for n in names if normalize_charge(n) != n.replace("[", "").replace("]", "") + "罪"]
    assert not bad, bad[:5]


_SECOND_INSTANCE = ("湖南省某市中级人民法院刑事判决书（2014）包刑一终字第57号原公诉机关：某县人民检察院。"
                    "上诉人（原审被告人）：赵甲，男，1990年10月12日出生，汉族。因涉嫌盗窃罪于2013年1月2日被刑事拘留。"
                    "某县公安局侦查终结后，以犯罪嫌疑人赵甲涉嫌盗窃罪向某县人民检察院移送审查起诉。"
                    "犯罪嫌疑人赵甲到案后如实供述。证据有：被害人陈述，被告人陈述和辩解。"
                    "本院认为，上诉人赵甲犯盗窃罪。判决如下：驳回上诉，维持原判。")


def test_second_instance_judgment_opening():
    fields = extract_fields(DocText([_page(_SECOND_INSTANCE)]), vocab.JUDGMENT)
    assert fields[vocab.DOC_NUMBER].value == "（2014）包刑一终字第57号"
    assert fields[vocab.SUSPECT_NAME].value == "赵甲"
    assert "陈述" not in [p["name"] for p in (fields[vocab.PERSONS].value if vocab.PERSONS in fields else [])]
    # the investigation stage quoted by the 二审 judgment is not the judgment's own party term
    assert "犯罪嫌疑人" not in (fields[vocab.ADDRESSEE_TERM].value if vocab.ADDRESSEE_TERM in fields else [])
    assert fields[vocab.CHARGES].value == ["盗窃罪"]


@pytest.mark.parametrize("number", [
    "（2020）浙0702刑初662号", "（2018）冀刑终348号", "（2019）粤13刑终230号", "（2014）包刑一终字第57号",
    "（2013）白水刑初字第00101号", "（2013）粤高法刑三终字第304号", "（2014）三中刑终字第00640号",
])
def test_case_number_forms(number):
    text = f"某某人民法院\n刑事判决书\n{number}\n公诉机关某某人民检察院。\n被告人赵甲，男，1990年1月1日出生。"
    assert extract_fields(DocText([_page(text)]), vocab.JUDGMENT)[vocab.DOC_NUMBER].value == number
