"""Shared helpers for the API and render tests: a contract-valid report built through the
real report builder from a small hand-made case, and a scan function that returns it."""

from __future__ import annotations

import time
from pathlib import Path

from models import CaseFile, CaseSummary, Document, Evidence, Field, Finding, Person, Report, SourceFile
from models import vocab  # noqa: E402

from assistant.grading import grade
from assistant.report import build_report


def sample_case(name: str = "张三盗窃案") -> tuple[CaseFile, list[Finding]]:
    ev = Evidence(document_id="d1", file="起诉书.pdf", page=2, text="犯罪嫌疑人<张三>于2024年3月1日被刑事拘留",
                  bbox=(72.0, 100.5, 400.0, 118.0))
    ind = Document(
        id="d1", type=vocab.INDICTMENT, title="起诉书", file="起诉书.pdf", pages=[1, 2, 3],
        fields={
            vocab.DOC_NUMBER: Field(value="京朝检刑诉〔2024〕123号", evidence=[ev]),
            vocab.DATE: Field(value="2024-05-10"),
            vocab.CHARGES: Field(value=["盗窃罪"]),
            vocab.RECOMMENDATION: Field(value={"kind": "有期徒刑", "months": 10, "suspended": False, "text": ""}),
            vocab.FACTS: Field(value="经依法审查查明：" + "被告人张三多次盗窃。" * 30),
        },
    )
    rec = Document(id="d2", type=vocab.INTERROGATION, title="讯问笔录", file="讯问笔录.pdf", pages=[1, 2],
                   text_source="ocr",
                   fields={vocab.START_TIME: Field(value="2024-03-01T14:20"),
                           vocab.INTERROGATORS: Field(value=["李四"])})
    case = CaseFile(
        name=name,
        files=[SourceFile(name="起诉书.pdf", kind="pdf", pages=3), SourceFile(name="讯问笔录.pdf", kind="pdf", pages=2),
               SourceFile(name="坏文件.pdf", kind="pdf", error="文件已加密，无法读取。")],
        documents=[ind, rec],
        case=CaseSummary(doc_numbers=["京朝检刑诉〔2024〕123号"], charges=["盗窃罪"],
                         suspects=[Person(name="张三", gender="男", birth_date="1990-01-02")],
                         dates={"拘留": "2024-03-01", "起诉": "2024-05-10"}),
        warnings=["讯问笔录.pdf 第2页 OCR 置信度低，未判断签名。"],
    )
    findings = [
        Finding(id="a1b2c3d4e5f6", rule_id="DL-010", title="审查起诉期限", category="期限", severity_points=3,
                message="起诉书（d1）于2024-05-10作出，距受理日2024-03-01已超过一个月。",
                basis=[{"law": "刑事诉讼法", "article": "第一百七十二条", "quote": "人民检察院对于监察机关、公安机关移送起诉的案件，应当在一个月以内作出决定"}],
                evidence=[ev], key="k1"),
        Finding(id="0f0f0f0f0f0f", rule_id="SG-001", title="讯问笔录签名", category="签名签章", severity_points=1,
                message="讯问笔录（d2）第2页被讯问人未签名。", basis=[{"law": "刑事诉讼法", "article": "第一百二十二条", "quote": "签名或者盖章"}],
                evidence=[Evidence(document_id="d2", file="讯问笔录.pdf", page=2, text="被讯问人：<script>alert(1)</script>")],
                key="k2"),
        Finding(id="9e9e9e9e9e9e", rule_id="CON-006", title="提示项", category="一致性", severity_points=1,
                message="提示：文号格式不规范。", preview=True, key="k3"),
    ]
    return case, findings


def sample_report(name: str = "张三盗窃案", similar: bool = True) -> dict:
    case, findings = sample_case(name)
    g = grade([f for f in findings if not f.preview])
    sim = None
    if similar:
        sim = {"expected_sentence_months": 8.0, "actual_sentence_months": 10.0, "deviation": 0.25,
               "neighbours": [{"id": "cail-001", "charges": ["盗窃罪"], "sentence_months": 8.0, "similarity": 0.91}]}
    report = build_report(case, findings, g, similar=sim)
    Report.model_validate(report)
    return report


class _Result:
    def __init__(self, report: dict):
        self.report = report


def fake_scan(path, settings=None, profile=None, progress=None, dispositions=None):
    """Stand-in for ``assistant.pipeline.scan`` in API-mechanics tests: reports progress,
    honours ``dispositions`` and names the dossier after the stored input."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for i, _ in enumerate(files, 1):
        if progress:
            progress("读取页面", i, len(files))
        time.sleep(0.01)
    report = sample_report(name=path.name)
    for f in report["findings"]:
        if dispositions and f["id"] in dispositions:
            f["disposition"] = dispositions[f["id"]]
    return _Result(report)


def slow_fake_scan(path, settings=None, profile=None, progress=None, dispositions=None):
    """Like :func:`fake_scan` but takes ~3 s (20 steps), so a test can kill it mid-scan."""
    for i in range(1, 21):
        if progress:
            progress("读取页面", i, 20)
        time.sleep(0.15)
    return fake_scan(path, settings, profile, None, dispositions)
