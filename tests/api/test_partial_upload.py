"""Partial acceptance, as the CLI does it: a damaged file (corrupt, encrypted, unsupported type,
an unreadable zip member) is set aside and named, the rest of the dossier is scanned with the
real pipeline; ``?strict=true`` refuses instead; hostile input and all-bad submissions are
still refused as a whole."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.pipeline import scan
from tests.api import files
from tests.api.conftest import auth, make_cfg, make_keys
from tests.api.test_scans import wait_done
from tests.contract import validate_report

INDICTMENT = files.titled_pdf_bytes("北京市朝阳区人民检察院 起诉书", [
    "京朝检刑诉〔2024〕123号",
    "被告人张三，男，1990年1月2日出生，汉族。",
    "经依法审查查明：被告人张三于2024年2月1日在某商场窃取手机一部。",
    "本院认为，被告人张三以非法占有为目的，秘密窃取他人财物，",
    "其行为触犯了《中华人民共和国刑法》第二百六十四条，应当以盗窃罪追究其刑事责任。",
    "此致", "北京市朝阳区人民法院", "检察官：李四", "2024年5月10日",
])
MIXED = [("起诉书.pdf", INDICTMENT), ("损坏.pdf", files.corrupt_pdf_bytes()), ("卷宗.rar", b"Rar!\x1a\x07\x00 archive")]


def post(client, key, members: list[tuple[str, bytes]], query: str = ""):
    return client.post("/v1/scans" + query, headers=auth(key),
                       files=[("file", (n, b, "application/octet-stream")) for n, b in members])


def cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """(client, cfg, keys) with a thread worker running the real pipeline (no similar-case index)."""
    cfg = make_cfg(tmp_path_factory.mktemp("partial"), scan_function="assistant.pipeline:scan")
    keys = make_keys(cfg)
    with TestClient(create_app(cfg)) as client:
        yield client, cfg, keys


def cli_report(members: list[tuple[str, bytes]], cfg, folder) -> dict:
    """The report the CLI makes of the same files (it calls :func:`assistant.pipeline.scan`)."""
    for name, data in members:
        files.write(folder / name, data)
    return scan(folder, settings=cfg.core).report


def test_bad_files_set_aside_and_reported_like_the_cli(real, tmp_path):
    client, cfg, keys = real
    r = post(client, keys["intake"], MIXED)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["files"] == 1 and body["pages"] == 1
    rejected = {f["file"]: f for f in body["rejected_files"]}
    assert {n: f["code"] for n, f in rejected.items()} == {"损坏.pdf": "corrupt_pdf", "卷宗.rar": "unsupported_type"}
    assert all(cjk(f["message"]) for f in rejected.values())

    assert wait_done(client, keys["intake"], body["id"], timeout=60)["status"] == "done"
    report = client.get(f"/v1/scans/{body['id']}/report", headers=auth(keys["intake"])).json()
    validate_report(report)
    assert [(d["type"], d["source"]["file"]) for d in report["documents"]] == [("起诉书", "起诉书.pdf")]
    errors = {e["file"]: e["message"] for e in report["file_errors"]}
    assert set(errors) == {"损坏.pdf", "卷宗.rar"} and all(cjk(m) for m in errors.values())
    for name, message in errors.items():
        assert f"{name}：{message}" in report["warnings"]

    cli = cli_report(MIXED, cfg, tmp_path / "卷宗")
    assert report["file_errors"] == cli["file_errors"]
    assert report["warnings"] == cli["warnings"]
    assert report["dossier"]["files"] == cli["dossier"]["files"]

    html = client.get(f"/v1/scans/{body['id']}/report.html", headers=auth(keys["intake"])).text
    assert "损坏.pdf" in html and "卷宗.rar" in html

    again = post(client, keys["intake2"], MIXED)
    assert again.status_code == 202
    assert again.json()["id"] == body["id"] and again.json()["duplicate"] is True
    assert again.json()["rejected_files"] == body["rejected_files"]


def test_unreadable_zip_members_are_set_aside(real):
    client, _, keys = real
    archive = files.encrypted_member_zip_bytes(
        {"卷宗/起诉书.pdf": INDICTMENT, "卷宗/加密.pdf": files.pdf_bytes(["加密"]), "卷宗/损坏.pdf": files.corrupt_pdf_bytes()},
        encrypted="卷宗/加密.pdf")
    r = post(client, keys["intake"], [("卷宗.zip", archive)], "?wait=true")
    assert r.status_code == 200, r.text
    report = r.json()
    assert [d["source"]["file"] for d in report["documents"]] == ["卷宗.zip/卷宗/起诉书.pdf"]
    errors = {e["file"]: e["message"] for e in report["file_errors"]}
    assert set(errors) == {"卷宗.zip/卷宗/加密.pdf", "卷宗.zip/卷宗/损坏.pdf"}
    assert "加密" in errors["卷宗.zip/卷宗/加密.pdf"]


def test_strict_refuses_and_lists_every_bad_file(real):
    client, cfg, keys = real
    r = post(client, keys["intake"], [("严格-" + n, b) for n, b in MIXED], "?strict=true")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "corrupt_pdf" and "2 个文件" in body["message"]
    assert {f["file"]: f["code"] for f in body["files"]} == {"严格-损坏.pdf": "corrupt_pdf", "严格-卷宗.rar": "unsupported_type"}
    assert not any((cfg.storage_dir / "tmp").iterdir())


HOSTILE = [
    ("zip_slip", 422, [("卷宗.zip", files.zip_slip_bytes())]),
    ("zip_slip", 422, [("好.pdf", INDICTMENT), ("附件.zip", files.zip_bytes({"附件/损坏.pdf": files.corrupt_pdf_bytes()})),
                       ("逃逸.zip", files.zip_slip_bytes())]),
    ("zip_bomb", 413, [("好.pdf", INDICTMENT), ("炸弹.zip", files.zip_bomb_bytes())]),
    ("image_too_large", 413, [("好.pdf", INDICTMENT), ("损坏.pdf", files.corrupt_pdf_bytes()), ("巨图.png", files.huge_png_bytes())]),
]


@pytest.mark.parametrize("code,status,members", HOSTILE, ids=[f"{h[0]}-{i}" for i, h in enumerate(HOSTILE)])
def test_hostile_input_still_refuses_the_submission(service, code, status, members):
    client, cfg, keys = service
    for query in ("", "?strict=true"):
        r = post(client, keys["intake"], members, query)
        assert r.status_code == status, r.text
        assert r.json()["code"] == code and cjk(r.json()["message"])
        assert r.json()["files"][0]["code"] == code
    assert not any((cfg.storage_dir / "tmp").iterdir())


def test_too_many_pages_counts_the_readable_files(tmp_path):
    cfg = make_cfg(tmp_path, scan_workers=0)
    cfg.core.limits.pages = 2
    keys = make_keys(cfg)
    with TestClient(create_app(cfg)) as client:
        r = post(client, keys["intake"], [("多页.pdf", files.pdf_bytes(["页"], pages=3)), ("损坏.pdf", files.corrupt_pdf_bytes())])
        assert r.status_code == 413 and r.json()["code"] == "too_many_pages"
        r = post(client, keys["intake"], [("两页.pdf", files.pdf_bytes(["页"], pages=2)), ("损坏.pdf", files.corrupt_pdf_bytes())])
        assert r.status_code == 202 and r.json()["pages"] == 2 and r.json()["rejected_files"][0]["code"] == "corrupt_pdf"


def test_all_bad_is_refused_with_the_per_file_list(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [("损坏.pdf", files.corrupt_pdf_bytes()), ("加密.pdf", files.encrypted_pdf_bytes()),
                                      ("空.pdf", b""), ("卷宗.zip", files.zip_bytes({"卷宗/坏.docx": b"not a docx"}))])
    assert r.status_code == 422, r.text
    body = r.json()
    assert cjk(body["message"]) and "4 个文件" in body["message"]
    assert {f["file"]: f["code"] for f in body["files"]} == {
        "损坏.pdf": "corrupt_pdf", "加密.pdf": "encrypted_pdf", "空.pdf": "empty_file", "卷宗.zip/卷宗/坏.docx": "corrupt_docx"}
    assert not any((cfg.storage_dir / "tmp").iterdir())


def test_intake_folder_with_a_bad_file_is_accepted(service):
    client, cfg, keys = service
    folder = cfg.intake_root / "部分损坏卷宗"
    files.write(folder / "起诉书.pdf", INDICTMENT)
    files.write(folder / "笔录.doc", b"\xd0\xcf\x11\xe0 old word")
    files.write(folder / ".DS_Store", b"\0\0\0\1Bud1")
    try:
        r = client.post("/v1/scans", json={"path": "部分损坏卷宗"}, headers=auth(keys["intake"]))
        assert r.status_code == 202, r.text
        assert [(f["file"], f["code"]) for f in r.json()["rejected_files"]] == [("笔录.doc", "unsupported_type")]
        assert r.json()["files"] == 1
    finally:
        shutil.rmtree(folder)
