"""Helpers for the web page tests: a stand-in scan function whose report comes from the real
report builder and the real deadline engine for a hand-made case still in progress, with
evidence on the uploaded PDF (so page crops render from the stored dossier) and dossier text
carrying HTML/script (so escaping is tested everywhere it is shown)."""

from __future__ import annotations

import datetime as dt
import re
import time
import zlib
from pathlib import Path

from models import CaseFile, CaseSummary, Document, Evidence, Field, Finding, Person, SourceFile
from models import vocab as V

from assistant.deadlines import compute_deadlines
from assistant.grading import grade
from assistant.report import build_report

HOSTILE = "<script>alert('xss')</script>"
HOSTILE_IMG = '<img src=x onerror="alert(1)">'


def case_number(name: str) -> str:
    """The 案号 of a stand-in dossier: one per dossier name (a rescan under the same name is the same case);
    a name holding ``案号=…`` names it."""
    m = re.search(r"案号=([^_/]+)", name)
    return m.group(1) if m else f"测检刑诉〔2026〕{zlib.crc32(name.encode()) % 9000 + 10}号"


def hostile_case(name: str, pdf_name: str, today: dt.date | None = None) -> tuple[CaseFile, list[Finding]]:
    today = today or dt.date.today()
    detained = today - dt.timedelta(days=2)
    ev = Evidence(document_id="d1", file=pdf_name, page=1, text=f"犯罪嫌疑人{HOSTILE}于{detained.isoformat()}被刑事拘留",
                  bbox=(72.0, 30.0, 320.0, 46.0))
    warrant = Document(id="d1", type=V.DETENTION_WARRANT, title="拘留证", file=pdf_name, pages=[1],
                       fields={V.EXECUTION_TIME: Field(value=f"{detained.isoformat()}T10:20", evidence=[ev]),
                               V.DOC_NUMBER: Field(value="测公(刑)拘字〔2026〕1号")})
    case = CaseFile(
        name=name,
        files=[SourceFile(name=pdf_name, kind="pdf", pages=2)],
        documents=[warrant],
        case=CaseSummary(doc_numbers=[case_number(name)], charges=["盗窃罪"],
                         suspects=[Person(name=f"张三{HOSTILE}", gender="男")], dates={"拘留": detained.isoformat()}),
        warnings=[f"警告文本{HOSTILE_IMG}"],
    )
    findings = [
        Finding(id="aa11bb22cc33", rule_id="SG-001", title="讯问笔录签名", category="签名签章", severity_points=3,
                message=f"讯问笔录第1页缺犯罪嫌疑人签名：{HOSTILE}",
                basis=[{"law": "《中华人民共和国刑事诉讼法》", "article": "第一百二十二条", "quote": "犯罪嫌疑人应当签名或者盖章"}],
                evidence=[ev], grounds=[f"模板“拘留证”，签名栏已定位{HOSTILE_IMG}"], key="k1"),
        Finding(id="dd44ee55ff66", rule_id="DOC-017", title="法律条文引用", category="文书制作", severity_points=2,
                message="起诉书所引刑法条款不完整。",
                basis=[{"law": "《人民检察院刑事诉讼规则》", "article": "第三百五十八条", "quote": ""}],
                evidence=[Evidence(document_id="d1", file=pdf_name, page=2, text="第2页", bbox=None)], key="k2"),
        Finding(id="0a0b0c0d0e0f", rule_id="CON-006", title="提示项", category="一致性", severity_points=1,
                message="提示：文号格式不规范。", preview=True, grounds=["文号“测检刑诉〔2026〕7号”"], key="k3"),
    ]
    return case, findings


def hostile_report(name: str, pdf_name: str) -> dict:
    case, findings = hostile_case(name, pdf_name)
    g = grade([f for f in findings if not f.preview])
    sim = {"expected_sentence_months": 8.0, "actual_sentence_months": 10.0, "deviation": 0.25,
           "neighbours": [{"id": f"cail-{HOSTILE}", "charges": ["盗窃罪"], "sentence_months": 8.0, "similarity": 0.91}]}
    return build_report(case, findings, g, similar=sim, deadlines=compute_deadlines(case))


class _Result:
    def __init__(self, report: dict):
        self.report = report


def web_fake_scan(path, settings=None, profile=None, progress=None, dispositions=None):
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for i, _ in enumerate(files, 1):
        if progress:
            progress("读取页面", i, len(files))
        time.sleep(0.05)
    pdfs = [p for p in files if p.suffix.lower() == ".pdf"]
    pdf_name = pdfs[0].relative_to(path).as_posix() if pdfs and path.is_dir() else "拘留证.pdf"
    report = hostile_report(path.name, pdf_name)
    for f in report["findings"]:
        if dispositions and f["id"] in dispositions:
            f["disposition"] = dispositions[f["id"]]
    return _Result(report)


def unread_report(name: str, pdf_name: str) -> dict:
    """The stand-in report of a dossier with a second file whose text layer is garbled (a font without
    a Unicode map): coverage from the real :mod:`assistant.coverage`, grade gated to 「无法评定」."""
    from models import Line, Page

    from assistant.coverage import coverage
    from assistant.grading import gate

    case, findings = hostile_case(name, pdf_name)
    garbled = "扫描件/第二卷.pdf"
    case.files.append(SourceFile(name=garbled, kind="pdf", pages=1))
    text = "犯罪嫌疑人张三于某日被刑事拘留，现羁押于看守所。"
    case.pages = [Page(file=pdf_name, number=n, width=595, height=842, text=text,
                       lines=[Line(text=text, bbox=(72, 72, 400, 86))]) for n in (1, 2)]
    case.pages.append(Page(file=garbled, number=1, width=595, height=842, text="\x01\x04\x05\x05\x06",
                           lines=[Line(text="\x01\x04\x05\x05\x06", bbox=(72, 72, 200, 86))]))
    cov = coverage(case)
    g = gate(grade([f for f in findings if not f.preview]), cov)
    return build_report(case, findings, g, coverage=cov)


def web_coverage_scan(path, settings=None, profile=None, progress=None, dispositions=None):
    """Like :func:`web_fake_scan`; an upload whose name holds 未读 gets :func:`unread_report`."""
    result = web_fake_scan(path, settings, profile, progress, dispositions)
    if "未读" in Path(path).name or any("未读" in p.name for p in Path(path).rglob("*")):
        pdf_name = next((f["file"] for f in result.report["findings"][0]["evidence"]), "拘留证.pdf")
        result.report = unread_report(Path(path).name, pdf_name)
        for f in result.report["findings"]:
            if dispositions and f["id"] in dispositions:
                f["disposition"] = dispositions[f["id"]]
    return result
