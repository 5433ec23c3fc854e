"""Issue 22, the evaluator's workbench through the ASGI app: long names, sign-in throttling and the
password policy, error pages (never JSON, never a 500, always a way back), evidence crops and zones,
依据 links, the review workflow (the key-finding guard, 退回整改 → 复核 with history, cases grouped by
案号), the dashboard's figures, sortable and exportable lists, and the smaller items."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from api.db import AuditEntry, session_factory
from api.main import create_app
from api.web import auth
from api.web.models import create_tables
from tests.web.conftest import PASSWORD, USERS, client_for, csrf_of, dossier_pdf, make_cfg


def _wait(c: TestClient, scan_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        s = c.get(f"/selfcheck/{scan_id}/status", headers={"Accept": "application/json"}).json()
        if s["status"] in ("done", "failed"):
            assert s["status"] == "done", s
            return
        time.sleep(0.1)
    raise AssertionError("scan did not finish")


def upload(c: TestClient, filename: str, name: str = "", content: bytes | None = None) -> str:
    page = c.get("/selfcheck")
    r = c.post("/selfcheck", data={"csrf_token": csrf_of(page.text), "name": name},
               files=[("file", (filename, content or dossier_pdf(filename), "application/pdf"))], follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    scan_id = r.headers["location"].rsplit("/", 1)[-1]
    _wait(c, scan_id)
    return scan_id


def _is_page(r) -> None:
    assert r.headers["content-type"].startswith("text/html"), (r.status_code, r.headers["content-type"], r.text[:200])
    assert r.status_code < 500, r.text[:500]
    assert "<html" in r.text and not r.text.lstrip().startswith("{")


# --- defect 1: long names ------------------------------------------------------------------------

def test_long_names_are_accepted_and_leave_no_orphan_folders(web):
    c = client_for(web, "王检察官")
    scans = web["cfg"].storage_dir / "scans"
    before = {p.name for p in scans.iterdir()}
    long_name = "张三涉嫌盗窃、诈骗、掩饰隐瞒犯罪所得一案审查起诉阶段电子卷宗（含补充侦查材料）" * 4  # 164 characters
    assert len(long_name) > 85 and len(long_name.encode()) > 255
    sid = upload(c, "起诉书" * 60 + ".pdf", name=long_name)  # a 180-character (540-byte) file name too
    page = c.get(f"/cases/{sid}")
    assert page.status_code == 200 and long_name in page.text
    after = {p.name for p in scans.iterdir()}
    assert after - before == {sid}  # the scan's own folder only
    for p in (scans / sid).rglob("*"):
        assert len(p.name.encode()) <= 255
    assert not any((web["cfg"].storage_dir / "tmp").iterdir())
    row = re.search(rf'<tr data-scan="{sid}"[^>]*>(.*?)</tr>', client_for(web, "评查员甲").get("/").text, re.S).group(1)
    assert 'class="name"' in row and f'title="{long_name}"' in row


def test_refused_upload_shows_its_message_once_with_the_form(web):
    c = client_for(web, "王检察官")
    page = c.get("/selfcheck")
    r = c.post("/selfcheck", data={"csrf_token": csrf_of(page.text)},
               files=[("file", ("坏文件.pdf", b"%PDF-1.4 this is not a pdf", "application/pdf"))])
    _is_page(r)
    assert r.status_code in (413, 415, 422)
    box = re.search(r'<div class="error" role="alert" id="upload-error">(.*?)</div>', r.text, re.S).group(1)
    assert "坏文件.pdf" in box and box.count("坏文件.pdf") == 1
    assert 'id="upload-form"' in r.text  # the form again: the way back is right there


# --- defect 2: throttling and passwords ------------------------------------------------------------

@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    """An app with a 3-second lockout, so that a test can watch a lock end."""
    tmp = tmp_path_factory.mktemp("throttle")
    cfg = make_cfg(tmp).model_copy(update={"login_lockout_s": 3, "login_max_failures_per_address": 25})
    app = create_app(cfg, start_workers=False)
    create_tables(cfg.db_url)
    with session_factory(cfg.db_url)() as s:
        for name, (role, dept) in USERS.items():
            auth.create_user(s, name, PASSWORD, role, department=dept)
    return app, cfg


def _client(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def _try(c: TestClient, username: str, password: str):
    page = c.get("/login")
    return c.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text),
                                  "next": "/"}, follow_redirects=False)


def test_ten_wrong_passwords_lock_the_account(throttled):
    app, cfg = throttled
    c = _client(app, "10.0.0.1")
    for i in range(9):
        r = _try(c, "评查员甲", f"wrong-{i}")
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = _try(c, "评查员甲", "wrong-9")
    assert r.status_code == 429 and "已被暂时锁定" in r.text and r.headers["retry-after"]
    r = _try(c, "评查员甲", PASSWORD)  # the right password does not open a locked account
    assert r.status_code == 429 and "该账号已被暂时锁定" in r.text
    assert _try(_client(app, "10.0.0.2"), "王检察官", PASSWORD).status_code == 303  # other accounts are not locked
    with session_factory(cfg.db_url)() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.target == "评查员甲"))]
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "web.login_failed")).copy()
    assert actions.count("web.login_failed") == 10 and "web.account_locked" in actions and "web.login_locked" in actions
    assert detail["address"] and PASSWORD not in str(detail)
    time.sleep(3.2)  # the configured lockout ends
    assert _try(c, "评查员甲", PASSWORD).status_code == 303


def test_admin_lifts_a_lock(throttled):
    app, cfg = throttled
    c = _client(app, "10.0.0.3")
    for i in range(10):
        _try(c, "李检察官", f"nope-{i}")
    assert _try(c, "李检察官", PASSWORD).status_code == 429
    admin = _client(app, "10.0.0.4")
    assert _try(admin, "admin", PASSWORD).status_code == 303
    page = admin.get("/admin/users")
    row = re.search(r'<tr data-user="李检察官">(.*?)</tr>', page.text, re.S).group(1)
    assert "登录已锁定" in row
    uid = re.search(r'/admin/users/(\d+)/unlock', row).group(1)
    r = admin.post(f"/admin/users/{uid}/unlock", data={"csrf_token": csrf_of(page.text)})
    assert "已解除用户 李检察官 的登录锁定" in r.text
    assert _try(c, "李检察官", PASSWORD).status_code == 303


def test_one_address_trying_many_accounts_is_locked(throttled):
    app, _ = throttled
    c = _client(app, "10.0.0.5")
    codes = [_try(c, f"猜测用户{i}", "x-wrong-password").status_code for i in range(25)]
    assert codes[:24] == [401] * 24 and codes[24] == 429
    r = _try(c, "admin", PASSWORD)
    assert r.status_code == 429 and "本机地址已被暂时锁定" in r.text


def test_password_policy_is_configurable():
    weak = auth.PasswordPolicy()
    assert weak.problem("12345678") and "至少 10 位" in weak.problem("12345678")
    assert "强度不足" in weak.problem("password1234")
    assert "强度不足" in weak.problem("评查员甲评查员甲评查员甲1", "评查员甲")
    assert weak.problem(PASSWORD) is None
    assert auth.PasswordPolicy(min_length=6, min_score=0).problem("12345678") is None


# --- defect 3: error pages -------------------------------------------------------------------------

BROWSER_PATHS = [
    "/?page=abc", "/?page=-5&sort=nope&dir=x", "/?date_from=2024-13-45&points_min=abc&closed_from=x", "/nope",
    "/cases/does-not-exist", "/cases/x/report.json", "/cases/x/notice.docx", "/cases/x/report.html",
    "/cases/x/findings/y/evidence/abc/crop.png", "/cases/x/findings/y/evidence/0/other.png",
    "/selfcheck/does-not-exist", "/dashboard/nope.xlsx", "/dashboard?closed_from=abc&department=%00",
    "/rules/NOPE-1", "/rules/" + "A" * 300, "/admin/audit.pdf", "/cases.pdf", "/static/nope.css", "/login?next=//evil",
    "/cases/%00", "/cases/" + "案" * 500, "/deadlines?x=%FF",
]


def test_browser_routes_answer_pages_never_json_or_500(web):
    c = client_for(web, "评查员甲")
    for path in BROWSER_PATHS:
        r = c.get(path, headers={"Accept": "text/html"})
        if path.startswith("/static/"):
            assert r.status_code == 404
            continue
        _is_page(r)
    r = c.get("/logout")  # a POST route fetched with GET
    _is_page(r)
    assert r.status_code == 405 and "返回案件列表" in r.text
    r = c.get("/nope")
    assert 'id="error-home"' in r.text and 'id="whoami"' in r.text  # signed in: the header and a way back
    r = c.get("/cases/does-not-exist", headers={"Referer": "http://testserver/?q=x"})
    assert 'href="/?q=x"' in r.text and "返回上一页" in r.text
    # without a session: to the sign-in page, never JSON
    anon = TestClient(web["app"])
    for path in ("/nope", "/?page=abc"):
        r = anon.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
        _is_page(r)
    # forms posted with garbage, without a token, or in another encoding
    for path in ("/login", "/logout", "/selfcheck", "/cases/x/conclusion", "/cases/x/return", "/cases/x/resubmit",
                 "/cases/x/findings/y/disposition", "/admin/users", "/admin/users/1/unlock", "/admin/users/abc/disable",
                 "/dashboard"):
        for kwargs in [{"data": {"csrf_token": "x" * 5000, "grade": "\x00" * 50}},
                       {"content": b"\xff\xfe" * 100, "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
                       {"json": {"a": 1}}]:
            headers = {**kwargs.pop("headers", {}), "Accept": "text/html"}
            r = c.post(path, **kwargs, headers=headers)
            _is_page(r)
    # the API keeps answering JSON
    assert anon.get("/v1/nope").headers["content-type"].startswith("application/json")


def test_progress_status_is_json_for_the_script_and_a_page_for_a_browser(web):
    c = client_for(web, "王检察官")
    sid = upload(c, "进度.pdf")
    assert c.get(f"/selfcheck/{sid}/status", headers={"Accept": "application/json"}).json()["unit"] in ("页", "个文件")
    r = c.get(f"/selfcheck/{sid}/status", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/selfcheck/{sid}"


# --- defect 4: evidence crops ----------------------------------------------------------------------

def test_crops_are_thumbnails_and_the_page_viewer_pages(web):
    ev = client_for(web, "评查员甲")
    sid = upload(client_for(web, "王检察官"), "裁剪.pdf")
    case = ev.get(f"/cases/{sid}").text
    crop_url = re.search(r'<img src="([^"]+/crop\.png)"', case).group(1)
    crop = Image.open(io.BytesIO(ev.get(crop_url).content))
    assert crop.width <= 720 and crop.height <= 420
    base = crop_url.replace("crop.png", "page.png")
    page1 = Image.open(io.BytesIO(ev.get(base).content)).convert("RGB")
    page2 = Image.open(io.BytesIO(ev.get(base + "?page=2").content)).convert("RGB")
    reds = lambda im: sum(1 for px in im.getdata() if px[0] > 200 and px[1] < 60 and px[2] < 60)  # noqa: E731
    assert reds(page1) > 300 and reds(page2) == 0  # the evidence page is highlighted, the next one plain
    assert 'data-viewer="' in case and 'data-pages="2"' in case and 'id="viewer"' in case
    r = ev.get(base + "?page=9")
    _is_page(r)
    assert r.status_code == 404


def test_slot_zone_is_found_from_the_unfilled_slot():
    from api.web.routes.case import slot_zone

    report = {"documents": [{"id": "d8", "slots": [
        {"role": "检察官署名", "kind": "name", "file": "起诉书.pdf", "page": 2, "filled": True, "bbox": [432, 450, 602, 499]},
        {"role": "院印", "kind": "seal", "file": "起诉书.pdf", "page": 2, "filled": False, "bbox": [300, 412, 520, 597]}]}]}
    finding = {"rule_id": "SG-007", "evidence": []}
    assert slot_zone(report, finding, {"document_id": "d8", "file": "起诉书.pdf", "page": 2,
                                       "bbox": [337, 522, 482, 537]}) == (2, [300, 412, 520, 597])
    # evidence without page or box (the slot was located, nothing found): the zone gives both
    assert slot_zone(report, finding, {"document_id": "d8", "file": "起诉书.pdf", "page": None, "bbox": None})[0] == 2
    assert slot_zone(report, {"rule_id": "DL-001"}, {"document_id": "d8"}) is None


def test_docx_evidence_shows_its_text(tmp_path):
    import docx

    from api.web.crops import text_context

    d = docx.Document()
    d.add_paragraph("长春市朝阳区人民检察院")
    d.add_paragraph("本院认为，被告人张三的行为触犯了《中华人民共和国刑法》第一百七十七条之一，应当以盗窃罪追究其刑事责任。")
    d.save(tmp_path / "公诉文书.docx")
    got = text_context(tmp_path, tmp_path / "cache", "公诉文书.docx", "《中华人民共和国刑法》第一百七十七条之一，")
    assert got and got[1].startswith("《中华人民共和国刑法》") and "被告人张三" in got[0] and "盗窃罪" in got[2]


# --- defect 5: 依据 ------------------------------------------------------------------------------

def test_findings_link_their_rule_page(web):
    ev = client_for(web, "评查员甲")
    sid = upload(client_for(web, "王检察官"), "依据.pdf")
    case = ev.get(f"/cases/{sid}").text
    assert 'href="/rules/SG-001"' in case
    rule = ev.get("/rules/SG-001")
    assert rule.status_code == 200 and "讯问笔录" in rule.text and "第一百二十二条" in rule.text


# --- defect 6: the review workflow --------------------------------------------------------------------

def _conclude(c: TestClient, sid: str, **data):
    page = c.get(f"/cases/{sid}")
    return c.post(f"/cases/{sid}/conclusion", data={"csrf_token": csrf_of(page.text), **data})


def test_conclusion_over_undisposed_key_findings_needs_an_override(web, monkeypatch):
    ev = client_for(web, "评查员甲")
    sid = upload(client_for(web, "王检察官"), "重点.pdf", name="重点评查案")
    # the stand-in report's SG-001 finding counts as a key-review trigger here
    from api.web import review

    real = review.undisposed_key_findings
    monkeypatch.setattr(review, "undisposed_key_findings",
                        lambda report: [f for f in report.get("findings") or []
                                        if f.get("rule_id") == "SG-001" and not (f.get("disposition") or {}).get("status")]
                        or real(report))
    page = ev.get(f"/cases/{sid}")
    assert 'id="undisposed-warning"' in page.text
    r = _conclude(ev, sid, grade="合格", opinion="")
    assert "评查结论未保存" in r.text and "SG-001" in r.text and 'id="conclusion-current"' not in r.text
    r = _conclude(ev, sid, grade="合格", override="1", override_reason="")
    assert "评查结论未保存" in r.text
    r = _conclude(ev, sid, grade="合格", override="1", override_reason="签名页另卷装订，已电话核实")
    assert 'id="conclusion-current"' in r.text and "签名页另卷装订" in r.text
    with session_factory(web["cfg"].db_url)() as s:
        e = s.scalar(select(AuditEntry).where(AuditEntry.action == "web.conclusion_override", AuditEntry.target == sid))
    assert e is not None and e.detail["override_reason"] == "签名页另卷装订，已电话核实"
    # once disposed, no override is needed
    page = ev.get(f"/cases/{sid}")
    ev.post(f"/cases/{sid}/findings/aa11bb22cc33/disposition", data={"csrf_token": csrf_of(page.text), "status": "确认"})
    assert 'id="conclusion-current"' in _conclude(ev, sid, grade="瑕疵").text


def test_return_rectify_recheck_loop_with_history(web):
    ev, wang = client_for(web, "评查员甲"), client_for(web, "王检察官")
    sid = upload(wang, "整改.pdf", name="案号=测检刑诉〔2026〕501号_第一次")
    page = ev.get(f"/cases/{sid}")
    r = ev.post(f"/cases/{sid}/return", data={"csrf_token": csrf_of(page.text), "note": ""})
    assert "须写明需要整改的内容" in r.text
    r = ev.post(f"/cases/{sid}/return", data={"csrf_token": csrf_of(page.text), "note": "补齐讯问笔录签名"})
    assert '<strong id="flow-status" class="st">退回整改</strong>' in r.text
    assert "退回整改" in re.search(rf'<tr data-scan="{sid}"[^>]*>(.*?)</tr>', ev.get("/").text, re.S).group(1)
    # the prosecutor reports it rectified
    page = wang.get(f"/cases/{sid}")
    assert 'id="resubmit-form"' in page.text
    r = wang.post(f"/cases/{sid}/resubmit", data={"csrf_token": csrf_of(page.text), "note": "已补签"})
    assert '<strong id="flow-status" class="st">待复核</strong>' in r.text
    # … and uploads the rectified dossier: same 案号, one case, newest scan shown
    sid2 = upload(wang, "整改后.pdf", name="案号=测检刑诉〔2026〕501号_第二次")
    lst = ev.get("/?case_no=501").text
    assert sid2 in lst and sid not in lst and "共 2 次扫描" in lst
    case2 = ev.get(f"/cases/{sid2}").text
    assert "同一案号的其他扫描" in case2 and "待复核" in case2
    r = _conclude(ev, sid2, grade="合格", opinion="整改到位")
    hist = re.search(r'<table class="grid" id="history">(.*?)</table>', r.text, re.S).group(1)
    steps = re.findall(r"<tr><td[^>]*>[^<]*</td><td>[^<]*</td><td>([^<：]+)", hist)  # the 操作 column, newest first
    assert steps == ["复核结论", "提请复核", "退回整改"]
    assert "已评查" in re.search(rf'<tr data-scan="{sid2}"[^>]*>(.*?)</tr>', ev.get("/").text, re.S).group(1)
    # the 期限预警 page lists the case once
    assert ev.get("/deadlines").text.count(f"/cases/{sid}\"") == 0


def test_prosecutor_cannot_return_or_conclude(web):
    wang = client_for(web, "王检察官")
    sid = upload(wang, "无权.pdf")
    page = wang.get(f"/cases/{sid}")
    for path in ("return", "conclusion"):
        r = wang.post(f"/cases/{sid}/{path}", data={"csrf_token": csrf_of(page.text), "note": "x", "grade": "合格"})
        assert r.status_code == 403


# --- dashboard, lists, audit, smaller items ---------------------------------------------------------

def test_dashboard_grades_by_conclusion_and_rules_without_dismissed(web):
    ev = client_for(web, "评查员甲")
    sid = upload(client_for(web, "李检察官"), "看板.pdf", name="看板案")
    page = ev.get(f"/cases/{sid}")
    ev.post(f"/cases/{sid}/findings/dd44ee55ff66/disposition",
            data={"csrf_token": csrf_of(page.text), "status": "误报", "reason": "已引用"})
    _conclude(ev, sid, grade="优质")
    wb = load_workbook(io.BytesIO(ev.get("/dashboard/grade.xlsx").content)).active
    rows = list(wb.values)
    heads = rows[0]
    final = {r[0]: r[heads.index("评查结论（件）")] for r in rows[1:]}
    assert final.get("优质", 0) >= 1
    dash = ev.get("/dashboard").text
    total = int(re.search(r'<strong id="total-findings">(\d+)</strong>', dash).group(1))
    rule_rows = list(load_workbook(io.BytesIO(ev.get("/dashboard/rule.xlsx").content)).active.values)
    n_col = rule_rows[0].index("问题数")
    assert sum(r[n_col] for r in rule_rows[1:]) == total  # the per-rule table agrees with the headline
    months = list(load_workbook(io.BytesIO(ev.get("/dashboard/month.xlsx").content)).active.values)
    assert months[0][0] == "办结月份"


def test_list_sorts_and_exports(web):
    ev = client_for(web, "评查员甲")
    upload(client_for(web, "王检察官"), "排序一.pdf")
    by_points = ev.get("/?sort=points&dir=asc").text
    pts = [int(x) for x in re.findall(r'<td class="points">(\d+)</td>', by_points)]
    assert pts == sorted(pts) and len(pts) >= 2
    assert "▲" in by_points
    x = load_workbook(io.BytesIO(ev.get("/cases.xlsx?sort=points&dir=desc").content)).active
    rows = list(x.values)
    assert rows[0][:2] == ("案号", "卷宗") and len(rows) - 1 == int(re.search(r"共 (\d+) 件", ev.get("/").text).group(1))
    body = ev.get("/cases.csv").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body)))[0] == "案号"


def test_audit_log_in_chinese_with_filter_and_export(web):
    admin = client_for(web, "admin")
    page = admin.get("/admin/users?action=web.login").text
    table = re.search(r'<table class="grid" id="audit">(.*?)</table>', page, re.S).group(1)
    actions = set(re.findall(r'data-action="([^"]+)"', table))
    assert actions == {"web.login"} and "<td>登录</td>" in table and "用户 " in table
    assert "evaluator" not in table and "u:" not in table
    x = load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?action=web.login").content)).active
    rows = list(x.values)
    assert rows[0] == ("时间", "操作人", "角色", "操作", "对象", "详情") and {r[3] for r in rows[1:]} == {"登录"}
    assert client_for(web, "评查员甲").get("/admin/audit.xlsx").status_code == 403


def test_smaller_items(web):
    ev = client_for(web, "评查员甲")
    sid = upload(client_for(web, "王检察官"), "细节.pdf")
    r = ev.get(f"/cases/{sid}/report.html")
    assert r.headers["content-disposition"].startswith("inline") and "unsafe-inline" in r.headers["content-security-policy"]
    assert ev.get(f"/cases/{sid}/report.html?download=1").headers["content-disposition"].startswith("attachment")
    case = ev.get(f"/cases/{sid}").text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", re.sub(r"<[^>]+>", "", case))  # no raw ISO times
    assert "案情摘要" in case and "匹配原因" in case and "案情文字相似度 91%" in case  # neighbours: why they match
    progress = client_for(web, "王检察官").get(f"/selfcheck/{sid}", follow_redirects=False)
    assert progress.status_code == 303  # finished: straight to the case page


def test_notice_header_names_the_known_procuratorate():
    import docx

    from assistant.render import render_notice_docx

    report = {"documents": [{"type": "讯问笔录", "role": "case", "fields": {"issuer": {"value": "某市公安局"}}},
                            {"type": "起诉书", "role": "case", "fields": {"issuer": {"value": "长春市朝阳区人民检察院"}}}],
              "findings": [], "case": {}}
    buf = io.BytesIO()
    render_notice_docx(report, buf)
    assert docx.Document(io.BytesIO(buf.getvalue())).paragraphs[0].text == "长春市朝阳区人民检察院"
    buf = io.BytesIO()
    render_notice_docx({"documents": [], "findings": [], "case": {}}, buf)
    assert docx.Document(io.BytesIO(buf.getvalue())).paragraphs[0].text.startswith("＿")


def test_batch_case_takes_the_manifest_case_number_closing_date_and_department(web):
    """A batch dossier sits in a folder named like ``text`` or ``text-2``: the list names it by the
    manifest's 案号 and takes the manifest's 办结日期 and 部门."""
    import shutil

    from api.batch import Batch, BatchItem, batch_sessions
    from api.db import Scan

    ev = client_for(web, "评查员甲")
    src = upload(client_for(web, "王检察官"), "批量来源.pdf")
    storage = web["cfg"].storage_dir
    with session_factory(web["cfg"].db_url)() as s:
        orig = s.get(Scan, src)
        sid = "b" * 16
        folder = storage / "scans" / sid / "text-2"
        shutil.copytree(orig.input_path, folder)
        report = storage / "scans" / sid / "report.json"
        shutil.copy(orig.report_path, report)
        batch_sessions(web["cfg"].db_url)
        s.add(Scan(id=sid, content_hash="b" * 64, dossier_key="batch-key", name="text-2", status="done",
                   input_path=str(folder), report_path=str(report), files=1, pages=2))
        s.add(Batch(id="batch1", name="清单", source="/x/清单.xlsx"))
        s.flush()
        s.add(BatchItem(id="item1", batch_id="batch1", path=str(folder), name="text-2", scan_id=sid, status="done",
                        meta={"case_number": "测检刑诉〔2026〕900号", "closed": "2026/3/5", "department": "第三检察部"}))
        s.commit()
    row = re.search(rf'<tr data-scan="{sid}"[^>]*>(.*?)</tr>', ev.get("/").text, re.S).group(1)
    assert "测检刑诉〔2026〕900号" in row and "text-2" not in row and "2026-03-05" in row and "第三检察部" in row
