"""API mechanics with the fake scan function: submission, idempotency, status, reports,
ownership per role, dispositions, keys, audit and error shapes."""

from __future__ import annotations

import time

import docx
import pytest

from tests.api import files
from tests.api.conftest import auth


def submit(client, key, data: dict[str, bytes] | None = None, wait: bool = False, **form):
    data = data or {"起诉书.pdf": files.pdf_bytes(["起诉书", "犯罪嫌疑人张三"])}
    multipart = [("file", (name, body, "application/octet-stream")) for name, body in data.items()]
    return client.post("/v1/scans" + ("?wait=true" if wait else ""), files=multipart, data=form, headers=auth(key))


def wait_done(client, key, scan_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/scans/{scan_id}", headers=auth(key))
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return r.json()
        time.sleep(0.05)
    raise AssertionError("scan did not finish")


def test_healthz_needs_no_key(service):
    client, _, _ = service
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["workers"] == 1


@pytest.mark.parametrize("path", ["/v1/scans", "/v1/rules", "/v1/keys", "/v1/audit", "/v1/scans/x/report", "/v1/openapi.json"])
def test_every_endpoint_but_health_needs_a_key(service, path):
    client, _, _ = service
    r = client.get(path)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized" and "密钥" in r.json()["message"]
    r = client.get(path, headers=auth("pc_deadbeef_wrong"))
    assert r.status_code == 401 and "无效" in r.json()["message"]


def test_submit_poll_and_read_everything(service):
    client, _, keys = service
    r = submit(client, keys["intake"], {"起诉书.pdf": files.pdf_bytes(["起诉书 甲"]), "笔录.pdf": files.pdf_bytes(["讯问笔录"], pages=2)},
               name="李四盗窃案")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] in ("queued", "running", "done") and body["files"] == 2 and body["pages"] == 3
    assert r.headers["location"] == f"/v1/scans/{body['id']}"
    st = wait_done(client, keys["intake"], body["id"])
    assert st["status"] == "done" and st["progress"]["stage"] == "完成"
    rep = client.get(f"/v1/scans/{body['id']}/report", headers=auth(keys["intake"]))
    assert rep.status_code == 200
    report = rep.json()
    from tests.contract import validate_report

    validate_report(report)
    assert report["dossier"]["name"] == "李四盗窃案"
    html = client.get(f"/v1/scans/{body['id']}/report.html", headers=auth(keys["intake"]))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "问题清单" in html.text and "&lt;script&gt;" in html.text
    notice = client.get(f"/v1/scans/{body['id']}/notice.docx", params={"procuratorate": "北京市朝阳区"},
                        headers=auth(keys["intake"]))
    assert notice.status_code == 200 and notice.headers["content-type"].startswith("application/vnd.openxmlformats")
    import io

    d = docx.Document(io.BytesIO(notice.content))
    assert d.paragraphs[0].text == "北京市朝阳区人民检察院"
    assert len(d.tables[0].rows) == 1 + len(report["findings"])


def test_idempotent_on_content(service):
    client, _, keys = service
    data = {"a.pdf": files.pdf_bytes(["同一卷宗"])}
    first = submit(client, keys["intake"], data).json()
    again = submit(client, keys["intake"], data).json()
    assert again["id"] == first["id"] and again["duplicate"] is True
    other = submit(client, keys["intake2"], data)
    assert other.json()["id"] == first["id"]
    assert client.get(f"/v1/scans/{first['id']}", headers=auth(keys["intake2"])).status_code == 200


def test_wait_returns_report(service):
    client, _, keys = service
    r = submit(client, keys["intake"], {"w.pdf": files.pdf_bytes(["等待结果"])}, wait=True)
    assert r.status_code == 200
    assert r.json()["schema_version"] == "1" and "findings" in r.json()


