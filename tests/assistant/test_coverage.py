"""What a scan read and 「无法评定」 (issue 24): the coverage block, the grade gate, and how the grade
flows through dispositions, the CLI summary, report.html, the notice and the batch summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from models import CaseFile, Document, Finding, Line, Page, SourceFile
from models import vocab as V

from assistant import coverage as cov_mod
from assistant.grading import UNGRADABLE, gate, grade
from assistant.report import build_report
from assistant.service import apply_dispositions
from assistant.summary import summary_row, table, render_summary_html

TEXT = "被告人张某某，男，汉族，因涉嫌盗窃罪于某日被刑事拘留。"


def _page(file: str, n: int, text: str = TEXT, **kw) -> Page:
    lines = [Line(text=text, bbox=(72, 72, 500, 86))] if text else []
    return Page(file=file, number=n, width=595, height=842, text=text, lines=lines, **kw)


def _case(pages: list[Page], types: list[str], files: list[SourceFile] | None = None) -> CaseFile:
    names = list(dict.fromkeys(p.file for p in pages))
    files = files if files is not None else [SourceFile(name=n, kind="pdf", pages=sum(p.file == n for p in pages))
                                             for n in names]
    docs = [Document(id=f"d{i}", type=t, file=names[0] if names else "x.pdf", pages=[1]) for i, t in enumerate(types, 1)]
    return CaseFile(name="卷宗", files=files, pages=pages, documents=docs)


def _finding(points: int = 1, fid: str = "f1") -> Finding:
    return Finding(id=fid, rule_id="DOC-017", title="法律条文引用", category="文书制作", severity_points=points,
                   message="起诉书所引刑法条款不完整。")


@pytest.mark.parametrize("text, expected", [
    (TEXT, True),
    ("第 3 页", False),                                       # a page number is no reading
    ("\x01\x04\x05\x05\x06\x07\x08\x0e\x0f\x10", False),      # font without a Unicode map
    ("\ue001\ue002\ue003\ue004\ue005 起诉书", False),          # private-use code points around a title
    ("", False),
])
def test_readable(text, expected):
    assert cov_mod.readable(text) is expected


def test_coverage_counts_pages_by_source_and_reason():
    pages = [_page("a.pdf", 1), _page("a.pdf", 2, text=""), _page("b.pdf", 1, text="\x01\x02\x03"),
             _page("c.pdf", 1, text="", needs_ocr=True, text_source="none"),
             _page("d.jpg", 1, ocr_run=True, text_source="ocr"), _page("e.pdf", 1, text_source="ocr")]
    files = [SourceFile(name=n, kind="pdf") for n in ("a.pdf", "b.pdf", "c.pdf", "d.jpg", "e.pdf")]
    files.append(SourceFile(name="坏.pdf", kind="pdf", error="PDF 文件已损坏，无法读取"))
    c = cov_mod.coverage(_case(pages, [V.INDICTMENT, V.OTHER, V.INTERROGATION], files))
    assert c["pages"] == {"total": 6, "text_layer": 1, "ocr_layer": 1, "ocr": 1, "unread": 3}
    reasons = {(p["file"], p["page"]): p["reason"] for p in c["unread_pages"]}
    assert "空白页" in reasons[("a.pdf", 2)] and "乱码" in reasons[("b.pdf", 1)] and "文字识别" in reasons[("c.pdf", 1)]
    assert [f["file"] for f in c["unread_files"]] == ["b.pdf", "c.pdf", "坏.pdf"]   # a.pdf has one readable page
    assert c["unread_files"][2]["reason"] == "PDF 文件已损坏，无法读取"
    assert c["documents"] == {"total": 3, "recognised": 2, "other": 1, "by_type": {V.INDICTMENT: 1, V.OTHER: 1,
                                                                                   V.INTERROGATION: 1}}
    assert c["stage"] == "审查起诉" and c["stage_from_documents"]
    assert c["core"]["found"] == ["起诉书或不起诉决定书", "讯问笔录"] and c["core"]["missing"] == ["起诉意见书"]
    assert c["core"]["share"] == pytest.approx(2 / 3, abs=1e-3)
    assert not c["gradable"] and "3 个文件未能读出文字（b.pdf、c.pdf、坏.pdf）" in c["ungradable_reasons"][0]


@pytest.mark.parametrize("types, stage, gradable", [
    ([V.JUDGMENT, V.INDICTMENT], "审判", True),
    ([V.ARREST_REQUEST], "审查逮捕", True),
    ([V.DETENTION_WARRANT], "侦查", True),
    ([V.OTHER, V.OTHER], "审查起诉", False),      # nothing recognised: the profile's 公诉 → 审查起诉, no core document
    ([], "审查起诉", False),
])
def test_stage_and_core_documents(types, stage, gradable):
    c = cov_mod.coverage(_case([_page("a.pdf", 1)], types))
    assert c["stage"] == stage and c["gradable"] is gradable
    if not gradable:
        assert c["ungradable_reasons"] == [f"未能识别出{stage}阶段的核心文书（{'、'.join(c['core']['missing'])}）"]


def test_another_cases_judgment_does_not_make_the_stage():
    case = _case([_page("a.pdf", 1)], [V.INDICTMENT, V.JUDGMENT])
    case.documents[1].role = "other_case"   # the suspect's earlier judgment, bound in the evidence volume
    assert cov_mod.coverage(case)["stage"] == "审查起诉"


def test_scanned_page_left_unread_makes_it_ungradable_even_in_a_read_file():
    pages = [_page("a.pdf", 1), _page("a.pdf", 2, text="", needs_ocr=True, text_source="none")]
    c = cov_mod.coverage(_case(pages, [V.INDICTMENT]))
    assert not c["unread_files"] and not c["gradable"]
    assert c["ungradable_reasons"] == ["1 页扫描图像未能识别文字（a.pdf 第2页）"]


def test_gate_keeps_points_and_never_passes_an_unread_dossier():
    g = grade([_finding(1)])
    assert g.grade == "合格"
    unread = cov_mod.coverage(_case([_page("a.pdf", 1, text="")], [V.INDICTMENT]))
    gated = gate(g, unread)
    assert gated.grade == UNGRADABLE and gated.points == 1 and gated.reasons == unread["ungradable_reasons"]
    read = cov_mod.coverage(_case([_page("a.pdf", 1)], [V.INDICTMENT]))
    assert gate(g, read) is g and gate(g, None) is g


def _report(pages: list[Page], types: list[str], findings: list[Finding]) -> dict:
    case = _case(pages, types)
    c = cov_mod.coverage(case)
    return build_report(case, findings, gate(grade(findings), c), coverage=c)


def test_report_warns_first_naming_the_file_and_dispositions_keep_the_grade():
    pages = [_page("起诉书.pdf", 1), _page("讯问笔录.pdf", 1, text="\x01\x02\x03\x04")]
    report = _report(pages, [V.INDICTMENT], [_finding(1)])
    assert report["grade"] == UNGRADABLE and report["points"] == 1
    assert report["warnings"][0].startswith("讯问笔录.pdf：未能读出任何文字")
    assert "无法评定" in report["warnings"][1] and "讯问笔录.pdf" in report["warnings"][1]
    assert report["coverage"]["unread_files"][0]["file"] == "讯问笔录.pdf"
    json.dumps(report, ensure_ascii=False)
    disposed = apply_dispositions(report, {"f1": {"status": "误报", "reason": "核实", "by": "甲", "at": "2026-01-01"}})
    assert disposed["points"] == 0 and disposed["grade"] == UNGRADABLE and disposed["grade_reasons"]
    # a dossier that was read is graded as before, also after dispositions
    ok = _report([_page("起诉书.pdf", 1)], [V.INDICTMENT], [_finding(3)])
    assert ok["grade"] == "瑕疵" and ok["grade_reasons"] == [] and ok["coverage"]["gradable"]
    assert apply_dispositions(ok, {"f1": {"status": "误报", "reason": "x"}})["grade"] == "合格"


def test_html_and_notice_show_the_coverage_and_the_reason(tmp_path: Path):
    import docx

    from assistant.render import render_html, render_notice_docx

    report = _report([_page("起诉书.pdf", 1), _page("卷二.pdf", 1, text="")], [V.INDICTMENT], [_finding(1)])
    html = render_html(report)
    assert 'id="coverage"' in html and "读取情况" in html and "文字层 1 页" in html and "无可读文字 1 页" in html
    assert "未能评定等次的原因：1 个文件未能读出文字（卷二.pdf）" in html and "grade-bad" in html
    assert "卷二.pdf：没有文字层" in html
    render_notice_docx(report, tmp_path / "notice.docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "notice.docx")).paragraphs)
    assert "机器建议等次：无法评定（1 个文件未能读出文字（卷二.pdf））" in text


def test_batch_summary_lists_ungradable_dossiers_first_with_coverage():
    read = _report([_page("起诉书.pdf", 1), _page("起诉书.pdf", 2)], [V.INDICTMENT], [_finding(1)])
    unread = _report([_page("起诉书.pdf", 1), _page("卷二.pdf", 1, text="")], [V.INDICTMENT], [])
    rows = [summary_row(read, name="甲案"), summary_row(unread, name="乙案"),
            summary_row(None, name="丙案", status="failed", message="卷宗中没有可读取的文件")]
    header, cells = table(rows)
    body = [dict(zip(header, c)) for c in cells]
    assert [r["卷宗"] for r in body] == ["乙案", "甲案", "丙案"]
    assert body[0]["等次"] == UNGRADABLE and "卷二.pdf" in body[0]["无法评定原因"]
    assert (body[0]["文字层页"], body[0]["无可读文字页"], body[0]["已识别文书"], body[0]["核心文书"]) == (1, 1, 1, "1/3")
    assert (body[1]["文字层页"], body[1]["无可读文字页"], body[1]["无法评定原因"]) == (2, 0, "")
    assert body[2]["文字层页"] == "" and body[2]["状态"] == "无法读取"
    html = render_summary_html(rows)
    assert html.index("乙案") < html.index("甲案") and "无法评定等次 1 份" in html
    assert "无可读文字 1 页" in html
    # rows stored before coverage existed still make a summary
    old = {k: v for k, v in summary_row(read, name="旧案").items()
           if k not in ("text_pages", "ocr_pages", "unread_pages", "docs_recognised", "docs_other", "core",
                        "gradable", "grade_reasons")}
    assert table([old])[1][0][1] == "旧案" and "旧案" in render_summary_html([old])
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *cells])
    assert "无法评定原因" in buf.getvalue()


def test_cli_summary_shows_coverage_and_why_no_grade(tmp_path: Path, monkeypatch):
    from assistant import cli

    report = _report([_page("起诉书.pdf", 1), _page("卷二.pdf", 1, text="")], [V.INDICTMENT], [])
    out = io.StringIO()
    from rich.console import Console

    monkeypatch.setattr(cli, "Console", lambda **kw: Console(file=out, width=200, **kw))
    cli._summary(report, None)
    text = out.getvalue()
    assert "读取情况：共 2 页，文字层 1 页" in text and "未读出文字：卷二.pdf" in text
    assert "建议等次：无法评定" in text and "未能评定等次：1 个文件未能读出文字（卷二.pdf）" in text


def test_a_refused_namesake_in_a_zip_still_counts_as_unread():
    """A zip may hold two members of one name: the one read and a broken one set aside."""
    files = [SourceFile(name="卷.zip/审判卷.pdf", kind="pdf", pages=1),
             SourceFile(name="卷.zip/审判卷.pdf", kind="pdf", error="PDF 文件已损坏，无法读取")]
    c = cov_mod.coverage(_case([_page("卷.zip/审判卷.pdf", 1)], [V.JUDGMENT, V.INDICTMENT], files))
    assert c["unread_files"] == [{"file": "卷.zip/审判卷.pdf", "reason": "PDF 文件已损坏，无法读取"}]
    assert not c["gradable"] and c["pages"]["text_layer"] == 1
