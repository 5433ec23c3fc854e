"""The evidence checklists and rule data (issue 14): quotes word for word from ../shared/laws, the
most frequent charges covered, and the extraction of evidence lists, kinds and stances."""

from __future__ import annotations

import collections
import json
import re

import pytest
import yaml

from checks.catalog import LOCAL_RULES, default_shared_dir, load_catalog
from checks.evidence import CHECKLISTS, SHORT_KINDS, checklist_for, load_checklists
from models import evidence as E

SHARED = default_shared_dir()


def _law_text(source_file: str) -> str:
    return re.sub(r"\s+", "", (SHARED / source_file).read_text(encoding="utf-8"))


def _quotes():
    data = yaml.safe_load(CHECKLISTS.read_text(encoding="utf-8"))
    for key, b in data["bases"].items():
        yield f"checklist:{key}", b
    for r in yaml.safe_load(LOCAL_RULES.read_text(encoding="utf-8"))["rules"]:
        for b in r["legal_basis"]:
            yield f"{r['id']}:{b['article']}", b


@pytest.mark.parametrize("name,basis", list(_quotes()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_quote_is_word_for_word_in_the_law_text(name, basis):
    if not (SHARED / basis["source_file"]).is_file():
        pytest.skip("shared laws not present")
    assert re.sub(r"\s+", "", basis["quote"]) in _law_text(basis["source_file"]), name


def test_local_rules_merge_into_the_catalog_without_overriding_shared_ids():
    cat = load_catalog()
    assert {"EVD-001", "EVD-002", "EVD-003", "EVD-004"} <= set(cat.rules)
    assert cat["EVD-001"].basis and cat["EVD-001"].category == "证据"
    assert cat["DL-001"].category == "期限"


#: cail2018 labels that are not the official 罪名's words
CAIL_LABELS = {"[制造、贩卖、传播]淫秽物品": "制作、复制、出版、贩卖、传播淫秽物品牟利"}


def test_checklists_cover_the_twenty_most_frequent_charges_of_cail2018():
    path = SHARED / "data" / "cail2018" / "cases.jsonl"
    if not path.is_file():
        pytest.skip("cail2018 not present")
    counts: collections.Counter = collections.Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        for a in json.loads(line)["meta"]["accusation"]:
            counts[a] += 1
    lists = load_checklists()
    names = list(lists.charges)
    for acc, _ in counts.most_common(20):
        acc = CAIL_LABELS.get(acc, acc)
        # cail writes 选择性罪名 with brackets: "[走私、贩卖、运输、制造]毒品" → every bracketed piece in one name
        pieces = [p for p in re.split(r"[\[\]]", acc) if p]
        assert any(all(p in n for p in pieces) for n in names), acc


def test_every_item_is_statutory_or_practice_and_statutory_items_have_a_basis():
    lists = load_checklists()
    for cl in {id(c): c for c in lists.charges.values()}.values():
        for el in cl.elements:
            for it in el.items:
                assert it.status in ("statutory", "practice")
                assert set(it.kinds) <= set(SHORT_KINDS.values())
                if it.status == "statutory":
                    assert it.basis is not None, (cl.charge, it.id)


def test_split_forms_and_aliases_find_their_checklist():
    got = [c.charge for c in checklist_for(["贩卖毒品罪", "销售有毒、有害食品罪", "窝藏罪"])]
    assert got == ["走私、贩卖、运输、制造毒品罪", "生产、销售有毒、有害食品罪", "窝藏、包庇罪"]


# ----------------------------------------------------------------------------- extraction


def test_evidence_list_items_and_kinds():
    from extractors.evidence import evidence_list, mention_kinds

    s = ("经审查查明：……认定上述事实的证据如下：1.受案登记表、立案决定书、到案经过、户籍证明等书证；2.扣押笔录、扣押清单及照片；"
         "3.证人证言；4.被告人供述和辩解；5.鉴定意见；6.电子数据；7.辨认笔录。\n上述证据收集程序合法。本院认为……")
    items = evidence_list(s)
    assert [i[2] for i in items] == [1, 2, 3, 4, 5, 6, 7]
    assert mention_kinds(items[0][3]) == [E.DOCUMENTARY]
    assert E.RECORDS in mention_kinds(items[1][3]) and E.DOCUMENTARY in mention_kinds(items[1][3])
    assert mention_kinds(items[3][3]) == [E.STATEMENT]
    assert mention_kinds(items[4][3]) == [E.EXPERT]
    assert mention_kinds(items[5][3]) == [E.AUDIOVISUAL]
    inline = evidence_list("上述事实，有被害人王某的陈述、证人李某的证言、人体损伤程度鉴定意见书等证据证实，足以认定。")
    assert {k for i in inline for k in mention_kinds(i[3])} == {E.VICTIM, E.WITNESS, E.EXPERT}


def test_circumstance_wording_is_not_an_evidence_mention():
    from extractors.evidence import mention_kinds

    assert mention_kinds("被告人到案后如实供述自己的罪行") == []
    assert mention_kinds("被告人对上述事实供认不讳") == []


@pytest.mark.parametrize("text,stance", [
    ("被告人张某拒不供认犯罪事实。", E.DENIES),
    ("被告人张某辩称其没有实施上述行为。", E.DENIES),
    ("被告人张某对指控的犯罪事实和证据没有异议，并自愿认罪认罚。", E.ADMITS),
    ("被告人张某没有否认其驾车撞人的事实，到案后如实供述。", E.ADMITS),
    ("被告人张某不否认起诉书指控的事实。", None),
    ("辩护人辩称被告人没有主观故意。", None),
])
def test_document_stance_handles_negation(text, stance):
    from extractors.evidence import document_stance

    assert document_stance(text)[0] == stance


@pytest.mark.parametrize("text,stance", [
    ("问：你为什么被带到派出所？\n答：我没有偷东西，不是我干的。\n", E.DENIES),
    ("问：你把经过讲一下。\n答：是我偷的，我承认。\n", E.ADMITS),
    ("问：你还有什么补充的吗？\n答：没有。\n", None),
    ("问：以上属实吗？\n答：不属实，我没有打他。\n", E.DENIES),
])
def test_answer_stance(text, stance):
    from extractors.evidence import answer_stance

    assert answer_stance(text)[0] == stance


@pytest.mark.parametrize("title,typ", [
    ("司法鉴定意见书", "鉴定意见书"), ("某市公安局物证鉴定所鉴定书", "鉴定意见书"), ("价格认定结论书", "价格认定结论书"),
    ("现场勘验笔录", "勘验检查笔录"), ("辨认笔录", "辨认笔录"), ("询问笔录", "询问笔录"), ("扣押决定书", "扣押决定书"),
    ("扣押清单", "扣押清单"), ("受案登记表", "受案登记表"), ("立案决定书", "立案决定书"), ("到案经过", "到案经过"),
    ("受理案件登记表", "受理案件登记表"), ("讯问笔录", "讯问笔录"),
])
def test_new_evidence_titles_are_classified_by_the_templates(title, typ):
    from extractors.classify import match_title

    hit = match_title(title)
    assert hit and hit[0] == typ
