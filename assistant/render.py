"""Render a scan report (the contract JSON of ``../shared/contract/report.md``) for people.

Two outputs, both from the same report dict:

- :func:`render_html` — a self-contained, print-friendly HTML page (inline CSS, no
  external assets, every text escaped) for prosecutors and evaluators;
- :func:`render_notice_docx` — the 案件质量评查结果通知书 of the 2017 regulation
  (《人民检察院案件质量评查工作规定（试行）》 appendix), with its attached
  案件质量评查问题清单. Blanks the regulation leaves for the organising department
  (文号, 评查组织部门, 等次, 日期 …) stay blank unless passed as keyword arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape

from assistant.grading import UNGRADABLE

TEMPLATES = Path(__file__).resolve().parent / "templates"

TEXT_SOURCE_LABELS = {"text-layer": "文字层", "ocr": "OCR 识别", "mixed": "文字层 + OCR", "none": "无文字"}
DISMISSED = ("误报", "不适用")

#: Field names shown in the documents table, in order, with their Chinese labels.
FIELD_LABELS: dict[str, str] = {
    "doc_number": "文号",
    "date": "日期",
    "issuer": "制作机关",
    "suspect_name": "当事人",
    "charges": "罪名",
    "articles": "刑法条文",
    "execution_time": "执行时间",
    "notify_time": "通知时间",
    "request_date": "提请日期",
    "received_date": "收到日期",
    "transfer_date": "移送日期",
    "start_time": "讯问开始",
    "end_time": "讯问结束",
    "interrogators": "讯问人",
    "recorder": "记录人",
    "stage": "诉讼阶段",
    "lawyer_name": "律师",
    "procedure": "程序",
    "recommendation": "量刑建议",
    "sentence": "判处刑罚",
    "verdict": "判决结果",
    "non_prosecution_type": "不起诉类型",
    "served_document": "送达文书",
    "recipient": "受送达人",
    "sign_date": "签收日期",
    "prosecutors": "检察官",
    "judges": "审判人员",
    "amount_yuan": "涉案金额（元）",
}
MAX_FIELD_CHARS = 80


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fv"] = format_value
    return env


def _interval(iv: Any, quantiles: Any) -> str:
    if not iv or len(iv) != 2:
        return "—"
    label = f"{_months(iv[0])} 至 {_months(iv[1])}"
    if quantiles and len(quantiles) == 2:
        label += f"（约 {float(quantiles[1]) - float(quantiles[0]):.0%} 的同类判决落在此区间）"
    return label


def _expected_outcome(similar: dict[str, Any]) -> str:
    probs = similar.get("special_outcome_probabilities") or {}
    parts = [f"{k} {float(v):.0%}" for k, v in sorted(probs.items(), key=lambda kv: -kv[1]) if float(v) >= 0.05]
    head = similar.get("expected_outcome") or "有期徒刑或更轻"
    return head + (f"（概率：{'，'.join(parts)}）" if parts else "")


def _months(value: Any) -> str:
    if value is None:
        return "—"
    try:
        m = float(value)
    except (TypeError, ValueError):
        return str(value)
    years, rest = divmod(m, 12)
    if years >= 1 and rest < 0.05:
        return f"{m:g} 个月（{int(years)} 年）"
    return f"{m:.1f} 个月" if m != int(m) else f"{int(m)} 个月"


def _sentence_text(v: dict[str, Any]) -> str:
    if v.get("text"):
        return str(v["text"])
    parts = [str(v.get("kind", ""))]
    if v.get("range_months"):
        lo, hi = v["range_months"]
        parts.append(f"{lo:g}至{hi:g}个月")
    elif v.get("months") is not None:
        parts.append(f"{float(v['months']):g}个月")
    if v.get("suspended"):
        parts.append("缓刑" + (f"{float(v['probation_months']):g}个月" if v.get("probation_months") else ""))
    if v.get("fine_yuan"):
        parts.append(f"罚金{float(v['fine_yuan']):g}元")
    return "，".join(p for p in parts if p)


def format_value(value: Any) -> str:
    """A field value as short Chinese text (lists joined with 、, persons by name)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        if "kind" in value and ("months" in value or "range_months" in value or "text" in value):
            return _sentence_text(value)
        if "name" in value:
            return str(value["name"]) + (f"（{value['role']}）" if value.get("role") else "")
        return "；".join(f"{k}：{format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        text = text.replace("T", " ")
    return text


def _short(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pages_label(pages: list[int]) -> str:
    if not pages:
        return ""
    pages = sorted(pages)
    runs: list[str] = []
    start = prev = pages[0]
    for p in pages[1:] + [None]:  # type: ignore[list-item]
        if p is not None and p == prev + 1:
            prev = p
            continue
        runs.append(f"第{start}页" if start == prev else f"第{start}–{prev}页")
        if p is not None:
            start = prev = p
    return "、".join(runs)


def _finding_view(f: dict[str, Any], prefix: str, index: int) -> dict[str, Any]:
    anchor = re.sub(r"[^A-Za-z0-9_-]", "", str(f.get("id") or "")) or f"{prefix}{index}"
    return {
        **f,
        "anchor": f"{prefix}{index}-{anchor}",
        "label": f"{'提示' if prefix == 'h' else '问题'} {index}",
        "evidence": list(f.get("evidence") or []),
        "basis": list(f.get("basis") or []),
        "disposition": f.get("disposition"),
        "category": f.get("category", ""),
        "title": f.get("title", ""),
    }


def _grade_class(grade: str) -> str:
    if grade in ("不合格", UNGRADABLE):
        return "grade-bad"
    if grade in ("瑕疵", "基本合格"):
        return "grade-warn"
    return "grade-ok"


EVIDENCE_SOURCE = {"held": "卷内", "listed": "清单列明", "mentioned": "文书提及"}
EVIDENCE_STATE = {"found": "已见", "mentioned": "仅文书提及", "unclear": "待核实", "absent": "未见"}


def _evidence_view(ev: dict[str, Any] | None) -> dict[str, Any] | None:
    """The 证据目录 section: kinds with their pieces, the checklist and the confession pattern."""
    if not ev or not (ev.get("items") or ev.get("checklist") or (ev.get("confession") or {}).get("status")):
        return None
    by_kind = []
    for k in ev.get("kinds") or []:
        pieces = [{**e, "source_label": EVIDENCE_SOURCE.get(e.get("source", ""), e.get("source", "")),
                   "name": _short(e.get("name", ""), 60)} for e in ev.get("items") or [] if e.get("kind") == k["kind"]]
        by_kind.append({**k, "pieces": pieces})
    checklist = [{**r, "state_label": EVIDENCE_STATE.get(r.get("state", ""), r.get("state", "")),
                  "status_label": "法定" if r.get("status") == "statutory" else "实践"}
                 for r in ev.get("checklist") or [] if r.get("state") != "n/a"]
    return {**ev, "by_kind": by_kind, "checklist_view": checklist}


def _stamped_label(doc: dict[str, Any]) -> str:
    """``第2卷 证据卷 卷内第6–7页``: the page numbers stamped on a bound document's sheets ('' when none)."""
    stamped = [n for n in doc.get("stamped_pages") or [] if n is not None]
    if not stamped:
        return ""
    span = f"第{stamped[0]}页" if len(stamped) == 1 else f"第{stamped[0]}–{stamped[-1]}页"
    return f"{doc.get('volume', '')} 卷内{span}".strip()


def html_context(report: dict[str, Any]) -> dict[str, Any]:
    """The template context: the report plus display-ready views (labels, anchors)."""
    findings = [_finding_view(f, "p", i) for i, f in enumerate(report.get("findings") or [], 1)]
    hints = [_finding_view(f, "h", i) for i, f in enumerate(report.get("hints") or [], 1)]
    docs = []
    for d in report.get("documents") or []:
        fields = d.get("fields") or {}
        key_fields = [
            (label, _short(format_value(fields[name].get("value") if isinstance(fields[name], dict) else fields[name])))
            for name, label in FIELD_LABELS.items() if name in fields
        ]
        source = d.get("source") or {"file": "", "pages": []}
        docs.append({**d, "source": source, "key_fields": key_fields,
                     "pages_label": _pages_label(list(source.get("pages") or [])),
                     "stamped_label": _stamped_label(d),
                     "text_source_label": TEXT_SOURCE_LABELS.get(d.get("text_source", ""), d.get("text_source", ""))})
    similar = report.get("similar_cases")
    if similar:
        dev = similar.get("deviation")
        similar = {
            **similar,
            "expected_label": _months(similar.get("expected_sentence_months")),
            "actual_label": _months(similar.get("actual_sentence_months")),
            "deviation_label": "—" if dev is None else f"{float(dev):+.1%}",
            "interval_label": _interval(similar.get("interval_months"), similar.get("interval_quantiles")),
            "outcome_label": _expected_outcome(similar),
            "neighbours": [
                {**n, "months_label": "—" if n.get("sentence_months") is None else f"{float(n['sentence_months']):g}",
                 "similarity_label": f"{float(n.get('similarity') or 0):.3f}"}
                for n in similar.get("neighbours") or []
            ],
        }
    titles: dict[str, str] = {}
    for f in report.get("findings") or []:
        titles.setdefault(f.get("rule_id", ""), f.get("title", ""))
    n = 4 if hints else 3
    section_no = {"documents": "三四五六七八"[n - 3]}
    n += 1
    evidence = _evidence_view(report.get("evidence"))
    if evidence:
        section_no["evidence"] = "三四五六七八"[n - 3]
        n += 1
    if similar:
        section_no["similar"] = "三四五六七八"[n - 3]
        n += 1
    section_no["warnings"] = "三四五六七八"[n - 3]
    dossier = report.get("dossier") or {}
    return {
        "schema_version": report.get("schema_version", "1"),
        "dossier": {"name": dossier.get("name", ""), "files": dossier.get("files") or [], "pages": dossier.get("pages", 0)},
        "case": {"doc_numbers": [], "suspects": [], "charges": [], "dates": {}, "unsure_dates": [], **(report.get("case") or {})},
        "grade": report.get("grade", ""),
        "grade_class": _grade_class(report.get("grade", "")),
        "points": report.get("points", 0),
        "key_review": {"required": False, "reasons": [], **(report.get("key_review") or {})},
        "key_reason_titles": titles,
        "findings": findings,
        "hints": hints,
        "evidence_findings": [f for f in findings + hints if f["evidence"]],
        "findings_by_category": report.get("findings_by_category") or {},
        "accumulation": report.get("accumulation"),
        "profile": report.get("profile"),
        "documents": docs,
        "doc_titles": {d.get("id"): (d.get("title") or d.get("type", "")) for d in docs},
        "similar_cases": similar,
        "warnings": report.get("warnings") or [],
        "file_errors": report.get("file_errors") or [],
        "section_no": section_no,
        "evidence": evidence,
        "grade_reasons": report.get("grade_reasons") or [],
        "coverage": coverage_view(report.get("coverage")),
    }


#: Unread pages listed one by one in the HTML report (the rest are counted).
UNREAD_PAGES_SHOWN = 40


def coverage_view(cov: dict[str, Any] | None) -> dict[str, Any] | None:
    """The 读取情况 rows: one summary sentence, the files without readable text and the unread pages."""
    if not cov:
        return None
    from assistant.coverage import summary_line

    pages = list(cov.get("unread_pages") or [])
    unread_files = {f["file"] for f in cov.get("unread_files") or []}
    loose = [p for p in pages if p["file"] not in unread_files]
    return {
        "line": summary_line(cov),
        "unread_files": list(cov.get("unread_files") or []),
        "unread_pages": loose[:UNREAD_PAGES_SHOWN],
        "more_pages": max(0, len(loose) - UNREAD_PAGES_SHOWN),
        "gradable": cov.get("gradable", True),
    }


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (Chinese, escaped, print-friendly)."""
    return _env().get_template("report.html.j2").render(**html_context(report))


# --- the official notice (DOCX) -----------------------------------------------------------

NOTICE_BLANKS = {
    "procuratorate": "",      # ***人民检察院 (the organising procuratorate's name, without 人民检察院)
    "doc_number": "",         # ＊＊检案管评查〔 〕 号
    "addressee": "",          # （部门或某人民检察院）
    "organizer": "",          # （评查组织部门）
    "year": "",               # 于  年  月组织…
    "month": "",
    "handler": "",            # （检察官、检察官办案组）
    "case_name": None,        # ……办理的  案; None → from the report (suspect + charge)
    "grade": "",              # 评查结果等次为  (the machine's suggestion is never filled in by default)
    "date": "",               # the signature date, e.g. "2026年11月22日"
    "opinion": "",            # the evaluator's 评查意见 (web 评查结论), a paragraph after the grade when given
}


def case_name(report: dict[str, Any]) -> str:
    """A case name for the notice: first suspect and charges (``张三盗窃``), or the dossier name."""
    case = report.get("case") or {}
    suspects = [s.get("name") for s in case.get("suspects") or [] if s.get("name")]
    charges = [c[:-1] if c.endswith("罪") else c for c in case.get("charges") or []]
    if suspects and charges:
        who = suspects[0] + ("等" if len(suspects) > 1 else "")
        return who + "、".join(charges)
    return (report.get("dossier") or {}).get("name", "")


def known_procuratorate(report: dict[str, Any]) -> str:
    """The procuratorate that handled the case, read off its own documents' issuer (起诉书, 不起诉决定书 …),
    without 人民检察院; "" when none says. The notice's header defaults to it."""
    for doc in report.get("documents") or []:
        if doc.get("role") not in (None, "case") or doc.get("type") in ("讯问笔录", "询问笔录"):
            continue
        issuer = ((doc.get("fields") or {}).get("issuer") or {}).get("value")
        if isinstance(issuer, str) and issuer.endswith("人民检察院") and len(issuer) > len("人民检察院"):
            return issuer[: -len("人民检察院")][:60]
    return ""


def notice_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(问题描述, 依据) rows of the 问题清单: counted findings, without 误报/不适用 ones."""
    rows = []
    for f in report.get("findings") or []:
        disp = f.get("disposition") or {}
        if disp.get("status") in DISMISSED:
            continue
        places = "；".join(dict.fromkeys(f"{e.get('file', '')}第{e.get('page')}页" for e in f.get("evidence") or []))
        desc = f.get("message", "") + (f"（见{places}）" if places else "")
        basis = "\n".join(
            f"{b.get('law', '')}{b.get('article') or ''}" + (f"：“{b['quote']}”" if b.get("quote") else "")
            for b in f.get("basis") or []
        )
        rows.append((desc, basis or "—"))
    return rows


def _blank(value: str, width: int) -> str:
    return value if value else "\u3000" * width


def render_notice_docx(report: dict[str, Any], path_or_buffer: str | Path | IO[bytes], **blanks: Any) -> None:
    """Write the 案件质量评查结果通知书 with its 问题清单 as DOCX.

    ``blanks`` fill the template's blanks (see :data:`NOTICE_BLANKS`); those not given
    stay blank (underlined full-width spaces) for the organising department to complete
    and seal. Unknown names raise :class:`TypeError`.
    """
    from docx import Document as Docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    unknown = set(blanks) - set(NOTICE_BLANKS)
    if unknown:
        raise TypeError(f"未知的通知书填写项：{'、'.join(sorted(unknown))}")
    values = {**NOTICE_BLANKS, **{k: ("" if v is None else str(v)) for k, v in blanks.items()}}
    if values["case_name"] is None:
        values["case_name"] = case_name(report)
    if "procuratorate" not in blanks:  # the header names the procuratorate the dossier shows, when it shows one
        values["procuratorate"] = known_procuratorate(report)

    doc = Docx()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)

    def set_font(style_or_run, name: str, size: float | None = None, bold: bool | None = None) -> None:
        font = style_or_run.font
        font.name = name
        if size:
            font.size = Pt(size)
        if bold is not None:
            font.bold = bold
        rpr = style_or_run.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), name)

    set_font(doc.styles["Normal"], "仿宋", 16)
    doc.styles["Normal"].paragraph_format.line_spacing = Pt(28)
    doc.styles["Normal"].paragraph_format.space_after = Pt(0)
    set_font(doc.styles["Table Grid"], "仿宋", 12)

    def para(text: str = "", align=None, size: float | None = None, font: str | None = None, bold: bool = False,
             indent: bool = False):
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        if text:
            r = p.add_run(text)
            if font or size or bold:
                set_font(r, font or "仿宋", size, bold)
        return p

    def run(p, text: str, underline: bool = False):
        r = p.add_run(text)
        if underline:
            r.font.underline = True
        return r

    title_org = (values["procuratorate"] + "人民检察院") if values["procuratorate"] else "＿＿＿＿＿＿人民检察院"
    para(title_org, WD_ALIGN_PARAGRAPH.CENTER, 22, "宋体", True)
    para("案件质量评查结果通知书", WD_ALIGN_PARAGRAPH.CENTER, 22, "宋体", True)
    para()
    num = para(align=WD_ALIGN_PARAGRAPH.RIGHT)
    if values["doc_number"]:
        run(num, values["doc_number"])
    else:
        run(num, "＊＊检案管（或相关部门）评查〔\u3000\u3000〕\u3000\u3000号")
    para()
    p = para()
    run(p, _blank(values["addressee"], 8), underline=True)
    run(p, "（部门或某人民检察院）：" if not values["addressee"] else "：")
    p = para(indent=True)
    run(p, _blank(values["organizer"], 6), underline=True)
    if not values["organizer"]:
        run(p, "（评查组织部门）")
    run(p, "于")
    run(p, _blank(values["year"], 3), underline=True)
    run(p, "年")
    run(p, _blank(values["month"], 2), underline=True)
    run(p, "月组织对你院（部门）")
    run(p, _blank(values["handler"], 6), underline=True)
    if not values["handler"]:
        run(p, "（检察官、检察官办案组）")
    run(p, "办理的")
    run(p, _blank(values["case_name"], 8), underline=True)
    run(p, "案进行了质量评查，经检察长（或者检察委员会）审查确认，评查结果等次为")
    run(p, _blank(values["grade"], 4), underline=True)
    run(p, "，现将评查结果通知你院（部门）。")
    if values["opinion"]:
        lines = [line.strip() for line in values["opinion"].splitlines() if line.strip()]
        for i, line in enumerate(lines):
            para(("评查意见：" if i == 0 else "") + line, indent=True)
    para("对于附件所列的问题，请及时核查整改，并在收到本通知书后三十日以内将整改情况书面回复我办（处、科）。", indent=True)
    para()
    para("附件：案件质量评查问题清单", indent=True)
    para()
    para()
    para("评查组织部门（盖章）", WD_ALIGN_PARAGRAPH.RIGHT)
    para(values["date"] or "\u3000\u3000年\u3000\u3000月\u3000\u3000日", WD_ALIGN_PARAGRAPH.RIGHT)

    brk = doc.add_paragraph().add_run()
    brk.add_break(WD_BREAK.PAGE)
    para("附件", size=16, font="黑体")
    para(f"{values['case_name'] or '＿＿＿＿'}案质量评查问题清单", WD_ALIGN_PARAGRAPH.CENTER, 18, "宋体", True)
    rows = notice_rows(report)
    table = doc.add_table(rows=1, cols=3)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Mm(15), Mm(90), Mm(51))
    for cell, head, w in zip(table.rows[0].cells, ("序号", "问题描述", "依\u3000据"), widths):
        cell.width = w
        cell.text = ""
        r = cell.paragraphs[0].add_run(head)
        set_font(r, "黑体", 12, True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, (desc, basis) in enumerate(rows or [("未发现问题。", "")], 1):
        cells = table.add_row().cells
        for cell, text, w in zip(cells, (str(i) if rows else "", desc, basis), widths):
            cell.width = w
            lines = text.split("\n")
            cell.paragraphs[0].text = ""
            for j, line in enumerate(lines):
                cp = cell.paragraphs[0] if j == 0 else cell.add_paragraph()
                cp.paragraph_format.line_spacing = Pt(18)
                set_font(cp.add_run(line), "仿宋", 12)
        cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = para(size=12)
    note.paragraph_format.space_before = Pt(8)
    set_font(note.add_run(f"（问题清单由评查助手依卷宗《{(report.get('dossier') or {}).get('name', '')}》生成，"
                          f"共 {len(rows)} 项，机器建议等次：{report.get('grade', '')}"
                          + (f"（{'；'.join(report.get('grade_reasons') or [])}）" if report.get("grade_reasons") else "")
                          + "，须经评查员核实。"
                          f"生成日期：{dt.date.today().isoformat()}）"), "仿宋", 10.5)
    doc.core_properties.title = "案件质量评查结果通知书"
    doc.core_properties.language = "zh-CN"
    doc.save(path_or_buffer)
