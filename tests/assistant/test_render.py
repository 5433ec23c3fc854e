"""HTML report and DOCX notice rendering from one report dict (built by the real report builder)."""

from __future__ import annotations

import io
import re

import docx
import pytest
from docx.oxml.ns import qn

from assistant.render import case_name, format_value, notice_rows, render_html, render_notice_docx
from tests.api.api_support import sample_report


@pytest.fixture(scope="module")
def report():
    return sample_report()


def test_html_is_self_contained_and_escaped(report):
    html = render_html(report)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "犯罪嫌疑人&lt;张三&gt;" in html
    assert not re.search(r"""(src|href)=["']https?://""", html) and "<link" not in html
    assert "@media print" in html


def test_html_header_and_findings(report):
    html = render_html(report)
    for text in ("张三盗窃案", "3 个", "建议等次", report["grade"], f"{report['points']} 分", "重点评查", "盗窃罪"):
        assert text in html
    for i, f in enumerate(report["findings"], 1):
        assert f["message"] in html
        row_anchor = f"f-p{i}-{f['id']}"
        assert f'id="{row_anchor}"' in html
        for j, e in enumerate(f["evidence"], 1):
            assert f'href="#e-p{i}-{f["id"]}-{j}"' in html and f'id="e-p{i}-{f["id"]}-{j}"' in html
            assert f"第{e['page']}页" in html
    assert "刑事诉讼法第一百七十二条" in html and "应当在一个月以内作出决定" in html
    assert "[72.0, 100.5, 400.0, 118.0]" in html


def test_html_other_sections(report):
    html = render_html(report)
    assert "提示（不计分）" in html and "提示：文号格式不规范。" in html
    assert "识别的文书" in html and "京朝检刑诉〔2024〕123号" in html and "OCR 识别" in html and "第1–3页" in html
    assert "有期徒刑，10个月" in html
    assert "类案比对" in html and "cail-001" in html and "+25.0%" in html and "0.910" in html
    assert "坏文件.pdf：文件已加密" in html or "文件 坏文件.pdf" in html
    assert "OCR 置信度低" in html


def test_html_without_optional_sections():
    r = sample_report(similar=False)
    r["hints"], r["warnings"], r["file_errors"], r["findings"] = [], [], [], []
    html = render_html(r)
    assert "类案比对" not in html and "提示（不计分）" not in html and "警告" not in html
    assert "未发现计分问题" in html and "三、识别的文书" in html


def test_html_shows_dispositions(report):
    r = dict(report)
    r["findings"] = [dict(report["findings"][0], disposition={"status": "误报", "reason": "已依法延长", "by": "评查员甲"})]
    html = render_html(r)
    assert "处置：<b>误报</b>（已依法延长）" in html and "disp-x" in html


def test_notice_docx_follows_template(report):
    buf = io.BytesIO()
    render_notice_docx(report, buf)
    d = docx.Document(io.BytesIO(buf.getvalue()))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "案件质量评查结果通知书" in text
    assert "（部门或某人民检察院）：" in text
    assert "经检察长（或者检察委员会）审查确认，评查结果等次为" in text
    assert "三十日以内将整改情况书面回复我办（处、科）" in text
    assert "附件：案件质量评查问题清单" in text and "评查组织部门（盖章）" in text
    assert "张三盗窃案质量评查问题清单" in text
    assert f"评查结果等次为{report['grade']}" not in text, "the grade is left blank for the decision"
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "问题描述", "依\u3000据"]
    assert len(table.rows) == 1 + len(report["findings"])
    assert table.rows[1].cells[1].text.startswith(report["findings"][0]["message"])
    assert "刑事诉讼法第一百七十二条" in table.rows[1].cells[2].text
    rfonts = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "仿宋"


def test_notice_blanks_and_dismissed_findings(report):
    r = dict(report)
    r["findings"] = [dict(report["findings"][0], disposition={"status": "不适用", "reason": "x"}), report["findings"][1]]
    assert len(notice_rows(r)) == 1
    buf = io.BytesIO()
    render_notice_docx(r, buf, procuratorate="北京市朝阳区", grade="瑕疵案件", organizer="案件管理部", date="2026年11月22日")
    d = docx.Document(io.BytesIO(buf.getvalue()))
    text = "\n".join(p.text for p in d.paragraphs)
    assert text.startswith("北京市朝阳区人民检察院") and "评查结果等次为瑕疵案件" in text and "2026年11月22日" in text
    assert len(d.tables[0].rows) == 2
    with pytest.raises(TypeError):
        render_notice_docx(r, io.BytesIO(), unknown_blank="x")


def test_case_name_and_values(report):
    assert case_name(report) == "张三盗窃"
    assert format_value(["盗窃罪", "诈骗罪"]) == "盗窃罪、诈骗罪"
    assert format_value("2024-03-01T14:20") == "2024-03-01 14:20"
    assert format_value({"name": "张三", "role": "被告人"}) == "张三（被告人）"
    assert format_value(True) == "是"
