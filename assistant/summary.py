"""Caseload summary of a batch: one row per dossier, written as XLSX, CSV and HTML.

:func:`summary_row` turns one report (plus the manifest's values) into a row; the row keeps
the numbers the summary needs (grade, points, 重点评查 and why, counts by category, finding
ids) so the summary can be rebuilt from stored rows without re-reading the reports.
:func:`write_summary` writes ``summary.xlsx`` (openpyxl), ``summary.csv`` (UTF-8 with BOM,
so Excel opens it in Chinese) and ``summary.html`` (grade distribution, findings per rule
and per category, key-review cases first, links to each dossier's report). Every row carries
what was read (pages with a text layer, OCR'd, without readable text; documents recognised;
the stage's core documents found); dossiers graded 「无法评定」 (not read well enough to grade,
``assistant.coverage``) come first in every table, with the reason.

Case number, prosecutor and department come from the manifest when given, else from the
documents: the 文号 of the 起诉书 / 不起诉决定书 (else the first 文号), their ``prosecutors``
field, and their ``issuer`` (the 院 in the header).
"""

from __future__ import annotations

import csv
import html
import io
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

#: Documents whose 文号, 检察官 and issuing 院 identify the case for the summary, in order of preference.
CASE_DOCS = ("起诉书", "不起诉决定书", "量刑建议书", "受理案件登记表")

#: Status labels of a row.
STATUS_LABELS = {"done": "已完成", "reused": "已完成（沿用已有结果）", "failed": "无法读取", "error": "扫描出错",
                 "pending": "未处理", "running": "处理中"}

BASE_COLUMNS = ("序号", "卷宗", "案号", "罪名", "承办检察官", "部门", "办结日期", "页数", "文字层页", "识别文字页",
                "无可读文字页", "已识别文书", "「其他」文书", "核心文书", "等次", "无法评定原因", "扣分",
                "重点评查", "重点评查原因")
TAIL_COLUMNS = ("问题数", "问题编号", "规则", "状态", "说明", "报告")


def _value(doc: dict[str, Any], field: str) -> Any:
    v = (doc.get("fields") or {}).get(field)
    return v.get("value") if isinstance(v, dict) else None


def _case_doc_values(report: dict[str, Any], field: str) -> Any:
    docs = report.get("documents") or []
    for kind in CASE_DOCS:
        for d in docs:
            if d.get("type") == kind:
                v = _value(d, field)
                if v:
                    return v
    return None


def case_number(report: dict[str, Any]) -> str:
    v = _case_doc_values(report, "doc_number")
    if v:
        return str(v)
    nums = (report.get("case") or {}).get("doc_numbers") or []
    return str(nums[0]) if nums else ""


def prosecutor_of(report: dict[str, Any]) -> str:
    v = _case_doc_values(report, "prosecutors")
    if isinstance(v, list):
        return "、".join(str(x.get("name") if isinstance(x, dict) else x) for x in v if x)
    return str(v or "")


def department_of(report: dict[str, Any]) -> str:
    return str(_case_doc_values(report, "issuer") or "")


def closing_date(report: dict[str, Any]) -> str:
    dates = (report.get("case") or {}).get("dates") or {}
    unsure = set((report.get("case") or {}).get("unsure_dates") or [])
    for event in ("判决", "不起诉", "起诉"):
        if dates.get(event) and event not in unsure:   # a date under a seal read uncertainly is no 办结日期
            return str(dates[event])
    return ""


def summary_row(report: dict[str, Any] | None, meta: dict[str, Any] | None = None, *, name: str = "",
                status: str = "done", message: str = "", link: str = "", scan_id: str | None = None) -> dict[str, Any]:
    """One dossier's row. ``meta`` holds the manifest's 案号/承办检察官/部门/办结日期 (they win)."""
    meta = {k: v for k, v in (meta or {}).items() if v not in (None, "")}
    report = report or {}
    findings = report.get("findings") or []
    titles = {f.get("rule_id"): f.get("title", "") for f in findings}
    kr = report.get("key_review") or {}
    reasons = [f"{r} {titles[r]}".strip() if r in titles else str(r) for r in kr.get("reasons") or []]
    cov = report.get("coverage") or {}
    pages, docs, core = cov.get("pages") or {}, cov.get("documents") or {}, cov.get("core") or {}
    return {
        "name": name or (report.get("dossier") or {}).get("name", ""),
        "case_number": str(meta.get("case_number") or case_number(report)),
        "charges": "、".join((report.get("case") or {}).get("charges") or []),
        "prosecutor": str(meta.get("prosecutor") or prosecutor_of(report)),
        "department": str(meta.get("department") or department_of(report)),
        "closed": str(meta.get("closed") or closing_date(report)),
        "pages": int((report.get("dossier") or {}).get("pages") or 0),
        "grade": report.get("grade", "") if report else "",
        "points": report.get("points") if report else None,
        "key_review": bool(kr.get("required")),
        "key_review_reasons": reasons,
        "by_category": dict(report.get("findings_by_category") or {}),
        "finding_ids": [f.get("id", "") for f in findings],
        "rule_ids": [f.get("rule_id", "") for f in findings],
        "rule_titles": titles,
        "text_pages": pages.get("text_layer"),
        "ocr_pages": (pages.get("ocr") or 0) + (pages.get("ocr_layer") or 0) if pages else None,
        "unread_pages": pages.get("unread"),
        "docs_recognised": docs.get("recognised"),
        "docs_other": docs.get("other"),
        "core": f"{len(core.get('found') or [])}/{len(core['expected'])}" if core.get("expected") else "",
        "gradable": bool(cov.get("gradable", True)),
        "grade_reasons": list(report.get("grade_reasons") or []),
        "status": status,
        "message": message,
        "link": link,
        "scan_id": scan_id,
    }


