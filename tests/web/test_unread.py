"""A dossier the scan could not fully read (issue 24) in the workbench: 「无法评定」 listed first with
its row marked, the case page shows what was read and why no grade is suggested, the grade stays
「无法评定」 after dispositions, and the filters and the dashboard know the grade."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.db import session_factory
from api.main import create_app
from api.web import auth
from api.web.models import create_tables
from tests.web.conftest import PASSWORD, USERS, csrf_of, login, make_cfg


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-unread")
    cfg = make_cfg(tmp)
    cfg = cfg.model_copy(update={"scan_function": "tests.web.support:web_coverage_scan"})
    app = create_app(cfg)
    create_tables(cfg.db_url)
    with session_factory(cfg.db_url)() as s:
        for name, (role, dept) in USERS.items():
            auth.create_user(s, name, PASSWORD, role, department=dept)
    with TestClient(app):
        yield app


def _submit(app, filename: str) -> str:
    from tests.web.conftest import dossier_pdf

    c = login(TestClient(app), "王检察官")
    page = c.get("/selfcheck")
    r = c.post("/selfcheck", data={"csrf_token": csrf_of(page.text)},
               files=[("file", (filename, dossier_pdf(filename), "application/pdf"))], follow_redirects=False)
    assert r.status_code == 303, r.text
    scan_id = r.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if c.get(f"/selfcheck/{scan_id}/status").json()["status"] == "done":
            return scan_id
        time.sleep(0.1)
    raise AssertionError("scan did not finish")


@pytest.fixture(scope="module")
def cases(web):
    unread = _submit(web, "未读卷宗.pdf")   # scanned first: the newest-first list would put it last
    time.sleep(1.1)
    readable = _submit(web, "完整卷宗.pdf")
    return {"unread": unread, "readable": readable}


def test_unread_dossier_is_listed_first_and_marked(web, cases):
    c = login(TestClient(web), "评查员甲")
    html = c.get("/").text
    assert html.index(cases["unread"]) < html.index(cases["readable"])
    row = html[html.rindex("<tr", 0, html.index(cases["unread"])):html.index("</tr>", html.index(cases["unread"]))]
    assert 'class="ungraded"' in row and "无法评定" in row
    # the grade is a filter option, and filtering by it keeps only that dossier
    assert ">无法评定</option>" in html
    only = c.get("/", params={"grade": "无法评定"}).text
    assert cases["unread"] in only and cases["readable"] not in only


def test_case_page_shows_coverage_and_the_reason(web, cases):
    c = login(TestClient(web), "评查员甲")
    html = c.get(f"/cases/{cases['unread']}").text
    assert 'id="grade">无法评定<' in html
    assert 'id="grade-reasons"' in html and "1 个文件未能读出文字（扫描件/第二卷.pdf）" in html
    assert 'id="coverage"' in html and "读取情况" in html and "文字层 2 页" in html and "无可读文字 1 页" in html
    assert "未读出文字：扫描件/第二卷.pdf" in html
    # the evaluator's conclusion is not preset to a grade the machine did not suggest
    assert '<option value="" selected disabled>请选择</option>' in html
    readable = c.get(f"/cases/{cases['readable']}").text
    assert '<option value="" selected disabled>请选择</option>' not in readable
    assert 'id="grade-reasons"' not in readable and 'id="grade">无法评定<' not in readable


def test_grade_stays_ungradable_after_dispositions(web, cases):
    c = login(TestClient(web), "评查员甲")
    page = c.get(f"/cases/{cases['unread']}")
    for fid in ("aa11bb22cc33", "dd44ee55ff66"):
        r = c.post(f"/cases/{cases['unread']}/findings/{fid}/disposition",
                   data={"csrf_token": csrf_of(page.text), "status": "误报", "reason": "核实无误"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        page = c.get(f"/cases/{cases['unread']}")
    assert 'id="points">0 分' in page.text and 'id="grade">无法评定<' in page.text
    report = c.get(f"/cases/{cases['unread']}/report.json").json()
    assert report["grade"] == "无法评定" and report["grade_reasons"]


def test_dashboard_counts_ungradable(web, cases):
    c = login(TestClient(web), "评查员甲")
    html = c.get("/dashboard").text
    assert "无法评定" in html
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(c.get("/dashboard/grade.xlsx").content)).active.iter_rows(values_only=True))
    machine = rows[0].index("机器建议（件）")  # the machine's suggestion, beside the evaluators' conclusions
    counts = {r[0]: r[machine] for r in rows[1:]}
    assert counts.get("无法评定") == 1
