"""Bound volumes: stamped page numbers, covers, 卷内文书目录 rows, separators, and the 目录 checked
against what is bound (:mod:`extractors.volumes`), on synthetic pages."""

from __future__ import annotations

import pytest

from models import Document, Line, Page, TocEntry, Volume, vocab

from extractors import volumes as V
from extractors.split import split_dossier

W, H = 595.0, 842.0


def _page(number: int, rows: list, file: str = "卷.pdf", stamp: str | None = None, at: str = "top") -> Page:
    """A page from rows of text (one line each, or (x0, text) segments of one row)."""
    lines = []
    y = 90.0
    for k, row in enumerate(rows):
        centred = W / 2 - 5.5 * len(row) if isinstance(row, str) else 0.0  # the first row (a title) is centred
        segs = row if isinstance(row, list) else [(centred if k == 0 or len(row) <= 12 else 80.0, row)]
        for x0, text in segs:
            lines.append(Line(text=text, bbox=(x0, y, x0 + 11.0 * len(text), y + 12.0)))
        y += 20.0
    if stamp is not None:
        box = (530.0, 24.0, 545.0, 36.0) if at == "top" else (280.0, 812.0, 316.0, 824.0)
        lines = ([Line(text=stamp, bbox=box)] + lines) if at == "top" else (lines + [Line(text=stamp, bbox=box)])
    return Page(file=file, number=number, width=W, height=H, text="\n".join(ln.text for ln in lines), lines=lines)


# ----------------------------------------------------------------------------- stamps

def test_stamps_rise_with_the_pages_and_come_off_the_page():
    pages = [_page(n, ["询问笔录", "问：你的姓名？答：张三。"], stamp=str(n - 2)) for n in range(3, 9)]
    stamps = V.read_stamps(pages)
    assert stamps == {n: n - 2 for n in range(3, 9)}
    assert all(p.stamp == p.number - 2 for p in pages)
    assert all(not p.lines[0].text.isdigit() and not p.text.startswith(str(p.stamp)) for p in pages)


def test_system_page_numbers_at_the_foot_are_stamps_too():
    pages = [_page(n, ["情况说明", "经查，犯罪嫌疑人无前科。"], stamp=f"第{n}页", at="bottom") for n in range(1, 6)]
    assert V.read_stamps(pages) == {n: n for n in range(1, 6)}


@pytest.mark.parametrize("marks", [
    ["1", "2", "3", "1", "2", "1", "2", "3", "4"],   # each document numbers its own pages: not the volume's numbering
    ["7", None, None, None, None, None],             # one stray number is page content
])
def test_numbers_that_do_not_run_through_the_volume_are_not_stamps(marks):
    pages = [_page(n, ["讯问笔录", "问：答："], stamp=m) for n, m in enumerate(marks, 1)]
    assert V.read_stamps(pages) == {}
    assert all(p.stamp is None for p in pages)


def test_a_documents_own_page_count_is_never_a_stamp():
    pages = [_page(n, ["讯问笔录", "问：答："], stamp=f"第{k}页 共2页", at="bottom") for n, k in ((1, 1), (2, 2), (3, 1), (4, 2))]
    assert V.read_stamps(pages) == {}


# ----------------------------------------------------------------------------- 目录 rows

@pytest.mark.parametrize("row, expected", [
    ("1 立案决定书  洪公东（刑）立字  2021.07.25 1", (1, "立案决定书", "洪公东（刑）立字", "2021-07-25", 1, 1)),
    ("11  起诉书  某检刑诉〔2022〕416 2022.03.16  20-22", (11, "起诉书", "某检刑诉〔2022〕416", "2022-03-16", 20, 22)),
    ("9  证人李四询问笔录  20240921  14-15", (9, "证人李四询问笔录", "", "2024-09-21", 14, 15)),
    ("3  某公（刑）立字〔2022〕544号  某市公安局某分局  立案决定书  20220108  3",
     (3, "立案决定书", "某公（刑）立字〔2022〕544号", "2022-01-08", 3, 3)),          # archival order: 文号, 责任者, 题名
    ("12 刑事判决书 （2021）某0102刑初1506号 2021年9月28日 19 - 21", (12, "刑事判决书", "（2021）某0102刑初1506号", "2021-09-28", 19, 21)),
])
def test_toc_rows_read_by_the_shape_of_their_words(row, expected):
    e = V.parse_toc_row(row)
    assert (e.no, e.name, e.doc_number, e.date, e.first, e.last) == expected


