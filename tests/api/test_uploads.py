"""Hostile and broken uploads: each refused with its own code and a Chinese message, never a 500."""

from __future__ import annotations

import pytest

from tests.api import files
from tests.api.conftest import auth


def post(client, key, members: list[tuple[str, bytes]]):
    return client.post("/v1/scans", files=[("file", (n, b, "application/octet-stream")) for n, b in members],
                       headers=auth(key))


CASES = [
    ("zip_slip", 422, lambda: [("卷宗.zip", files.zip_slip_bytes())]),
    ("zip_bomb", 413, lambda: [("炸弹.zip", files.zip_bomb_bytes())]),
    ("corrupt_zip", 422, lambda: [("坏.zip", b"PK\x03\x04 not really a zip")]),
    ("encrypted_pdf", 422, lambda: [("加密.pdf", files.encrypted_pdf_bytes())]),
    ("corrupt_pdf", 422, lambda: [("损坏.pdf", files.corrupt_pdf_bytes())]),
    ("corrupt_pdf", 422, lambda: [("假的.pdf", b"MZ\x90\x00 this is an exe")]),
    ("unsupported_type", 415, lambda: [("程序.exe", b"MZ\x90\x00")]),
    ("image_too_large", 413, lambda: [("巨图.png", files.huge_png_bytes())]),
    ("corrupt_image", 422, lambda: [("坏图.jpg", b"\xff\xd8\xff not a jpeg")]),
    ("empty_file", 422, lambda: [("空.pdf", b"")]),
    ("corrupt_docx", 422, lambda: [("文书.docx", b"not a docx")]),
    ("encrypted_pdf", 422, lambda: [("卷宗.zip", files.zip_bytes({"卷宗/加密.pdf": files.encrypted_pdf_bytes()}))]),
]


@pytest.mark.parametrize("code,status,make", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_refused_with_code(service, code, status, make):
    client, cfg, keys = service
    r = post(client, keys["intake"], make())
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert body["files"] and body["files"][0]["code"] == code
    assert not any((cfg.storage_dir / "tmp").iterdir()), "refused uploads must not be kept"


def test_problems_are_listed_per_file(service):
    """strict=true refuses on any unreadable file (the default sets them aside: test_partial_upload)."""
    client, _, keys = service
    r = client.post("/v1/scans?strict=true", headers=auth(keys["intake"]), files=[
        ("file", (n, b, "application/octet-stream")) for n, b in [
            ("好.pdf", files.pdf_bytes(["正常"])), ("加密.pdf", files.encrypted_pdf_bytes()),
            ("损坏.pdf", files.corrupt_pdf_bytes())]])
    assert r.status_code == 422
    assert {f["file"]: f["code"] for f in r.json()["files"]} == {"加密.pdf": "encrypted_pdf", "损坏.pdf": "corrupt_pdf"}


def test_limits(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import make_cfg, make_keys

    cfg = make_cfg(tmp_path, upload_max_files=2, upload_max_bytes=200_000, scan_workers=0)
    cfg.core.limits.pages = 3
    keys = make_keys(cfg)
    with TestClient(create_app(cfg)) as client:
        pdf = files.pdf_bytes(["页"])
        r = post(client, keys["intake"], [(f"{i}.pdf", pdf) for i in range(3)])
        assert r.status_code == 413 and r.json()["code"] == "too_many_files"
        r = post(client, keys["intake"], [("大.pdf", pdf + b"\0" * 300_000)])
        assert r.status_code == 413 and r.json()["code"] == "upload_too_large"
        r = post(client, keys["intake"], [("多页.pdf", files.pdf_bytes(["页"], pages=4))])
        assert r.status_code == 413 and r.json()["code"] == "too_many_pages"


def test_bad_requests(service):
    client, _, keys = service
    r = client.post("/v1/scans", content=b"raw", headers={**auth(keys["intake"]), "content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"
    r = client.post("/v1/scans", content=b"{bad json", headers={**auth(keys["intake"]), "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_json"
    r = client.post("/v1/scans", json={"nothing": 1}, headers=auth(keys["intake"]))
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = client.post("/v1/scans", data={"prosecutor": "某"}, headers=auth(keys["intake"]))
    assert r.status_code == 422 and r.json()["code"] == "no_files"
    r = client.post("/v1/scans", data={"file": "not a file"}, headers=auth(keys["intake"]))
    assert r.status_code == 422
    r = client.post("/v1/scans", files=[("file", ("a.pdf", files.pdf_bytes(["x"]), "application/pdf"))],
                    data={"path": "x"}, headers=auth(keys["intake"]))
    assert r.status_code == 422 and "二选一" in r.json()["message"]
    r = client.get("/v1/scans", params={"limit": "many"}, headers=auth(keys["intake"]))
    assert r.status_code == 422 and "limit" in r.json()["message"] and "整数" in r.json()["message"]


def test_stored_names_are_sanitised(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [("../../逃逸.pdf", files.pdf_bytes(["名字"])), ("..\\..\\b.pdf", files.pdf_bytes(["名字2"]))])
    assert r.status_code == 202, r.text
    scan_dir = cfg.storage_dir / "scans" / r.json()["id"]
    stored = sorted(p.name for p in scan_dir.rglob("*.pdf"))
    assert stored == ["b.pdf", "逃逸.pdf"]
    assert all(cfg.storage_dir in p.resolve().parents for p in scan_dir.rglob("*"))