def test_ownership_by_role(service):
    client, _, keys = service
    sid = submit(client, keys["intake"], {"own.pdf": files.pdf_bytes(["归属测试"])}, prosecutor="王检察官").json()["id"]
    wait_done(client, keys["intake"], sid)
    assert client.get(f"/v1/scans/{sid}/report", headers=auth(keys["intake2"])).status_code == 404
    assert client.get(f"/v1/scans/{sid}/report", headers=auth(keys["prosecutor"])).status_code == 404
    assert client.get(f"/v1/scans/{sid}/report", headers=auth(keys["prosecutor2"])).status_code == 200
    assert client.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"])).status_code == 200
    assert client.get(f"/v1/scans/{sid}/report", headers=auth(keys["admin"])).status_code == 200
    listed = client.get("/v1/scans", headers=auth(keys["prosecutor2"])).json()
    assert sid in [s["id"] for s in listed["items"]]
    assert sid not in [s["id"] for s in client.get("/v1/scans", headers=auth(keys["intake2"])).json()["items"]]
    # a prosecutor's own submission is its own case
    mine = submit(client, keys["prosecutor"], {"self.pdf": files.pdf_bytes(["自查"])}).json()["id"]
    assert client.get(f"/v1/scans/{mine}", headers=auth(keys["prosecutor"])).status_code == 200


def test_wrong_role_is_403(service):
    client, _, keys = service
    r = submit(client, keys["evaluator"])
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "评查员" in r.json()["message"]
    for role in ("intake", "prosecutor", "evaluator"):
        assert client.get("/v1/keys", headers=auth(keys[role])).status_code == 403
        assert client.get("/v1/audit", headers=auth(keys[role])).status_code == 403
    sid = submit(client, keys["intake"], {"r.pdf": files.pdf_bytes(["角色"])}).json()["id"]
    wait_done(client, keys["intake"], sid)
    r = client.post(f"/v1/scans/{sid}/findings/a1b2c3d4e5f6/disposition", json={"status": "确认"},
                    headers=auth(keys["intake"]))
    assert r.status_code == 403


def test_disposition_regrades_and_is_audited(service, tmp_path):
    client, cfg, keys = service
    try:
        import assistant.dispositions as dmod
    except ImportError:
        pytest.skip("assistant.dispositions not available")
    if not hasattr(dmod, "mark_by_key"):
        pytest.skip("assistant.dispositions.mark_by_key not available")
    pdf = files.pdf_bytes(["处置测试"])
    sid = submit(client, keys["intake"], {"d.pdf": pdf}).json()["id"]
    wait_done(client, keys["intake"], sid)
    before = client.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"])).json()
    target = before["findings"][0]
    r = client.post(f"/v1/scans/{sid}/findings/{target['id']}/disposition", json={"status": "误报"},
                    headers=auth(keys["evaluator"]))
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = client.post(f"/v1/scans/{sid}/findings/{target['id']}/disposition",
                    json={"status": "误报", "reason": "期限已依法延长"}, headers=auth(keys["evaluator"]))
    assert r.status_code == 200, r.text
    assert r.json()["points"] == before["points"] - target["severity_points"]
    after = client.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"])).json()
    disposed = next(f for f in after["findings"] if f["id"] == target["id"])
    assert disposed["disposition"]["status"] == "误报"
    assert after["points"] == before["points"] - target["severity_points"]
    r = client.post(f"/v1/scans/{sid}/findings/nope/disposition", json={"status": "确认"}, headers=auth(keys["evaluator"]))
    assert r.status_code == 404 and r.json()["code"] == "finding_not_found"
    r = client.post(f"/v1/scans/{sid}/findings/{target['id']}/disposition", json={"status": "同意"},
                    headers=auth(keys["evaluator"]))
    assert r.status_code == 422 and r.json()["code"] == "invalid_request" and "status" in r.json()["message"]
    # the same dossier scanned by the CLI (a folder with the same file) sees the disposition
    folder = files.write(tmp_path / "卷宗" / "d.pdf", pdf).parent
    assert dmod.lookup_for_dossier(folder, cfg.core)[target["id"]]["status"] == "误报"
    log = client.get("/v1/audit", params={"action": "disposition"}, headers=auth(keys["admin"])).json()
    assert any(e["target"] == f"{sid}/{target['id']}" and e["detail"]["status"] == "误报" for e in log)