def _categories(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for c in r.get("by_category") or {}:
            seen.setdefault(c, None)
    return list(seen)


def ungraded(r: dict[str, Any]) -> bool:
    """A finished dossier the scan could not read well enough to grade (「无法评定」)."""
    return r["status"] in ("done", "reused") and not r.get("gradable", True)


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the dossiers graded 「无法评定」 first, the rest in their order."""
    return sorted(rows, key=lambda r: not ungraded(r))


def _count(r: dict[str, Any], key: str, done: bool) -> Any:
    v = r.get(key)
    return v if done and v is not None else ""


def table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Header and cells of the summary (the same for XLSX and CSV), 「无法评定」 dossiers first."""
    cats = _categories(rows)
    header = [*BASE_COLUMNS, *(f"{c}（项）" for c in cats), *TAIL_COLUMNS]
    cells = []
    for i, r in enumerate(ordered(rows), 1):
        done = r["status"] in ("done", "reused")
        cells.append([
            i, r["name"], r["case_number"], r["charges"], r["prosecutor"], r["department"], r["closed"],
            r["pages"] if done else "", *(_count(r, k, done) for k in ("text_pages", "ocr_pages", "unread_pages",
                                                                        "docs_recognised", "docs_other")),
            r.get("core", "") if done else "", r["grade"], "；".join(r.get("grade_reasons") or []),
            r["points"] if done else "",
            ("是" if r["key_review"] else "否") if done else "", "；".join(r["key_review_reasons"]),
            *((r["by_category"].get(c, 0) if done else "") for c in cats),
            len(r["finding_ids"]) if done else "", "、".join(r["finding_ids"]), "、".join(r["rule_ids"]),
            STATUS_LABELS.get(r["status"], r["status"]), r["message"], r["link"],
        ])
    return header, cells


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    header, cells = table(rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(cells)
    _atomic_write(path, buf.getvalue().encode("utf-8-sig"))


def write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header, cells = table(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "评查汇总"
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    red = PatternFill("solid", fgColor="FDE2E1")
    link_col = header.index("报告") + 1
    key_col = header.index("重点评查") + 1
    reason_col = header.index("无法评定原因") + 1
    for i, row in enumerate(cells, 2):
        ws.append(row)
        if row[key_col - 1] == "是" or row[reason_col - 1]:
            for c in ws[i]:
                c.fill = red
        if row[link_col - 1]:
            cell = ws.cell(row=i, column=link_col)
            cell.hyperlink = str(row[link_col - 1])
            cell.style = "Hyperlink"
    widths = {"卷宗": 22, "案号": 28, "罪名": 18, "承办检察官": 12, "部门": 22, "办结日期": 12,
              "重点评查原因": 30, "无法评定原因": 40, "问题编号": 40, "规则": 30, "状态": 16, "说明": 40, "报告": 30}
    for j, h in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(h, max(8, len(h) * 2 + 2))
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    _atomic_write(path, buf.getvalue())


def _esc(v: Any) -> str:
    return html.escape(str(v if v is not None else ""))


def render_summary_html(rows: list[dict[str, Any]], title: str = "批量评查汇总") -> str:
    """The caseload overview page (self-contained, Chinese)."""
    done = [r for r in rows if r["status"] in ("done", "reused")]
    failed = [r for r in rows if r["status"] not in ("done", "reused")]
    grades = Counter(r["grade"] for r in done)
    per_rule: dict[str, list[int]] = {}
    titles: dict[str, str] = {}
    for r in done:
        for rid in r["rule_ids"]:
            per_rule.setdefault(rid, [0, 0])[0] += 1
        for rid in set(r["rule_ids"]):
            per_rule[rid][1] += 1
        titles.update(r.get("rule_titles") or {})
    per_cat: Counter = Counter()
    cat_cases: Counter = Counter()
    for r in done:
        for c, n in (r["by_category"] or {}).items():
            per_cat[c] += n
            cat_cases[c] += 1
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["status"] not in ("done", "reused"), not ungraded(rows[i]),
                                                    not rows[i]["key_review"], -(rows[i]["points"] or 0), i))
    pages = sum(r["pages"] for r in done)
    out = io.StringIO()
    w = out.write
    w(f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<style>body{{font-family:"WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}th,td{{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}}
th{{background:#f0f0f0}}tr.key td{{background:#fde2e1}}.bar{{display:inline-block;height:.8em;background:#4a7bd0}}
.num{{text-align:right}}</style></head><body>
<h1>{_esc(title)}</h1>
<p>卷宗 {len(rows)} 份：已完成 {len(done)} 份（共 {pages} 页），未完成或无法读取 {len(failed)} 份；
需要重点评查 {sum(1 for r in done if r['key_review'])} 份；未能完整读取、无法评定等次 {sum(1 for r in done if ungraded(r))} 份。</p>
<h2>建议等次分布</h2><table><tr><th>等次</th><th>卷宗数</th><th></th></tr>""")
    top = max(grades.values(), default=1)
    for g, n in sorted(grades.items(), key=lambda t: -t[1]):
        w(f"<tr><td>{_esc(g)}</td><td class=num>{n}</td><td><span class=bar style='width:{int(200 * n / top)}px'></span></td></tr>")
    w("</table><h2>各规则发现问题</h2><table><tr><th>规则</th><th>名称</th><th>问题数</th><th>涉及卷宗</th></tr>")
    for rid, (n, cases) in sorted(per_rule.items(), key=lambda t: (-t[1][0], t[0])):
        w(f"<tr><td>{_esc(rid)}</td><td>{_esc(titles.get(rid, ''))}</td><td class=num>{n}</td><td class=num>{cases}</td></tr>")
    w("</table><h2>各类别发现问题</h2><table><tr><th>类别</th><th>问题数</th><th>涉及卷宗</th></tr>")
    for c, n in per_cat.most_common():
        w(f"<tr><td>{_esc(c)}</td><td class=num>{n}</td><td class=num>{cat_cases[c]}</td></tr>")
    w("</table><h2>卷宗清单（无法评定、重点评查在前）</h2><table><tr><th>卷宗</th><th>案号</th><th>罪名</th><th>承办检察官</th>"
      "<th>部门</th><th>读取情况</th><th>等次</th><th>扣分</th><th>重点评查</th><th>问题数</th><th>状态</th><th>报告</th></tr>")
    for i in order:
        r = rows[i]
        ok = r["status"] in ("done", "reused")
        key = "是（" + "；".join(r["key_review_reasons"]) + "）" if r["key_review"] else ("否" if ok else "")
        link = f"<a href='{_esc(r['link'])}'>查看报告</a>" if r["link"] and ok else ""
        status = STATUS_LABELS.get(r["status"], r["status"]) + (f"：{r['message']}" if r["message"] else "")
        grade = r["grade"] + (f"（{'；'.join(r.get('grade_reasons') or [])}）" if ungraded(r) else "")
        w(f"<tr class='{'key' if r['key_review'] or ungraded(r) else ''}'><td>{_esc(r['name'])}</td><td>{_esc(r['case_number'])}</td>"
          f"<td>{_esc(r['charges'])}</td><td>{_esc(r['prosecutor'])}</td><td>{_esc(r['department'])}</td>"
          f"<td>{_esc(_read_label(r) if ok else '')}</td><td>{_esc(grade)}</td><td class=num>{_esc(r['points'] if ok else '')}</td><td>{_esc(key)}</td>"
          f"<td class=num>{len(r['finding_ids']) if ok else ''}</td><td>{_esc(status)}</td><td>{link}</td></tr>")
    w("</table>")
    if failed:
        w("<h2>未完成或无法读取的卷宗</h2><ul>")
        for r in failed:
            w(f"<li>{_esc(r['name'])}：{_esc(r['message'] or STATUS_LABELS.get(r['status'], r['status']))}</li>")
        w("</ul>")
    w("<p>说明：等次与扣分为系统建议，须经评查员审核确认。</p></body></html>\n")
    return out.getvalue()


def _read_label(r: dict[str, Any]) -> str:
    """读取情况 of one row: pages by source, documents recognised, core documents found."""
    if r.get("text_pages") is None:
        return ""
    out = f"文字层 {r['text_pages']} 页，识别 {r.get('ocr_pages') or 0} 页，无可读文字 {r.get('unread_pages') or 0} 页；" \
          f"文书已识别 {r.get('docs_recognised') or 0} 份、其他 {r.get('docs_other') or 0} 份"
    return out + (f"；核心文书 {r['core']}" if r.get("core") else "")


def write_summary(rows: Iterable[dict[str, Any]], out_dir: Path, title: str = "批量评查汇总") -> dict[str, Path]:
    """Write summary.xlsx, summary.csv and summary.html into ``out_dir``; returns their paths."""
    rows = list(rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"xlsx": out_dir / "summary.xlsx", "csv": out_dir / "summary.csv", "html": out_dir / "summary.html"}
    write_xlsx(rows, paths["xlsx"])
    write_csv(rows, paths["csv"])
    _atomic_write(paths["html"], render_summary_html(rows, title).encode("utf-8"))
    return paths
