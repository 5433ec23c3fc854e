"""The main flows in a real browser: Debian's chromium driven by Playwright against a real
server (``assistant serve``, real scan pipeline, one worker process).

A prosecutor uploads the sample dossier for self-check, watches the progress and lands on the
case page; an evaluator opens the list and the case, sees a page-crop image load, marks a
finding 误报 with a reason and sees the list and the dashboard change, and downloads the
notice. Screenshots are kept under ``out/screenshots`` (or ``$WEB_SCREENSHOTS``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import docx
import pytest

from api.live import LiveServer

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fixtures" / "sample" / "dossier"
PASSWORD = "Browser-Pa55"
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="未安装 chromium（make system-deps 会安装）")


@pytest.fixture(scope="module")
def shots():
    d = Path(os.environ.get("WEB_SCREENSHOTS") or REPO / "out" / "screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.db import session_factory
    from api.web import auth
    from api.web.models import create_tables

    tmp = tmp_path_factory.mktemp("browser")
    data = tmp / "data"
    data.mkdir()
    url = f"sqlite:///{(data / 'assistant.sqlite3').resolve()}"
    create_tables(url)
    with session_factory(url)() as s:
        auth.create_user(s, "王检察官", PASSWORD, "prosecutor", department="第一检察部")
        auth.create_user(s, "评查员甲", PASSWORD, "evaluator", department="案件管理部")
    srv = LiveServer(data, workers=1, env={"ASSISTANT_OCR_WORKERS": "1"})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield b
        b.close()


def new_page(browser, server, problems: list[str]):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(server.url) else problems.append(f"outside request: {r.url}"))
    return ctx, page


def sign_in(page, server, username: str, shown: str | None = None) -> None:
    page.goto(server.url + "/")
    assert "/login" in page.url  # no session: redirected
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#whoami")
    assert (shown or username) in page.inner_text("#whoami")


def test_main_flows(server, browser, shots):
    problems: list[str] = []
    # --- a prosecutor's self-check ---
    ctx, page = new_page(browser, server, problems)
    sign_in(page, server, "王检察官")
    page.screenshot(path=str(shots / "01-list-empty-prosecutor.png"), full_page=True)
    page.click("text=自查")
    page.set_input_files("#upload-file", sorted(str(p) for p in SAMPLE.iterdir() if p.is_file()))
    page.fill("input[name=name]", "自查样例卷宗")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#progress")
    page.screenshot(path=str(shots / "02-selfcheck-progress.png"), full_page=True)
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f]+$"), timeout=150000)
    scan_id = page.url.rsplit("/", 1)[-1]
    page.wait_for_selector("article.finding")
    page.screenshot(path=str(shots / "03-case-prosecutor.png"), full_page=False)
    assert page.locator("form.dispose").count() == 0  # prosecutors do not dispose
    ctx.close()

    # --- an evaluator reviews it ---
    ctx, page = new_page(browser, server, problems)
    sign_in(page, server, "评查员甲")
    row = page.locator(f"tr[data-scan='{scan_id}']")
    assert row.count() == 1
    points_before = int(row.locator("td.points").inner_text())
    assert row.locator("td.status").inner_text() == "待评查"
    page.screenshot(path=str(shots / "04-list-evaluator.png"), full_page=True)
    page.goto(server.url + "/dashboard")
    fp_before = page.locator("#total-findings").inner_text()
    page.goto(server.url + f"/cases/{scan_id}")

    # a page crop loads (scroll it into view: crops load lazily)
    img = page.locator("img.crop").first
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=30000)
    assert img.evaluate("i => i.naturalWidth") > 400
    img.screenshot(path=str(shots / "05-page-crop.png"))
    page.screenshot(path=str(shots / "06-case-evaluator.png"), full_page=True)

    # mark the first finding with a crop 误报: the browser asks for a reason first
    card = page.locator("article.finding:has(img.crop)").first
    fid = card.get_attribute("id")
    rule_id = card.get_attribute("data-rule")
    pts = int(re.search(r"(\d+) 分", card.locator(".tag.pts").inner_text()).group(1))
    card.locator("button.fp").click()
    assert page.url.endswith(f"/cases/{scan_id}")  # not sent without a reason
    card = page.locator(f"#{fid}")
    card.locator("input.reason").fill("签名在卷内另页，经核实无误")
    card.locator("button.fp").click()
    page.wait_for_selector(f"#{fid} .disp")
    assert "误报" in page.inner_text(f"#{fid} .disp")
    page.locator(f"#{fid}").screenshot(path=str(shots / "07-finding-dismissed.png"))

    page.click("text=案件列表")
    row = page.locator(f"tr[data-scan='{scan_id}']")
    assert int(row.locator("td.points").inner_text()) == points_before - pts
    assert row.locator("td.status").inner_text() == "评查中"
    page.goto(server.url + "/dashboard")
    assert page.locator("#total-findings").inner_text() != fp_before
    rule = page.locator(f"#table-rule tr:has(td:text-is('{rule_id}'))")
    assert rule.count() == 1 and "100.0" in rule.inner_text()
    page.screenshot(path=str(shots / "08-dashboard.png"), full_page=True)

    # 评查结论 and the notice
    page.goto(server.url + f"/cases/{scan_id}")
    page.select_option("select[name=grade]", "合格")
    page.fill("textarea[name=opinion]", "经评查，问题已核实处理。")
    page.click("form.conclusion button[type=submit]")
    page.wait_for_selector("#conclusion-current")
    with page.expect_download() as dl:
        page.click("#dl-notice")
    data = Path(dl.value.path()).read_bytes()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "评查结果等次为合格" in text and "评查意见：经评查，问题已核实处理。" in text
    page.goto(server.url + "/deadlines")
    page.screenshot(path=str(shots / "09-deadlines.png"), full_page=True)
    ctx.close()
    assert not problems, problems


def test_workbench_in_the_browser(server, browser, shots):
    """Issue 22 as a user sees it: a long 卷宗名称, the evidence viewer (thumbnail → page, paging, zoom),
    依据 linked to the rule page, the conclusion refused over an undisposed key finding, an error page
    with a way back, and the lock after ten wrong passwords."""
    from api.db import session_factory
    from api.web import auth

    problems: list[str] = []
    url = f"sqlite:///{(server.data_dir / 'assistant.sqlite3').resolve()}"
    with session_factory(url)() as s:
        auth.create_user(s, "评查员乙", PASSWORD, "evaluator", display_name="赵评查", department="案件管理部")
        auth.create_user(s, "锁定测试", PASSWORD, "evaluator")

    # a prosecutor uploads with a very long name
    ctx, page = new_page(browser, server, problems)
    sign_in(page, server, "王检察官")
    page.click("text=自查")
    long_name = "马振华涉嫌走私、贩卖、运输、制造毒品罪一案审查起诉阶段电子卷宗（含退回补充侦查后重新移送材料）" * 3
    page.set_input_files("#upload-file", [str(SAMPLE / "侦查卷.pdf"), str(SAMPLE / "公诉文书.docx")])
    page.fill("input[name=name]", long_name[:200])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#progress")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f]+$"), timeout=150000)
    scan_id = page.url.rsplit("/", 1)[-1]
    assert long_name[:200] in page.inner_text("#case-title")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scrolling
    ctx.close()

    ctx, page = new_page(browser, server, problems)
    sign_in(page, server, "评查员乙", shown="赵评查")  # the display name, not the user name
    row = page.locator(f"tr[data-scan='{scan_id}']")
    box = row.locator("td.name").bounding_box()
    assert box and box["width"] <= 340  # the long name wraps inside its cell
    page.screenshot(path=str(shots / "10-list-long-name.png"), full_page=True)

    page.goto(server.url + f"/cases/{scan_id}")
    thumb = page.locator("img.crop").first
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle(), timeout=30000)
    shown = thumb.bounding_box()
    assert shown and shown["width"] <= 361 and shown["height"] <= 211
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1800 * max(1, page.locator("article.finding").count()) / 2 + 3000
    page.screenshot(path=str(shots / "11-case-thumbnails.png"), full_page=True)
    thumb.click()
    page.wait_for_selector("#viewer:not([hidden])")
    img = page.locator("#viewer-img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 400", arg=img.element_handle(), timeout=30000)
    first = page.inner_text("#viewer-page")
    page.screenshot(path=str(shots / "12-viewer.png"))
    page.click("#viewer button[data-act=in]")
    assert img.evaluate("i => i.style.width") == "125%"
    pages = int(re.search(r"/ (\d+) 页", first).group(1))
    if pages > 1:
        page.click("#viewer button[data-act=next]" if "第 1 /" in first else "#viewer button[data-act=prev]")
        assert page.inner_text("#viewer-page") != first
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()

    # 依据 → the rule page
    card = page.locator("article.finding").first
    rule_id = card.get_attribute("data-rule")
    card.locator("a.rule-link").click()
    page.wait_for_url(re.compile(rf".*/rules/{rule_id}$"))
    assert rule_id in page.inner_text("h1")
    page.screenshot(path=str(shots / "13-rule-page.png"), full_page=True)
    page.click("text=返回上一页")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f]+$"))

    # a return to the prosecutor, with its history
    page.fill("#return-form textarea[name=note]", "请补齐第4页犯罪嫌疑人签名、指印")
    page.click("#return-form button[type=submit]")
    page.wait_for_selector("#history")
    assert page.inner_text("#flow-status") == "退回整改"
    page.locator("section.review").screenshot(path=str(shots / "14-review-history.png"))

    # an error page offers the way back
    page.goto(server.url + "/cases/no-such-case")
    assert "案件不存在" in page.inner_text("h1") and page.locator("#error-home").count() == 1
    page.screenshot(path=str(shots / "15-error-page.png"))
    page.click("#error-home")
    page.wait_for_selector("#cases")
    ctx.close()

    # ten wrong passwords lock the account
    ctx, page = new_page(browser, server, [])
    page.goto(server.url + "/login")
    for i in range(10):
        page.fill("input[name=username]", "锁定测试")
        page.fill("input[name=password]", f"wrong-password-{i}")
        page.click("button[type=submit]")
        page.wait_for_selector("p.error")
    page.fill("input[name=username]", "锁定测试")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert "已被暂时锁定" in page.inner_text("p.error")
    page.screenshot(path=str(shots / "16-login-locked.png"))
    ctx.close()
    expected = ("/cases/no-such-case", "status of 404")  # the error page visited on purpose
    assert not [p for p in problems if not any(e in p for e in expected)], problems