def test_report_reads_are_audited(service):
    client, _, keys = service
    sid = submit(client, keys["intake"], {"audit.pdf": files.pdf_bytes(["审计"])}).json()["id"]
    wait_done(client, keys["intake"], sid)
    client.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"]))
    log = client.get("/v1/audit", params={"action": "report.read"}, headers=auth(keys["admin"])).json()
    assert any(e["target"] == sid and e["role"] == "evaluator" for e in log)


def test_report_not_ready_and_unknown(service):
    client, _, keys = service
    r = client.get("/v1/scans/doesnotexist/report", headers=auth(keys["evaluator"]))
    assert r.status_code == 404 and r.json()["code"] == "scan_not_found"


def test_keys_lifecycle(service):
    client, _, keys = service
    r = client.post("/v1/keys", json={"role": "intake", "name": "新受理"}, headers=auth(keys["admin"]))
    assert r.status_code == 201
    new = r.json()
    assert new["key"].startswith("pc_") and new["role"] == "intake"
    listed = client.get("/v1/keys", headers=auth(keys["admin"])).json()
    assert new["id"] in [k["id"] for k in listed] and all("key" not in k for k in listed)
    assert client.get("/v1/scans", headers=auth(new["key"])).status_code == 200
    assert client.delete(f"/v1/keys/{new['id']}", headers=auth(keys["admin"])).json()["revoked_at"]
    assert client.get("/v1/scans", headers=auth(new["key"])).status_code == 401
    assert client.delete("/v1/keys/nokey", headers=auth(keys["admin"])).status_code == 404
    r = client.post("/v1/keys", json={"role": "root"}, headers=auth(keys["admin"]))
    assert r.status_code == 422 and "role" in r.json()["message"]
    actions = {e["action"] for e in client.get("/v1/audit", headers=auth(keys["admin"])).json()}
    assert {"key.create", "key.revoke"} <= actions


def test_rules(service):
    client, _, keys = service
    rules = client.get("/v1/rules", headers=auth(keys["prosecutor"])).json()
    assert len(rules) > 10 and {"id", "title", "severity_points", "implemented"} <= set(rules[0])
    rid = rules[0]["id"]
    r = client.get(f"/v1/rules/{rid}", headers=auth(keys["prosecutor"]))
    assert r.status_code == 200 and r.json()["id"] == rid and "【依据】" in r.json()["page"]
    r = client.get("/v1/rules/XX-999", headers=auth(keys["prosecutor"]))
    assert r.status_code == 404 and r.json()["code"] == "rule_not_found"


def test_path_submission(service):
    client, cfg, keys = service
    folder = cfg.intake_root / "赵六案"
    files.write(folder / "起诉书.pdf", files.pdf_bytes(["按路径提交"]))
    r = client.post("/v1/scans", json={"path": "赵六案"}, headers=auth(keys["intake"]))
    assert r.status_code == 202, r.text
    assert r.json()["name"] == "赵六案"
    r = client.post("/v1/scans", json={"path": "../../etc"}, headers=auth(keys["intake"]))
    assert r.status_code == 403 and r.json()["code"] == "path_not_allowed"
    r = client.post("/v1/scans", json={"path": "不存在"}, headers=auth(keys["intake"]))
    assert r.status_code == 404 and r.json()["code"] == "path_not_found"
    r = client.post("/v1/scans", data={"path": "赵六案"}, headers=auth(keys["intake"]))
    assert r.status_code == 202 and r.json()["duplicate"] is True


def test_no_public_docs(service):
    client, _, keys = service
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404
    assert client.get("/v1/openapi.json", headers=auth(keys["intake"])).json()["info"]["title"] == "评查助手扫描服务"


def test_unknown_route_and_method_in_chinese(service):
    client, _, keys = service
    r = client.get("/v1/nothing", headers=auth(keys["admin"]))
    assert r.status_code == 404 and r.json()["message"] == "请求的资源不存在。"
    r = client.put("/v1/scans", headers=auth(keys["admin"]))
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
