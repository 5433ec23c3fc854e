"""Bound volumes (卷): covers, 卷内文书目录, stamped page numbers, and what they say about the documents.

Electronic-dossier systems deliver a dossier as volume PDFs (诉讼文书卷, 证据卷, 检察工作卷 …),
each opening with a 卷宗封面 and a 卷内文书目录 and closing with a 卷内备考表; the sheets carry
page numbers stamped in a corner (or printed by the system at the foot), which differ from the PDF
page numbers by the cover, the 目录 and unnumbered sheets. :func:`analyse` reads one file's pages:

- **stamps** — a short number alone in the top or bottom margin (``12``, ``第12页``, ``- 12 -``;
  never ``第1页 共3页``, which numbers a document's own pages), kept where the numbers rise with the
  PDF pages (longest increasing run); the line is taken off the page (``Page.stamp`` keeps it), so it
  neither heads a document nor enters its text;
- **volumes** — a volume opens at a cover page (template type 卷宗封面) or, without one, at the
  first 目录; the cover's 卷宗名称, 案由, 犯罪嫌疑人, 卷号 (第k卷 共n卷) and 本卷页数 are read;
- **目录 rows** — 序号, 文书名称, 文号, 日期, 页号 read from each row, wrapped names and 文号
  continued from the next row, in any column order (the archival 序号/文号/责任者/题名/日期/页号
  order too); each row's first page is mapped to a PDF page through the stamps (or, without stamps,
  through the numbering offset that best agrees with the titles found on the pages).

The 目录 is *confident* when most of its rows whose name reads as a known type land on a page
headed by that type. Only then do its rows split documents (:func:`boundaries`) and its
mismatches with what is bound become problems (:func:`check`); otherwise it is only shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models import Line, Page, TocEntry, Volume, vocab

from extractors.patterns import STAMP_MARGIN, page_stamp
from extractors.text import compact

#: A 目录 header row: 序号 and a page column, with a name column.
_TOC_HEAD = re.compile(r"序\s*号")
_TOC_PAGE_COL = re.compile(r"页\s*(?:号|次|码)|起止页|页\s*数")
_TOC_NAME_COL = re.compile(r"(?:文书|文件|材料)?名\s*称|题\s*名|文书|内容")
_TOC_DATE = re.compile(r"^(?:(\d{4})[.\-/年](\d{1,2})[.\-/月](\d{1,2})日?|(\d{4})(\d{2})(\d{2}))$")
_TOC_PAGES = re.compile(r"^(\d{1,4})(?:\s*[-–—~～至/]\s*(\d{1,4}))?$")
_DOCNO_TAIL = re.compile(r"^(?:[〔\[【(（]\d{4}[〕\]】)）]\s*\d*\s*号?|\d{1,6}\s*号|号)$")
_DOCNO = re.compile(r"[〔\[【]\d{4}[〕\]】]|^[(（]\d{4}[)）]|\d+号$|字$|[刑检公].{0,6}(?:字|诉|捕|建|初|终)$")
_ORGAN = re.compile(r"(?:人民检察院|人民法院|公安局|分局|派出所|看守所|鉴定所|鉴定中心|司法局)$")
_NOTE = re.compile(r"^注[:：]")
_CN_NUM = {c: i for i, c in enumerate("〇一二三四五六七八九十", 0)}


@dataclass
class Analysis:
    """What :func:`analyse` found in one file."""

    volumes: list[Volume]
    #: PDF pages of the file that are separator sheets (only a heading such as ``证人证言（分隔页）``).
    separators: set[int]


# ----------------------------------------------------------------------------- stamps

def _stamp_candidate(page: Page) -> tuple[Line, int] | None:
    if not page.lines or not page.height:
        return None
    for line in (page.lines[0], page.lines[-1]):
        number = page_stamp(compact(line.text), line.bbox[1], line.bbox[3], page.height)
        if number is not None:
            return line, number
    return None


def _increasing(cands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``(pdf page, stamp)`` whose stamps rise strictly with the pages."""
    if not cands:
        return []
    best: list[int] = [1] * len(cands)
    prev: list[int] = [-1] * len(cands)
    for i, (_, s) in enumerate(cands):
        for j in range(max(0, i - 40), i):
            if cands[j][1] < s and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(len(cands)), key=lambda k: best[k])
    out = []
    while i >= 0:
        out.append(cands[i])
        i = prev[i]
    return out[::-1]


