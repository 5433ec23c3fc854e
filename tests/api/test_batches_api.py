"""``/v1/batches`` (thread workers, fake scan function: API mechanics only; the real pipeline
runs in tests/api/test_batch.py): a folder and a manifest under the intake root, an
unreadable dossier listed with its Chinese reason, progress, summary files, visibility."""

from __future__ import annotations

import csv
import io
import time

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api import files
from tests.api.conftest import auth, make_cfg, make_keys


@pytest.fixture()
def svc(tmp_path):
    cfg = make_cfg(tmp_path)
    root = cfg.intake_root
    for i in range(3):
        files.write(root / "caseload" / f"卷宗{i + 1}" / "起诉书.pdf", files.pdf_bytes([f"第{i + 1}份卷宗"]))
    files.write(root / "caseload" / "坏卷宗" / "空文件.pdf", b"")
    with (root / "清单.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["路径", "案号", "承办检察官", "部门"])
        w.writerow(["caseload/卷宗1", "京朝检刑诉〔2024〕1号", "王检察官", "第一检察部"])
        w.writerow(["caseload/卷宗2", "", "", ""])
        w.writerow(["../外部", "", "", ""])
    app = create_app(cfg)
    keys = make_keys(cfg)
    with TestClient(app) as client:
        yield client, keys


def _wait_done(client, key, bid, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/v1/batches/{bid}", headers=auth(key)).json()
        if body["status"] == "done":
            return body
        time.sleep(0.1)
    raise AssertionError(body)


def test_folder_batch_progress_problems_and_summaries(svc):
    client, keys = svc
    r = client.post("/v1/batches", json={"path": "caseload", "name": "十二月结案"}, headers=auth(keys["intake"]))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["total"] == 4 and body["counts"]["failed"] == 1
    assert body["problems"][0]["name"] == "坏卷宗" and "空" in body["problems"][0]["message"]
    done = _wait_done(client, keys["intake"], body["id"])
    assert done["counts"] == {"queued": 0, "running": 0, "done": 3, "failed": 1} and done["progress"] == 1.0
    xlsx = client.get(f"/v1/batches/{body['id']}/summary.xlsx", headers=auth(keys["intake"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 5 and "重点评查" in rows[0]
    text = client.get(f"/v1/batches/{body['id']}/summary.csv", headers=auth(keys["intake"])).content.decode("utf-8-sig")
    assert len(list(csv.reader(text.splitlines()))) == 5
    html = client.get(f"/v1/batches/{body['id']}/summary.html", headers=auth(keys["intake"])).text
    assert "建议等次分布" in html and "/v1/scans/" in html and "坏卷宗" in html
    # the batch belongs to its submitter (and evaluators); its scans are ordinary scans
    assert client.get(f"/v1/batches/{body['id']}", headers=auth(keys["intake2"])).status_code == 404
    assert client.get(f"/v1/batches/{body['id']}", headers=auth(keys["evaluator"])).status_code == 200
    listed = client.get("/v1/scans", headers=auth(keys["intake"])).json()
    assert listed["count"] == 3
    # the same folder again: the same scans (content hash), nothing scanned twice
    again = client.post("/v1/batches", json={"path": "caseload"}, headers=auth(keys["evaluator"])).json()
    assert _wait_done(client, keys["evaluator"], again["id"])["counts"]["done"] == 3
    assert client.get("/v1/scans", headers=auth(keys["evaluator"])).json()["count"] == 3


def test_manifest_batch_and_prosecutor_visibility(svc):
    client, keys = svc
    r = client.post("/v1/batches", json={"path": "清单.csv"}, headers=auth(keys["intake"]))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["total"] == 3 and body["counts"]["failed"] == 1
    assert "受理根目录" in body["problems"][0]["message"]
    _wait_done(client, keys["intake"], body["id"])
    text = client.get(f"/v1/batches/{body['id']}/summary.csv", headers=auth(keys["intake"])).content.decode("utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["案号"] == "京朝检刑诉〔2024〕1号" and rows[0]["承办检察官"] == "王检察官" and rows[0]["部门"] == "第一检察部"
    mine = client.get("/v1/scans", headers=auth(keys["prosecutor2"])).json()  # the key named 王检察官
    assert [s["name"] for s in mine["items"]] == ["卷宗1"]


def test_batch_refusals(svc):
    client, keys = svc
    assert client.post("/v1/batches", json={"path": "caseload"}, headers=auth(keys["prosecutor"])).status_code == 403
    r = client.post("/v1/batches", json={"path": "../.."}, headers=auth(keys["intake"]))
    assert r.status_code == 403 and r.json()["code"] == "path_not_allowed"
    r = client.post("/v1/batches", json={"path": "没有"}, headers=auth(keys["intake"]))
    assert r.status_code == 404 and "找不到" in r.json()["message"]
    r = client.post("/v1/batches", json={"path": "caseload/卷宗1/起诉书.pdf"}, headers=auth(keys["intake"]))
    assert r.status_code == 422 and "清单" in r.json()["message"]
    assert client.get("/v1/batches/nope", headers=auth(keys["admin"])).status_code == 404


def _manifest_csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["路径", "案号", "承办检察官", "部门"])
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8-sig")


def test_uploaded_manifest_reads_paths_under_the_intake_root(svc):
    client, keys = svc
    data = _manifest_csv([["caseload/卷宗2", "京朝检刑诉〔2024〕2号", "王检察官", "第二检察部"],
                          ["caseload/卷宗3", "", "", ""], ["../外部", "", "", ""], ["caseload/没有", "", "", ""]])
    r = client.post("/v1/batches/manifest", files={"file": ("十二月清单.csv", data, "text/csv")},
                    headers=auth(keys["intake"]))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["name"] == "十二月清单" and body["total"] == 4 and body["counts"]["failed"] == 2
    messages = sorted(p["message"] for p in body["problems"])
    assert any("受理根目录" in m for m in messages) and any("找不到卷宗" in m for m in messages)
    done = _wait_done(client, keys["intake"], body["id"])
    assert done["counts"]["done"] == 2
    text = client.get(f"/v1/batches/{body['id']}/summary.csv", headers=auth(keys["intake"])).content.decode("utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["案号"] == "京朝检刑诉〔2024〕2号" and rows[0]["部门"] == "第二检察部"
    # an XLSX manifest with a name of its own
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["卷宗路径"])
    wb.active.append(["caseload/卷宗1"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/v1/batches/manifest", data={"name": "补充"}, headers=auth(keys["evaluator"]),
                    files={"file": ("清单.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 202, r.text
    assert r.json()["name"] == "补充" and _wait_done(client, keys["evaluator"], r.json()["id"])["counts"]["done"] == 1


def test_uploaded_manifest_refusals(svc):
    client, keys = svc
    good = _manifest_csv([["caseload/卷宗1", "", "", ""]])
    post = client.post
    r = post("/v1/batches/manifest", files={"file": ("清单.csv", good, "text/csv")}, headers=auth(keys["prosecutor"]))
    assert r.status_code == 403
    r = post("/v1/batches/manifest", files={"file": ("清单.pdf", good, "application/pdf")}, headers=auth(keys["intake"]))
    assert r.status_code == 415 and "CSV 或 XLSX" in r.json()["message"]
    r = post("/v1/batches/manifest", json={"path": "清单.csv"}, headers=auth(keys["intake"]))
    assert r.status_code == 415
    r = post("/v1/batches/manifest", data={"name": "空"}, headers=auth(keys["intake"]))
    assert r.status_code in (415, 422)
    r = post("/v1/batches/manifest", files={"file": ("清单.csv", "案号\n1\n".encode(), "text/csv")},
             headers=auth(keys["intake"]))
    assert r.status_code == 422 and "路径" in r.json()["message"] and "/tmp" not in r.json()["message"]
    r = post("/v1/batches/manifest", files={"file": ("清单.xlsx", b"PK\x03\x04 not a zip", "application/octet-stream")},
             headers=auth(keys["intake"]))
    assert r.status_code == 422 and "XLSX" in r.json()["message"]
    big = b"a" * (6 * 2**20)
    r = post("/v1/batches/manifest", files={"file": ("清单.csv", big, "text/csv")}, headers=auth(keys["intake"]))
    assert r.status_code == 413