@pytest.mark.parametrize("row", ["注：页号为本卷右上角所编页码。", "序号 文书名称 文号 日期 页号", "起诉书  2021.09.19"])
def test_rows_that_are_not_entries(row):
    assert V.parse_toc_row(row) is None


def _toc_page(number: int = 2) -> Page:
    """A 目录 laid out as a table: cells at fixed columns, long names and 文号 wrapped in their cells."""
    return _page(number, [
        "卷 内 文 书 目 录",
        [(80.0, "序号"), (110.0, "文书名称"), (280.0, "文号"), (410.0, "日期"), (480.0, "页号")],
        [(80.0, "1"), (110.0, "立案决定书"), (280.0, "某公（刑）立字"), (410.0, "2021.07.25"), (480.0, "1")],
        [(280.0, "〔2021〕2491号")],
        [(80.0, "2"), (110.0, "犯罪嫌疑人诉讼权利义务告知"), (410.0, "2021.09.11"), (480.0, "2-3")],
        [(110.0, "书")],
        [(80.0, "3"), (110.0, "证人李四询问笔录"), (410.0, "2021.09.12"), (480.0, "4-5")],
        [(80.0, "4"), (110.0, "扣押清单及扣押物品照片"), (410.0, "2021.09.13"), (480.0, "6-7")],
        "注：页号为本卷右上角所编页码。",
    ])


def test_toc_rows_read_by_column_with_wrapped_cells():
    entries: list[TocEntry] = []
    columns = V.read_toc(_toc_page(), entries)
    assert columns and [f for f, _ in columns] == ["no", "name", "docno", "date", "pages"]
    got = [(e.no, e.name, e.doc_number, e.date, e.first, e.last) for e in entries]
    assert got == [(1, "立案决定书", "某公（刑）立字〔2021〕2491号", "2021-07-25", 1, 1),
                   (2, "犯罪嫌疑人诉讼权利义务告知书", "", "2021-09-11", 2, 3),
                   (3, "证人李四询问笔录", "", "2021-09-12", 4, 5),
                   (4, "扣押清单及扣押物品照片", "", "2021-09-13", 6, 7)]


@pytest.mark.parametrize("name, typ", [
    ("犯罪嫌疑人张三讯问笔录（审查起诉阶段）", vocab.INTERROGATION),
    ("证人李四询问笔录（第二次）", vocab.INQUIRY_RECORD),
    ("证人李四证言", vocab.INQUIRY_RECORD),
    ("张三户籍证明", vocab.HOUSEHOLD_PROOF),
    ("李四、王五居民身份证复印件", vocab.IDENTITY_PROOF),
    ("关于犯罪嫌疑人违法犯罪记录的情况说明", vocab.STATEMENT_NOTE),
    ("扣押清单及扣押物品照片", vocab.SEIZURE_LIST),
    ("调取证据清单及通话详单", vocab.EVIDENCE_RECEIPT),
    ("犯罪嫌疑人张三体貌特征照片", vocab.PHOTOS),
    ("刑事判决书", vocab.JUDGMENT),
    ("李四行政处罚决定书", vocab.ADMIN_PENALTY),
])
def test_entry_names_read_as_types(name, typ):
    assert V.entry_type(name) == typ


def test_cover_fields():
    cover = _page(1, ["某区人民检察院", "刑 事 检 察 卷 宗", "（证据卷）", "卷宗名称：张三涉嫌盗窃案", "案 由：涉嫌盗窃罪",
                      "犯罪嫌疑人：张三", "卷 号：第2卷 共3卷", "本卷页数：共44页"])
    v = Volume(file="卷.pdf")
    V.read_cover(v, cover)
    assert (v.title, v.name, v.cause, v.suspect, v.number, v.total, v.declared_pages) == \
        ("证据卷", "张三涉嫌盗窃案", "涉嫌盗窃罪", "张三", 2, 3, 44)