def read_stamps(pages: list[Page]) -> dict[int, int]:
    """Stamped page numbers of a run of pages (PDF page → number), taken off the pages' lines.

    At least three stamps that rise with the pages, on at least a third of the pages and making up
    four in five of the numbers found, are needed: a stray number on a page or two is page content,
    and numbers that start again on every document number the documents' own pages.
    """
    from extractors.pdf import page_text

    found: dict[int, tuple[Line, int]] = {}
    for p in pages:
        c = _stamp_candidate(p)
        if c:
            found[p.number] = c
    run = _increasing(sorted((n, s) for n, (_, s) in found.items()))
    if len(run) < 3 or len(run) * 3 < len(pages) or len(run) < 0.8 * len(found):
        return {}
    by_number = {p.number: p for p in pages}
    stamps = {}
    for n, s in run:
        page = by_number[n]
        line = found[n][0]
        page.lines = [ln for ln in page.lines if ln is not line]
        page.text = page_text(page.lines)
        page.stamp = s
        stamps[n] = s
    return stamps


# ----------------------------------------------------------------------------- covers

_COVER_FIELDS = {
    "name": re.compile(r"(?:卷宗|案卷)名称[：:]\s*(\S[^\n]{0,60})"),
    "cause": re.compile(r"案\s*由[：:]\s*(\S[^\n]{0,40})"),
    "suspect": re.compile(r"(?:犯罪嫌疑人|被告人|被不起诉人|当事人)(?:姓名)?[：:][ \u3000]*([\u4e00-\u9fff、，, \u3000]{2,40})"),
    "pages": re.compile(r"本卷(?:页数|共)[：:]?\s*共?\s*(\d{1,4})\s*页"),
}
_COVER_NUMBER = re.compile(r"第\s*([0-9一二三四五六七八九十]{1,3})\s*卷\s*[，,]?\s*共\s*([0-9一二三四五六七八九十]{1,3})\s*卷")
_COVER_TITLE = re.compile(r"[（(]?([\u4e00-\u9fff]{0,8}(?:卷|档案)(?:[（(][一二三四五六七八九十\d]+[)）])?)[)）]?$")


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十") and len(text) == 2:
        return 10 + _CN_NUM.get(text[1], 0)
    if len(text) == 1 and text in _CN_NUM:
        return _CN_NUM[text]
    if len(text) in (2, 3) and text[1] == "十":
        return _CN_NUM.get(text[0], 0) * 10 + (_CN_NUM.get(text[2], 0) if len(text) == 3 else 0)
    return None


def read_cover(volume: Volume, page: Page) -> None:
    """Fill the volume's cover fields from its cover page."""
    text = page.text
    for key, rx in _COVER_FIELDS.items():
        m = rx.search(text)
        if not m:
            continue
        value = compact(m.group(1)).strip("，,、 ")
        if key == "pages":
            volume.declared_pages = int(value)
        elif key == "suspect":
            volume.suspect = re.split(r"\s{2,}|[，,]", m.group(1).strip())[0].strip()
        else:
            setattr(volume, key, value)
    m = _COVER_NUMBER.search(compact(text))
    if m:
        volume.number, volume.total = _number(m.group(1)), _number(m.group(2))
    from extractors.classify import match_title

    for line in page.lines[:7]:
        t = compact(line.text)
        m = _COVER_TITLE.search(t)
        hit = match_title(t)
        if m and "卷宗" not in t and "名称" not in t and "：" not in t and len(m.group(1)) >= 3 \
                and not (hit and hit[0] == vocab.VOLUME_COVER):  # 刑事诉讼档案 is the cover's own title
            volume.title = m.group(1)
            break


# ----------------------------------------------------------------------------- 目录 rows

