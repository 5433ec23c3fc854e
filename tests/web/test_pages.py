"""The web pages through the ASGI app: sessions, roles, CSRF, escaping, crops, dispositions,
conclusions, exports and the API keys that keep working beside them."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys

import docx
import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from api.db import AuditEntry, session_factory
from api.web.models import User
from tests.web.conftest import PASSWORD, client_for, csrf_of, submit_as
from tests.web.support import HOSTILE

PAGES = ["/", "/selfcheck", "/deadlines", "/dashboard", "/admin/users", "/cases/whatever"]


@pytest.fixture(scope="module")
def cases(web):
    """Two finished cases: one of 王检察官, one of 李检察官."""
    return {"wang": submit_as(web, "王检察官", "王案"), "li": submit_as(web, "李检察官", "李案")}


def test_no_page_without_session(web):
    c = client_for(web)
    for path in PAGES + ["/dashboard/rule.xlsx", "/cases/x/report.json"]:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next="), path
    r = c.post("/selfcheck", data={}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_login_cookie_and_csrf(web, caplog):
    c = client_for(web)
    page = c.get("/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    token = csrf_of(page.text)
    # no CSRF token: refused before the password is even checked
    r = c.post("/login", data={"username": "王检察官", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    with caplog.at_level(logging.DEBUG):
        bad = c.post("/login", data={"username": "王检察官", "password": "wrong-password-1", "csrf_token": token})
        assert bad.status_code == 401 and "用户名或密码错误" in bad.text
        ok = c.post("/login", data={"username": "王检察官", "password": PASSWORD, "csrf_token": csrf_of(bad.text)},
                    follow_redirects=False)
    assert ok.status_code == 303
    cookie = next(v for k, v in ok.headers.multi_items() if k == "set-cookie" and v.startswith("pc_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert PASSWORD not in caplog.text and "wrong-password-1" not in caplog.text
    with session_factory(web["cfg"].db_url)() as s:
        audit_text = " ".join(f"{e.action} {e.target} {e.detail}" for e in s.scalars(select(AuditEntry)))
        hashes = [u.password_hash for u in s.scalars(select(User))]
    assert PASSWORD not in audit_text and "wrong-password-1" not in audit_text
    assert all(h.startswith("$argon2") and PASSWORD not in h for h in hashes)
    assert c.get("/").status_code == 200
    # sign-out ends the session
    home = c.get("/")
    out = c.post("/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_prosecutor_sees_only_own_cases(web, cases):
    wang = client_for(web, "王检察官")
    lst = wang.get("/")
    assert cases["wang"] in lst.text and cases["li"] not in lst.text
    r = wang.get(f"/cases/{cases['li']}")
    assert r.status_code == 403 and "无权查看" in r.text and "<html" in r.text
    for sub in ("report.json", "notice.docx", "findings/aa11bb22cc33/evidence/0/crop.png"):
        assert wang.get(f"/cases/{cases['li']}/{sub}").status_code == 403
    assert wang.get(f"/cases/{cases['wang']}").status_code == 200
    ev = client_for(web, "评查员甲").get("/")
    assert cases["wang"] in ev.text and cases["li"] in ev.text
    # prosecutors cannot record dispositions
    page = wang.get(f"/cases/{cases['wang']}")
    r = wang.post(f"/cases/{cases['wang']}/findings/aa11bb22cc33/disposition",
                  data={"csrf_token": csrf_of(page.text), "status": "确认"})
    assert r.status_code == 403


def test_forms_without_csrf_are_refused(web, cases):
    ev = client_for(web, "评查员甲")
    for path, data in ((f"/cases/{cases['wang']}/findings/aa11bb22cc33/disposition", {"status": "误报", "reason": "x"}),
                       (f"/cases/{cases['wang']}/conclusion", {"grade": "合格"}),
                       ("/logout", {}),
                       ("/selfcheck", {})):
        r = ev.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text, path
        r = ev.post(path, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403, path
    admin = client_for(web, "admin")
    r = admin.post("/admin/users", data={"username": "x1", "password": "longenough1", "role": "evaluator"})
    assert r.status_code == 403
    assert "已撤销" not in ev.get(f"/cases/{cases['wang']}").text
    assert "已处置" not in ev.get(f"/cases/{cases['wang']}").text


def _no_raw_html(text: str) -> None:
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(" in text


def test_dossier_html_is_escaped_everywhere(web, cases):
    ev = client_for(web, "评查员甲")
    lst = ev.get("/?q=" + "张三")
    _no_raw_html(lst.text)
    case = ev.get(f"/cases/{cases['wang']}")
    _no_raw_html(case.text)
    assert "&lt;img src=x onerror=" in case.text  # warning and grounds
    assert "cail-&lt;script&gt;" in case.text     # similar-case block
    caption = re.search(r"<figcaption>(.*?)</figcaption>", case.text, re.S).group(1)
    assert "&lt;script&gt;" in caption and "<script" not in caption
    dash = ev.get("/dashboard")
    assert dash.status_code == 200 and "<script>alert" not in dash.text
    assert case.headers["content-security-policy"].startswith("default-src 'self'")
    # the only scripts any page loads are the product's own
    for page in (lst.text, case.text, dash.text):
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_page_crop_and_full_page(web, cases):
    ev = client_for(web, "评查员甲")
    case = ev.get(f"/cases/{cases['wang']}").text
    crop_url = re.search(r'<img src="([^"]+/crop\.png)"', case).group(1)
    r = ev.get(crop_url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    crop = Image.open(io.BytesIO(r.content)).convert("RGB")
    full = Image.open(io.BytesIO(ev.get(crop_url.replace("crop.png", "page.png")).content)).convert("RGB")
    # A4 at 150 dpi: the full page is ~1240 px wide; the crop is a thumbnail around the box (issue 22: crops
    # were page-wide, ~1,130 px, and a case page with 4 findings 8,000 px tall)
    assert full.width > 1000 and full.height > 1600
    assert crop.width <= 720 and crop.height <= 420 and crop.width < full.width * 0.7
    # the evidence box is highlighted (red outline) in the crop
    reds = sum(1 for px in crop.getdata() if px[0] > 200 and px[1] < 60 and px[2] < 60)
    assert reds > 300
    # cached: the second request reads the same bytes from disk
    cache = web["cfg"].storage_dir / "scans" / cases["wang"] / "web_cache" / "renders"
    assert any(cache.glob("*.png"))
    assert ev.get(crop_url).content == r.content
    # evidence without a box: found on the text layer (or shown as the page top)
    second = ev.get(f"/cases/{cases['wang']}/findings/dd44ee55ff66/evidence/0/crop.png")
    assert second.status_code == 200
    assert ev.get(f"/cases/{cases['wang']}/findings/dd44ee55ff66/evidence/7/crop.png").status_code == 404


def test_dispositions_change_list_and_dashboard(web, cases):
    ev = client_for(web, "评查员甲")
    sid = cases["li"]
    before_row = re.search(rf'<tr data-scan="{sid}">(.*?)</tr>', ev.get("/").text, re.S).group(1)
    assert "待评查" in before_row and ">5<" in before_row
    page = ev.get(f"/cases/{sid}")
    token = csrf_of(page.text)
    # 误报 needs a reason
    r = ev.post(f"/cases/{sid}/findings/aa11bb22cc33/disposition", data={"csrf_token": token, "status": "误报"})
    assert r.status_code == 200 and "须填写理由" in r.text
    r = ev.post(f"/cases/{sid}/findings/aa11bb22cc33/disposition",
                data={"csrf_token": token, "status": "误报", "reason": "签名在下一页"})
    assert r.status_code == 200 and "已处置：误报" in r.text
    row = re.search(rf'<tr data-scan="{sid}">(.*?)</tr>', ev.get("/").text, re.S).group(1)
    assert "评查中" in row and '<td class="points">2</td>' in row
    assert sid in ev.get("/?status=评查中").text and sid not in ev.get("/?status=待评查").text
    dash = ev.get("/dashboard").text
    rule_row = re.search(r"<tr><td>SG-001</td>(.*?)</tr>", dash, re.S).group(1)
    assert "<td>1</td>" in rule_row and "<td>50.0</td>" not in rule_row  # one 误报 of one judged: 100 %
    assert "<td>100.0</td>" in rule_row
    # the API sees the same disposition
    with session_factory(web["cfg"].db_url)() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "disposition").order_by(AuditEntry.id.desc()))
    assert entry.key_name == "评查员甲" and entry.detail["status"] == "误报"


def test_conclusion_fills_notice_and_downloads(web, cases):
    ev = client_for(web, "评查员甲")
    sid = cases["wang"]
    page = ev.get(f"/cases/{sid}")
    r = ev.post(f"/cases/{sid}/conclusion", data={"csrf_token": csrf_of(page.text), "grade": "瑕疵",
                                                 "opinion": "签名缺失，已责令补正。"})
    assert r.status_code == 200 and "评查结果等次：<strong>瑕疵</strong>" in r.text
    assert "已评查" in re.search(rf'<tr data-scan="{sid}">(.*?)</tr>', ev.get("/").text, re.S).group(1)
    notice = ev.get(f"/cases/{sid}/notice.docx")
    assert notice.status_code == 200 and notice.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(notice.content)).paragraphs)
    assert "评查结果等次为瑕疵" in text and "评查意见：签名缺失，已责令补正。" in text and "王检察官" in text
    rep = ev.get(f"/cases/{sid}/report.json").json()
    assert rep["deadlines"][0]["event"] == "提请批准逮捕" and "attachment" in ev.get(f"/cases/{sid}/report.json").headers["content-disposition"]
    html = ev.get(f"/cases/{sid}/report.html")
    assert html.status_code == 200 and "<script>alert" not in html.text


def test_deadlines_page(web, cases):
    wang = client_for(web, "王检察官")
    page = wang.get("/deadlines").text
    rows = re.findall(r'<tr class="st-([^"]+)">\s*<td>([\d-]+)</td><td class="days" data-days="(-?\d+)">([^<]+)</td>', page)
    assert rows and all(st == "即将届满" and days == "1" and shown == "剩 1 天" for st, _, days, shown in rows)
    assert len(rows) == 1  # only 王检察官's own case
    ev = client_for(web, "评查员甲").get("/deadlines").text
    assert len(re.findall(r'<td class="days" ', ev)) == 2 and "提请批准逮捕" in ev and "第九十一条" in ev


def test_dashboard_export_xlsx(web, cases):
    ev = client_for(web, "评查员甲")
    for name in ("rule", "category", "department", "prosecutor", "month", "grade"):
        r = ev.get(f"/dashboard/{name}.xlsx")
        assert r.status_code == 200, name
        ws = load_workbook(io.BytesIO(r.content)).active
        rows = list(ws.values)
        assert len(rows) >= 2, name
    ws = load_workbook(io.BytesIO(ev.get("/dashboard/department.xlsx").content)).active
    heads = [c.value for c in ws[1]]
    assert heads[:3] == ["部门", "案件数", "问题数"]
    assert {r[0] for r in list(ws.values)[1:]} == {"第一检察部", "第二检察部"}
    assert ev.get("/dashboard/nope.xlsx").status_code == 404


def test_admin_creates_and_disables_users(web):
    admin = client_for(web, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "审计日志" in page.text and "<td>登录</td>" in page.text
    assert "web.login" not in re.sub(r'(data-action|value)="[^"]*"', "", page.text)  # actions in Chinese, not codes
    r = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "新评查员", "password": "short",
                                         "role": "evaluator"})
    assert "密码至少" in r.text
    for weak in ("12345678901", "password123", "新评查员新评查员123"):  # long enough, easy to guess
        r = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "新评查员", "password": weak,
                                             "role": "evaluator"})
        assert "密码强度不足" in r.text, weak
    r = admin.post("/admin/users", data={"csrf_token": csrf_of(page.text), "username": "新评查员",
                                         "password": "a-long-password", "role": "evaluator", "department": "案管部"})
    assert "已创建用户 新评查员" in r.text
    newbie = client_for(web, "新评查员") if False else None  # noqa: F841 - password differs from PASSWORD
    from fastapi.testclient import TestClient
    c = TestClient(web["app"])
    lp = c.get("/login")
    assert c.post("/login", data={"username": "新评查员", "password": "a-long-password", "csrf_token": csrf_of(lp.text)},
                  follow_redirects=False).status_code == 303
    with session_factory(web["cfg"].db_url)() as s:
        uid = s.scalar(select(User.id).where(User.username == "新评查员"))
    r = admin.post(f"/admin/users/{uid}/disable", data={"csrf_token": csrf_of(page.text)})
    assert "已停用用户 新评查员" in r.text
    assert c.get("/", follow_redirects=False).status_code == 303  # the session ended with the account
    assert client_for(web, "评查员甲").get("/admin/users").status_code == 403
    assert "a-long-password" not in r.text


def test_api_keys_keep_working(web, cases):
    c = client_for(web)
    r = c.get("/v1/scans", headers={"X-API-Key": web["key"]})
    assert r.status_code == 200
    assert c.get("/v1/scans").status_code == 401 and c.get("/v1/scans").json()["code"] == "unauthorized"
    assert c.get("/v1/nope").headers["content-type"].startswith("application/json")


def test_cli_users_create_password_stdin(web):
    env_db = web["cfg"].db_url
    import os
    env = {**os.environ, "ASSISTANT_DATABASE_URL": env_db, "ASSISTANT_DATA_DIR": str(web["tmp"] / "data")}
    secret = "cli-Secret-123"
    out = subprocess.run([sys.executable, "-m", "api.cli", "users", "create", "--role", "admin", "--name", "首个管理员",
                          "--password-stdin", "--department", "案管部"], input=secret + "\n", capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "已创建用户：首个管理员" in out.stderr and secret not in out.stdout + out.stderr
    dup = subprocess.run([sys.executable, "-m", "api.cli", "users", "create", "--role", "admin", "--name", "首个管理员",
                          "--password-stdin"], input=secret + "\n", capture_output=True, text=True, env=env, timeout=120)
    assert dup.returncode == 2 and "用户名已存在" in dup.stderr
    from fastapi.testclient import TestClient
    c = TestClient(web["app"])
    lp = c.get("/login")
    assert c.post("/login", data={"username": "首个管理员", "password": secret, "csrf_token": csrf_of(lp.text)},
                  follow_redirects=False).status_code == 303


def test_login_next_stays_on_site(web):
    from fastapi.testclient import TestClient

    for bad in ("//evil.example/", "https://evil.example/", "/\t/evil.example", "\\\\evil.example"):
        c = TestClient(web["app"])
        page = c.get("/login")
        r = c.post("/login", data={"username": "评查员甲", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                   "next": bad}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", bad
    c = TestClient(web["app"])
    r = c.get("/dashboard?x=1", follow_redirects=False)
    assert r.headers["location"] == "/login?next=%2Fdashboard%3Fx%3D1"