@pytest.mark.parametrize("rows, expected", [
    (["犯罪嫌疑人供述和辩解", "（分隔页）"], True),
    (["证人证言、被害人陈述"], True),
    (["某市看守所", "2021年7月25日"], False),          # the end of a document on its own page
    (["此致", "某区人民检察院"], False),
])
def test_separator_sheets(rows, expected):
    assert V.is_separator(_page(5, rows)) is expected


# ----------------------------------------------------------------------------- a volume end to end

def _volume(drop_page: int | None = None) -> list[Page]:
    cover = _page(1, ["某区人民检察院", "刑 事 检 察 卷 宗", "（诉讼文书卷）", "卷宗名称：张三涉嫌盗窃案", "卷 号：第1卷 共1卷",
                      "本卷页数：共7页"])
    body = [
        _page(3, ["立案决定书", "根据《中华人民共和国刑事诉讼法》第一百一十二条之规定，决定立案侦查。"], stamp="1"),
        _page(4, ["犯罪嫌疑人诉讼权利义务告知书", "犯罪嫌疑人张三：根据法律规定，你有权委托辩护人。"], stamp="2"),
        _page(5, ["告知人：某某  被告知人：张三"], stamp="3"),
        _page(6, ["询问笔录", "被询问人：李四  询问人：王五", "问：你看见了什么？答：我看见张三拿走了东西。"], stamp="4"),
        _page(7, ["以上笔录我看过，和我说的相符。被询问人：李四"], stamp="5"),
        _page(8, ["扣押清单", "物品名称  数量  持有人：张三  见证人：赵六"], stamp="6"),
        _page(9, ["扣押物品照片", "照片1：扣押的手机  拍照人：王五"], stamp="7"),
    ]
    pages = [cover, _toc_page(2)] + body
    if drop_page is not None:  # a sheet lost from the volume: the PDF pages after it move up, the stamps do not
        pages = [p for p in pages if p.number != drop_page]
        pages = [p.model_copy(update={"number": k}) for k, p in enumerate(pages, 1)]
    return pages


def test_volume_split_by_its_toc_and_mapped_through_its_stamps():
    segments, volumes = split_dossier([("卷.pdf", "pdf", _volume())])
    (v,) = volumes
    assert v.cover_page == 1 and v.toc_pages == [2] and v.numbering == "stamp" and v.toc_confident
    assert [(e.first, e.pdf_first) for e in v.entries] == [(1, 3), (2, 4), (4, 6), (6, 8)]
    got = [(s.type, [p.number for p in s.pages]) for s in segments]
    # 扣押清单 and the photo sheet its row lists with it stay one document
    assert got == [(vocab.VOLUME_COVER, [1]), (vocab.VOLUME_INDEX, [2]), (vocab.FILING_DECISION, [3]),
                   (vocab.RIGHTS_NOTICE, [4, 5]), (vocab.INQUIRY_RECORD, [6, 7]), (vocab.SEIZURE_LIST, [8, 9])]
    assert all(s.volume == "第1卷 诉讼文书卷" for s in segments)


def test_toc_checked_against_what_is_bound():
    segments, volumes = split_dossier([("卷.pdf", "pdf", _volume(drop_page=6))])
    docs = [Document(id=f"d{k}", type=s.type, file=s.file, pages=[p.number for p in s.pages],
                     classification_confidence=s.confidence) for k, s in enumerate(segments, 1)]
    (v,) = volumes
    V.check(v, docs)
    assert any("证人李四询问笔录" in p and "未找到编为该页号的页面" in p for p in v.problems), v.problems


def test_toc_without_stamps_maps_by_titles():
    """A scan whose corner numbers were not read: the 目录 still splits, by the offset its titles agree with."""
    pages = _volume()
    for p in pages:
        p.lines = [ln for ln in p.lines if ln.bbox[1] > 60]
        p.text = "\n".join(ln.text for ln in p.lines)
    segments, volumes = split_dossier([("卷.pdf", "pdf", pages)])
    (v,) = volumes
    assert not v.stamps and v.toc_confident
    assert [e.pdf_first for e in v.entries] == [3, 4, 6, 8]