def _row_lines(page: Page) -> list[list[Line]]:
    """The page's printed rows, each a list of its segments from left to right."""
    from extractors.pdf import same_row

    rows: list[list[Line]] = []
    for line in sorted(page.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])):
        if rows and same_row(rows[-1][0], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    for row in rows:
        row.sort(key=lambda ln: ln.bbox[0])
    return rows


def _chars(row: list[Line]) -> list[tuple[str, float]]:
    """Each character of a row with its estimated left edge. A CJK character is about as wide as the
    line is high, an ASCII one about half that; what the segment's box has left over is the gaps
    between cells, shared out among its spaces (a text layer writes a cell gap as spaces)."""
    out: list[tuple[str, float]] = []
    for ln in row:
        text = ln.text
        unit = max(ln.bbox[3] - ln.bbox[1], 1.0) * 0.95
        widths = [0.0 if c == " " else unit * (0.55 if ord(c) < 0x2E80 else 1.0) for c in text]
        width = ln.bbox[2] - ln.bbox[0]
        spaces = text.count(" ")
        slack = width - sum(widths)
        if slack >= 0 and spaces:
            widths = [slack / spaces if c == " " else w for c, w in zip(text, widths)]
        else:
            k = width / (sum(widths) or 1.0)
            widths = [w * k for w in widths]
        x = ln.bbox[0]
        for c, w in zip(text, widths):
            out.append((c, x))
            x += w
        out.append((" ", ln.bbox[2]))
    return out


#: 目录 column headings → the entry field they fill.
_COLUMNS = (("no", re.compile(r"序\s*号|顺序号")), ("name", re.compile(r"(?:文书|文件|材料)?名\s*称|题\s*名|(?<!文)文书(?!名)|内\s*容")),
            ("docno", re.compile(r"文\s*号|编\s*号")), ("organ", re.compile(r"责任者|责任单位|制作单位|制作机关")),
            ("date", re.compile(r"日\s*期|时\s*间")), ("pages", re.compile(r"页\s*(?:号|次|码)|起止页|页\s*数")),
            ("note", re.compile(r"备\s*注")))


def toc_columns(row: list[Line]) -> list[tuple[str, float]] | None:
    """``(field, left edge)`` of each heading of a 目录 header row, left to right; None when fewer than
    three headings (序号, a name and a page column among them) are found."""
    chars = _chars(row)
    text = "".join(c for c, _ in chars)
    found: list[tuple[str, float]] = []
    for field, rx in _COLUMNS:
        m = rx.search(text)
        if m:
            found.append((field, chars[m.start()][1]))
    names = {f for f, _ in found}
    if not {"no", "name", "pages"} <= names:
        return None
    return sorted(found, key=lambda c: c[1])


def anchor_columns(columns: list[tuple[str, float]], rows: list[list[Line]]) -> list[tuple[str, float]]:
    """Move each heading's left edge to where its cells start. Cells are left-aligned, so the left edges
    of the data rows' words (a segment's start, or a word after a gap) pile up at each column's start;
    the most frequent such edge at or a little left of a heading (a heading centred over its cell
    starts right of the cell's text) is that column's start, never left of the column before."""
    counts: dict[int, int] = {}
    for row in rows:
        prev = " "
        for c, x in _chars(row):
            if prev == " " and c != " ":
                counts[round(x / 4)] = counts.get(round(x / 4), 0) + 1
            prev = c
    out: list[tuple[str, float]] = []
    before = -1e9
    for field, x in columns:
        near = [(n, b) for b, n in counts.items() if before + 4 < b * 4 <= x + 8 and b * 4 >= x - 80]
        at = min(b for n, b in near if n == max(n for n, _ in near)) * 4 if near else x - 8
        out.append((field, float(at)))
        before = at
    return out


def _tokens(row: list[Line]) -> list[tuple[str, float]]:
    """The row's words (split at spaces, which is where a text layer puts a gap between cells) with the
    estimated left edge of each."""
    out: list[tuple[str, float]] = []
    word, at = "", 0.0
    for c, x in _chars(row):
        if c == " ":
            if word:
                out.append((word, at))
            word = ""
            continue
        if not word:
            at = x
        word += c
    if word:
        out.append((word, at))
    return out


_TEXT_FIELDS = ("name", "docno", "organ", "note")


def _split_columns(row: list[Line], columns: list[tuple[str, float]]) -> dict[str, str]:
    """The row's text per column. A word's shape decides where it can (a 序号 first, a date, a page
    number or range); other words go to the text column (name, 文号, 责任者, 备注) their left edge
    falls in, whole (a few points of slack: the edge is an estimate)."""
    out: dict[str, list[str]] = {f: [] for f, _ in columns}
    fields = [f for f, _ in columns]
    text_cols = [(f, x) for f, x in columns if f in _TEXT_FIELDS]
    tokens = _tokens(row)
    for i, (word, x) in enumerate(tokens):
        if i == 0 and "no" in out and re.fullmatch(r"\d{1,3}[.、]?", word) and x < dict(columns).get("name", 1e9):
            out["no"].append(word)
            continue
        if "date" in out and not out["date"] and _date_of(word):
            out["date"].append(word)
            continue
        if "pages" in out and _TOC_PAGES.match(word) and (out.get("date") or i == len(tokens) - 1) \
                and x >= dict(columns)["pages"] - 40:
            out["pages"].append(word)
            continue
        col = None
        for f, sx in columns:
            if x >= sx - 6:
                col = f
        if col not in _TEXT_FIELDS:
            after = [f for f, sx in text_cols if sx <= x + 6]
            col = after[-1] if after else (text_cols[0][0] if text_cols else fields[0])
        out[col].append(word)
    return {f: " ".join(ws) for f, ws in out.items()}


def _entry_from_columns(cells: dict[str, str]) -> TocEntry | None:
    no = cells.get("no", "").rstrip(".、 ")
    pages = re.sub(r"\s+", "", cells.get("pages", ""))
    m = _TOC_PAGES.match(re.sub(r"(\d)\s*([-–—~～至/])\s*(\d)", r"\1\2\3", pages))
    if not no.isdigit() or not cells.get("name"):
        return None
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    date = _date_of(re.sub(r"\s+", "", cells.get("date", "")))
    return TocEntry(no=int(no), name=compact(cells["name"]), doc_number=compact(cells.get("docno", "")), date=date,
                    first=first, last=last if last >= first else first)


def _continue_columns(last: TocEntry, cells: dict[str, str], raw: dict[int, str]) -> None:
    """A wrapped row: each column's text continues the previous entry's field (``raw`` keeps the date
    and page cells read so far, by entry, for a date or page range wrapped in its cell)."""
    if cells.get("name"):
        last.name += compact(cells["name"])
    if cells.get("docno"):
        last.doc_number += compact(cells["docno"])
    piece = re.sub(r"\s+", "", cells.get("pages", ""))
    if piece and re.fullmatch(r"[-–—~～至]?\d{1,4}", piece) and last.first is not None:
        # a page range wrapped in its cell (``40-4`` / ``3``): read again as one
        m = _TOC_PAGES.match(raw.get(-id(last), str(last.first)) + piece)
        if m and m.group(2) and int(m.group(2)) >= int(m.group(1)):
            last.first, last.last = int(m.group(1)), int(m.group(2))
    if cells.get("date") and last.date is None:
        raw[id(last)] = raw.get(id(last), "") + re.sub(r"\s+", "", cells["date"])
        last.date = _date_of(raw[id(last)])


def is_toc_header(text: str) -> bool:
    t = compact(text)
    return bool(_TOC_HEAD.search(t) and _TOC_PAGE_COL.search(t) and _TOC_NAME_COL.search(t)) and len(t) <= 40


def _date_of(token: str) -> str | None:
    m = _TOC_DATE.match(token)
    if not m:
        return None
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
    try:
        import datetime as dt

        return dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def parse_toc_row(text: str) -> TocEntry | None:
    """One 目录 row (``8  犯罪嫌疑人张三讯问笔录  2021.09.11  12-13``) as an entry, read by the shape of its
    words (used when the header's columns are not known); None when the row does not open with a 序号
    and close with a page number or range."""
    text = re.sub(r"(\d)\s*([-–—~～至])\s*(\d)", r"\1\2\3", text.strip().translate(str.maketrans("．。", "..")))
    tokens = [t for t in re.split(r"\s+", text) if t]
    if len(tokens) < 2 or not tokens[0].rstrip(".、").isdigit():
        return None
    no = int(tokens[0].rstrip(".、"))
    rest = tokens[1:]
    # the page column: a number or a range at the end (a trailing 备注 word is dropped first)
    if len(rest) >= 2 and not _TOC_PAGES.match(rest[-1]) and _TOC_PAGES.match(rest[-2]) and not _date_of(rest[-1]):
        rest = rest[:-1]
    first = last = None
    if rest and _TOC_PAGES.match(rest[-1]) and not _date_of(rest[-1]):
        m = _TOC_PAGES.match(rest.pop())
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else None
    if first is None:
        return None
    date = None
    names: list[str] = []
    numbers: list[str] = []
    organs: list[str] = []
    for tok in rest:
        d = _date_of(tok)
        if d and date is None:
            date = d
        elif _ORGAN.search(tok):
            organs.append(tok)  # 责任者 column
        elif names and (_DOCNO.search(tok) or numbers):
            numbers.append(tok)
        elif not names and _DOCNO.search(tok) and re.search(r"[〔\[【]\d{4}|\d+号$", tok):
            numbers.append(tok)  # 文号 before the name (archival column order)
        else:
            names.append(tok)
    names = names or organs
    if not names:
        return None
    return TocEntry(no=no, name="".join(names), doc_number="".join(numbers), date=date, first=first,
                    last=last if last is not None and last >= first else first)


_COMPACT_ROW = re.compile(r"^(\d{1,3})[.、]?\s*(.+?)\s*((?:19|20)\d{2})(?:[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,3}.*)|(\d{2})(\d{2})(\d.*))$")


def parse_compact_row(text: str, prev_last: int | None = None) -> TocEntry | None:
    """A 目录 row whose cells ran together (OCR reads a table row as one line:
    ``7调取证据通知书某公(刑)调证字〔2023〕978号2023.12.147``). The date and the page number touch, so
    the split between the day and the page is the one whose page follows the row before (``prev_last``)
    most closely; the name is the longest head that ends in a declared title, the rest the 文号."""
    t = re.sub(r"\s+", " ", text.strip())
    m = _COMPACT_ROW.match(t)
    if not m:
        return None
    no, middle, year = int(m.group(1)), m.group(2), int(m.group(3))
    month, tail = (m.group(4), m.group(5)) if m.group(4) else (m.group(6), m.group(7) + m.group(8))
    best = None
    for k in (1, 2):
        day, rest = tail[:k], re.sub(r"\s+", "", tail[k:]).lstrip("日")
        pm = _TOC_PAGES.match(rest.replace("—", "-"))
        if not day.isdigit() or not pm or rest.startswith("0"):
            continue
        try:
            import datetime as dt

            date = dt.date(year, int(month), int(day)).isoformat()
        except ValueError:
            continue
        first = int(pm.group(1))
        last = int(pm.group(2)) if pm.group(2) else first
        cost = abs(first - ((prev_last or 0) + 1)) + (1000 if prev_last is not None and first <= prev_last - 1 else 0)
        if best is None or cost < best[0]:
            best = (cost, date, first, max(last, first))
    if best is None:
        return None
    name, number = compact(middle), ""
    from extractors.classify import titles

    ends = sorted({t for ts in titles().values() for t in ts if len(t) >= 2}, key=len, reverse=True)
    for i in range(len(name), 1, -1):
        head, rest = name[:i], name[i:]
        if any(head.endswith(e) for e in ends) and (not rest or re.search(r"[〔\[【(（]\d{4}[〕\]】)）].*号$", rest)):
            name, number = head, rest
            break
    return TocEntry(no=no, name=name, doc_number=number, date=best[1], first=best[2], last=best[3])


def read_toc(page: Page, entries: list[TocEntry], columns: list[tuple[str, float]] | None = None
             ) -> list[tuple[str, float]] | None:
    """Append the rows of a 目录 page to ``entries``. Returns the header's columns (or those of the page
    before, passed as ``columns``, when a continuation page repeats no header); None when the page holds
    no 目录 header and none was passed.

    With the columns known, each row's text is split by where its characters sit (a 文号 wrapped in its
    cell continues the 文号, a name the name); otherwise rows are read by the shape of their words.
    """
    head = columns is not None
    last: TocEntry | None = None
    raw: dict[int, str] = {}
    rows = _row_lines(page)
    for i, row in enumerate(rows):
        text = "  ".join(ln.text.strip() for ln in row)
        box = (min(ln.bbox[0] for ln in row), min(ln.bbox[1] for ln in row),
               max(ln.bbox[2] for ln in row), max(ln.bbox[3] for ln in row))
        if is_toc_header(text):
            head = True
            columns = toc_columns(row)
            if columns:
                columns = anchor_columns(columns, rows[i + 1:])
            continue
        if not head or _NOTE.match(compact(text)) or (box[1] >= page.height * (1 - STAMP_MARGIN)
                                                       and page_stamp(compact(text), box[1], box[3], page.height) is not None):
            continue
        cells = _split_columns(row, columns) if columns else None
        entry = _entry_from_columns(cells) if cells else parse_toc_row(text)
        if entry is not None and cells is not None:
            if entry.date is None and cells.get("date"):
                raw[id(entry)] = re.sub(r"\s+", "", cells["date"])
            raw[-id(entry)] = re.sub(r"\s+", "", cells.get("pages", ""))
        if entry is None and cells is not None and re.match(r"^\d{1,3}\s", text.strip()):
            entry = parse_toc_row(text)
        if entry is None:
            entry = parse_compact_row(text, entries[-1].last if entries else None)
        if entry is not None:
            entry.page, entry.bbox = page.number, box
            entries.append(entry)
            last = entry
            continue
        if last is None or not compact(text) or len(compact(text)) > 40:
            continue
        if cells is not None:
            _continue_columns(last, cells, raw)
        else:
            piece = compact(text)
            # a wrapped row: the rest of a 文号 (〔2021〕2491号) or of the name (…告知书, （第一次）)
            if _DOCNO_TAIL.match(piece) or (last.doc_number and not last.doc_number.endswith("号")):
                last.doc_number += piece
            else:
                last.name += piece
        last.bbox = (min(last.bbox[0], box[0]), last.bbox[1], max(last.bbox[2], box[2]), box[3]) if last.bbox else box
    return columns if head else None


# ----------------------------------------------------------------------------- entry names → types

_NAME_TRIM = re.compile(r"[（(][^（()）]{0,16}[)）]$")


def entry_type(name: str) -> str:
    """The document type a 目录 name reads as (``犯罪嫌疑人张三讯问笔录（第一次）`` → 讯问笔录), '' when none."""
    from extractors.classify import match_title, titles

    s = compact(name)
    for _ in range(2):
        s = _NAME_TRIM.sub("", s)
    head = re.split(r"及其?|以及|暨|附", s, maxsplit=1)[0]
    if head and head != s:  # ``扣押清单及扣押物品照片``: the item is its head, what follows is attached to it
        found = entry_type(head)
        if found:
            return found
    hit = match_title(s)
    if hit and hit[2] >= 0.9:
        return hit[0]
    best = ("", 0)
    for typ, ts in titles().items():
        for t in ts:
            if len(t) >= 3 and s.endswith(t) and len(t) > best[1]:
                best = (typ, len(t))
    if best[0]:
        return best[0]
    for typ, ts in titles().items():
        for t in ts:
            if len(t) >= 4 and t in s and len(t) > best[1]:
                best = (typ, len(t))
    return best[0]


# ----------------------------------------------------------------------------- volumes

def _cover_like(page: Page) -> bool:
    from extractors.classify import cue_scores, page_title

    hit = page_title(page)
    if hit is not None:
        return hit.type == vocab.VOLUME_COVER
    return cue_scores(page.text).get(vocab.VOLUME_COVER, 0.0) >= 6.0


def _toc_like(page: Page) -> bool:
    from extractors.classify import page_title

    hit = page_title(page)
    if hit is not None and hit.type == vocab.VOLUME_INDEX:
        return True
    return any(is_toc_header("  ".join(ln.text for ln in row)) for row in _row_lines(page)[:4])


def _toc_continues(page: Page, columns: list[tuple[str, float]] | None) -> bool:
    """A 目录 page without a heading or header row of its own: most of its rows read as 目录 rows (a cell
    such as ``刑事判决书`` may look like a title: the rows decide)."""
    if columns is None:
        return False
    rows = [r for r in _row_lines(page) if compact("".join(ln.text for ln in r))]
    good = sum(1 for r in rows if _entry_from_columns(_split_columns(r, columns)) is not None)
    return good >= 2 and good >= 0.4 * len(rows)


def analyse(file: str, pages: list[Page]) -> Analysis:
    """Read the volumes of one file (stamps are taken off the pages as a side effect)."""
    if not pages:
        return Analysis([], set())
    covers = [i for i, p in enumerate(pages) if _cover_like(p)]
    starts = list(covers)
    if not starts:
        if not any(_toc_like(p) for p in pages[:4]):
            return Analysis([], _separators(pages))
        starts = [0]
    elif starts[0] != 0 and any(_toc_like(p) for p in pages[: min(starts[0], 4)]):
        starts.insert(0, 0)
    volumes: list[Volume] = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(pages)
        run = pages[s:e]
        v = Volume(file=file, pages=[p.number for p in run])
        if covers and s in covers:
            v.cover_page = run[0].number
            read_cover(v, run[0])
        entries: list[TocEntry] = []
        columns = None
        for p in run[1 if v.cover_page else 0:]:
            if p.number - run[0].number > 8 and not v.toc_pages:
                break
            follows = bool(v.toc_pages) and p.number == v.toc_pages[-1] + 1
            if (not v.toc_pages and _toc_like(p)) or (follows and (_toc_like(p) or _toc_continues(p, columns))):
                columns = read_toc(p, entries, columns)
                v.toc_pages.append(p.number)
                continue
            if v.toc_pages:
                break
        v.entries = entries
        body = [p for p in run if p.number != v.cover_page and p.number not in v.toc_pages]
        v.stamps = read_stamps(body)
        _note_page(v, run)
        v.numbering = _numbering(v)
        v.label = _label(v, file)
        for entry in v.entries:
            entry.type = entry_type(entry.name)
        _map_entries(v, run)
        volumes.append(v)
    return Analysis(volumes, _separators(pages))


def _note_page(v: Volume, run: list[Page]) -> None:
    from extractors.classify import page_title

    for p in reversed(run[-3:]):
        hit = page_title(p)
        if hit is not None and hit.type == vocab.VOLUME_NOTE:
            v.note_page = p.number
            return


def _numbering(v: Volume) -> str:
    if not v.stamps:
        return ""
    first = v.pages[0]
    same = sum(1 for n, s in v.stamps.items() if s == n - first + 1)
    return "system" if same >= 0.8 * len(v.stamps) else "stamp"


def _label(v: Volume, file: str) -> str:
    parts = []
    if v.number:
        parts.append(f"第{v.number}卷")
    if v.title:
        parts.append(v.title)
    if not parts:
        stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return stem
    return " ".join(parts)


def _map_entries(v: Volume, run: list[Page]) -> None:
    """Map each 目录 row's page numbers to PDF pages and judge whether the 目录 can be trusted.

    With stamps the mapping is exact. Without (a scan whose corner numbers were not read), the
    numbering is taken to start after the 目录 or on the cover, whichever agrees better with the
    titles on the pages, and each row whose page bears no title of its type is moved on by up to
    three pages to the next one that does (unnumbered blank backs and separator sheets); the drift
    carries on to the rows after it.
    """
    from extractors.classify import page_title

    if not v.entries:
        return
    numbers = {p.number for p in run}
    titled = {p.number: hit.type for p in run if not is_separator(p) and (hit := page_title(p)) is not None}
    body = [p.number for p in run if p.number != v.cover_page and p.number not in v.toc_pages
            and p.number != v.note_page]
    typed = [e for e in v.entries if e.type]
    if v.stamps:
        inverse = {s: n for n, s in v.stamps.items()}
        for e in v.entries:
            e.pdf_first = inverse.get(e.first) if e.first is not None else None
            e.pdf_last = inverse.get(e.last) if e.last is not None else e.pdf_first
    else:
        def place(offset: int, snap: bool) -> list[tuple[int | None, int | None]]:
            drift, out = 0, []
            for e in v.entries:
                if e.first is None:
                    out.append((None, None))
                    continue
                n = e.first + offset + drift
                if snap and e.type and titled.get(n) != e.type:
                    k = next((k for k in range(1, 4) if titled.get(n + k) == e.type), 0)
                    drift, n = drift + k, n + k
                last = n + ((e.last or e.first) - e.first)
                out.append((n if n in numbers else None, last if last in numbers else None))
            return out

        def score(placed) -> int:
            return sum(1 for e, (n, _) in zip(v.entries, placed) if e.type and n is not None and titled.get(n) == e.type)

        offsets = sorted({(body[0] - 1) if body else 0, v.pages[0] - 1})
        best = max(offsets, key=lambda o: score(place(o, False)))
        for e, (n, last) in zip(v.entries, place(best, True)):
            e.pdf_first, e.pdf_last = n, last if last is not None else n
    good = sum(1 for e in typed if e.pdf_first is not None and titled.get(e.pdf_first) == e.type)
    v.toc_confident = len(typed) >= 2 and good >= 0.6 * len(typed)


def boundaries(volumes: list[Volume]) -> dict[int, TocEntry]:
    """First PDF pages of the rows of the confident 目录 of a file's volumes → the row."""
    out: dict[int, TocEntry] = {}
    for v in volumes:
        if not v.toc_confident:
            continue
        for e in v.entries:
            if e.pdf_first is not None and e.pdf_first not in out:
                out[e.pdf_first] = e
    return out


# ----------------------------------------------------------------------------- separators

_SEPARATOR_WORD = re.compile(r"分隔页|隔页|分隔|证言|陈述|供述|辩解|鉴定意见|书证|物证|笔录|视听资料|电子数据|材料|照片|诉讼文书|证据")


def is_separator(page: Page) -> bool:
    """A separator sheet: one or two short lines without digits or sentence punctuation that name a part
    of the volume (``犯罪嫌疑人供述和辩解（分隔页）``, ``鉴定意见``)."""
    rows = [compact(ln.text) for ln in page.lines if compact(ln.text)]
    if not rows or len(rows) > 3:
        return False
    text = "".join(rows)
    if len(text) > 26 or re.search(r"[0-9０-９，。；：:]", text):
        return False
    return bool(_SEPARATOR_WORD.search(text))


def _separators(pages: list[Page]) -> set[int]:
    from extractors.classify import page_title

    return {p.number for p in pages if is_separator(p) and (page_title(p) is None or "分隔" in p.text)}


# ----------------------------------------------------------------------------- checks

def _missing_number(stamped: list[tuple[int, int]], number: int, last_body: int) -> str:
    """Why a page number listed in the 目录 is not in the volume (Chinese), '' when that cannot be told.

    It is missing where the sheets either side of it bear numbers further apart than the sheets
    between them allow (the stamps run 3, 5 on consecutive sheets), or beyond the last number when the
    last numbered sheet is the volume's last sheet; where unnumbered sheets lie between, its stamp may
    merely not have been read, and nothing is said."""
    before = [(p, s) for p, s in stamped if s < number]
    after = [(p, s) for p, s in stamped if s > number]
    if before and after:
        (p1, s1), (p2, s2) = before[-1], after[0]
        if p2 - p1 < s2 - s1:
            return f"卷内未找到编为该页号的页面（第{s1}页之后即为第{s2}页），文书可能缺失或页号编错。"
        return ""
    if before and not after and before[-1][0] >= last_body:
        return f"卷内未装订该页号（本卷页号只编至第{before[-1][1]}页）。"
    return ""


def check(v: Volume, docs: list) -> None:
    """Compare a confident 目录 with the documents bound in the volume; mismatches go to ``v.problems``.

    A row whose page number is not bound in the volume, or whose first page starts no document
    (or one of another type), and a 本卷页数 on the cover that differs from the last stamped page,
    are problems; nothing is concluded from a 目录 that was not read with confidence.
    """
    from extractors.classify import titles

    label = v.label or v.file
    in_volume = [d for d in docs if d.file == v.file and d.pages and d.pages[0] in v.pages]
    starts = {d.pages[0]: d for d in in_volume}
    if v.toc_confident:
        stamped = sorted(v.stamps.items())
        last_body = max((n for n in v.pages if n != v.note_page), default=0)
        for e in v.entries:
            where = f"{label}卷内目录第{e.no}项“{e.name}”（页号{e.first}{'-' + str(e.last) if e.last and e.last != e.first else ''}）"
            if e.pdf_first is None and stamped and e.first is not None:
                missing = _missing_number(stamped, e.first, last_body)
                if missing:
                    v.problems.append(f"{where}：{missing}")
                continue
            if e.pdf_first is None:
                continue
            doc = starts.get(e.pdf_first)
            if doc is None:
                holder = next((d for d in in_volume if e.pdf_first in d.pages), None)
                if holder is not None and e.type and holder.type != e.type:
                    v.problems.append(f"{where}：该页（PDF第{e.pdf_first}页）不是一份文书的首页，而是{holder.type}的中间页。")
                continue
            e.document_id = doc.id
            named = any(t in compact(e.name) for t in titles().get(doc.type, ()) if len(t) >= 2)
            if e.type and doc.type not in (e.type, vocab.OTHER) and not named and doc.classification_confidence >= 0.8:
                v.problems.append(f"{where}：该页（PDF第{e.pdf_first}页）装订的是{doc.type}，与目录所列不符。")
    if v.declared_pages and v.stamps:
        last_stamp = max(v.stamps.values())
        if v.numbering == "stamp" and last_stamp != v.declared_pages and v.toc_confident:
            v.problems.append(f"{label}封面载明本卷页数共{v.declared_pages}页，卷内页号编至第{last_stamp}页，两者不一致。")
