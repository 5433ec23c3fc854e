"""Regressions for hostile and broken input (issue 15): every defect, one test each.

The hostile files come from :mod:`fixtures.hostile` (shared with ``bench/fuzz.py``); the good
document is a small text-layer PDF. Each test checks that the bad input gets a Chinese reason,
that the good files beside it are still read, and that nothing is left in the temp folder.
"""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from extractors import DossierReadError, extract_case
from extractors.ingest import Ingest, clean_name
from fixtures import hostile
from tests.extractors.test_ingest import make_pdf, settings


@pytest.fixture()
def base(tmp_path: Path) -> hostile.Base:
    return hostile.Base.build(tmp_path / "base", formats=False)


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch):
    """A private temporary folder, to see what a run leaves behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _good_docs(case, name: str) -> list:
    return [(d.type, d.pages) for d in case.documents if d.file == name]


def test_nested_zips_stop_at_the_depth_limit_and_leave_no_temp_folder(tmp_path, base, private_tmp):
    data = base.pdf.read_bytes()
    name = hostile.GOOD_NAME
    for level in range(60):  # used to raise RecursionError and leave dossier-* folders behind
        data = hostile._zip({name: data})
        name = f"第{level + 1}层.zip"
    z = tmp_path / "套娃.zip"
    z.write_bytes(data)
    with pytest.raises(DossierReadError) as exc:
        extract_case(z, settings())
    assert "嵌套层数过多" in str(exc.value)
    assert list(private_tmp.iterdir()) == []


def test_nested_zip_within_the_limit_is_read(tmp_path, base):
    z = tmp_path / "卷.zip"
    z.write_bytes(hostile._zip({"内层.zip": hostile._zip({hostile.GOOD_NAME: base.pdf.read_bytes()})}))
    case = extract_case(z, settings())
    assert any(d.file == f"卷.zip/内层.zip/{hostile.GOOD_NAME}" for d in case.documents)


def test_ingest_cleans_up_when_interrupted_mid_extraction(tmp_path, monkeypatch, private_tmp):
    from extractors import ingest

    z = tmp_path / "a.zip"
    z.write_bytes(hostile._zip({"a.pdf": b"%PDF-1.4 x", "b.pdf": b"%PDF-1.4 y"}))

    def interrupted(zf, info, target, limit):
        target.write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "_copy_limited", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with Ingest(z, settings()):
            pass
    assert list(private_tmp.iterdir()) == []


def test_colliding_and_overlong_member_paths_keep_the_good_files(tmp_path, base):
    pdf = base.pdf.read_bytes()
    z = tmp_path / "冲突.zip"
    z.write_bytes(hostile._zip({"卷/材料.pdf": pdf, "卷/材料.pdf/附件.pdf": pdf, f"{'长' * 300}/{hostile.GOOD_NAME}": pdf}))
    case = extract_case(z, settings())
    files = {d.file for d in case.documents}
    assert {"冲突.zip/卷/材料.pdf", "冲突.zip/卷/材料.pdf/附件.pdf", f"冲突.zip/{'长' * 300}/{hostile.GOOD_NAME}"} <= files


def test_duplicate_member_names_are_refused_not_overwritten(tmp_path, base):
    p = hostile.zip_duplicates(random.Random(0), tmp_path, base)
    case = extract_case(p, settings())
    assert len(_good_docs(case, f"{p.name}/{hostile.GOOD_NAME}")) == 2
    assert any("同名文件" in w for w in case.warnings)


def test_corrupt_deflate_member_is_refused_and_the_rest_read(tmp_path, base):
    p = hostile.zip_corrupt_deflate(random.Random(0), tmp_path, base)
    case = extract_case(p, settings())
    assert any(f.name.endswith("坏.pdf") and f.error == "压缩包内文件损坏，无法解压" for f in case.files)
    assert any(d.file.endswith("好.txt") for d in case.documents)


def test_bzip2_bomb_is_refused_in_bounded_memory(tmp_path, monkeypatch):
    import resource

    from extractors import ingest

    monkeypatch.setattr(ingest, "_BURST", 1 << 20)
    comp = hostile._bz2_zeros(16 << 20)
    archive = hostile._patch_member(hostile._zip({"炸弹.txt": b""}, zipfile.ZIP_BZIP2), comp, 1000 * 150)
    z = tmp_path / "炸弹.zip"
    z.write_bytes(archive)
    with Ingest(z, settings()) as ing:
        assert not ing.result.files and "压缩炸弹" in ing.result.refused[0].error
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 3 * 2**20  # KB: far below a decompressed bomb


def test_dossier_hash_does_not_decompress_a_bomb(tmp_path, monkeypatch):
    from assistant import dispositions
    from extractors import ingest

    z = tmp_path / "炸弹.zip"
    z.write_bytes(hostile._deflated_zeros(20 << 20))

    def never(*a, **k):
        raise AssertionError("a bomb was decompressed to compute the dossier key")

    monkeypatch.setattr(ingest, "open_member", never)
    t = time.perf_counter()
    key = dispositions.dossier_key_for_path(z)
    assert len(key) == 64 and time.perf_counter() - t < 5


def test_oversized_file_is_refused_and_the_others_scanned(tmp_path):
    folder = tmp_path / "卷宗"
    folder.mkdir()
    hostile._reportlab_pdf(folder / "0000-巨册.pdf", 12, (595.0, 842.0))
    make_pdf(folder / "起诉书.pdf")
    case = extract_case(folder, settings(pages=10))
    big = next(f for f in case.files if f.name == "0000-巨册.pdf")
    assert big.error and "页数过多" in big.error and "12 页" in big.error
    assert [d.file for d in case.documents] == ["起诉书.pdf"]


def test_page_budget_refuses_only_what_no_longer_fits(tmp_path):
    folder = tmp_path / "卷宗"
    folder.mkdir()
    hostile._reportlab_pdf(folder / "a.pdf", 6, (595.0, 842.0))
    hostile._reportlab_pdf(folder / "b.pdf", 6, (595.0, 842.0))
    make_pdf(folder / "c.pdf")
    case = extract_case(folder, settings(pages=10))
    errors = {f.name: f.error for f in case.files}
    assert errors["a.pdf"] is None and errors["c.pdf"] is None
    assert "剩余" in errors["b.pdf"]


def test_text_over_a_million_characters_is_read(tmp_path, base):
    p = hostile.text_one_line(random.Random(0), tmp_path, base)  # spaCy E088 used to sink the scan
    case = extract_case(p, settings())
    assert case.documents and any("文字过多" in w for w in case.warnings)


def test_phrase_matches_in_chunks_find_what_one_pass_finds(monkeypatch):
    from extractors import lexicon

    text = "\n".join(f"第{i}段：被告人犯盗窃罪，有自首情节，适用简易程序。" for i in range(300))
    whole = lexicon.phrase_matches(text)
    monkeypatch.setattr(lexicon, "CHUNK_CHARS", 500)
    assert lexicon.phrase_matches(text) == whole
    assert all(text[s:e] == t for _, s, e, t in whole)


def test_pdf_pages_are_rasterised_within_the_pixel_cap(tmp_path, base):
    from extractors import ocr
    from extractors.pdf import render_pages

    p = hostile.pdf_huge_page(random.Random(1), tmp_path, base)
    image, dpi = ocr.rasterize_pdf_page_at(p, 0, 200, max_pixels=4_000_000)
    assert image.shape[0] * image.shape[1] <= 4_000_000 and dpi < 200
    rendered = render_pages(p, [1], dpi=100, max_pixels=4_000_000)[1]
    assert rendered.shape[0] * rendered.shape[1] <= 4_000_000


def test_multiframe_tiff_frames_are_decoded_once(tmp_path, base, monkeypatch):
    from PIL import TiffImagePlugin

    from extractors.ocr_inputs import ImageFrame, load_frame

    from PIL import Image

    p = hostile.image_multiframe_tiff(random.Random(2), tmp_path, base)
    with Image.open(p) as im:
        last = im.n_frames - 1
    assert last >= 9
    loads = []
    original = TiffImagePlugin.TiffImageFile.load

    def counting(self):
        loads.append(self.tell())
        return original(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", counting)
    frame, _ = load_frame(ImageFrame(p, last, 595.0, 80_000_000))
    assert frame.shape[:2] == (877, 620)
    assert set(loads) == {last}  # the frames before it are not decoded (quadratic time for a long TIFF)


def test_non_utf8_and_bidi_names_are_cleaned(tmp_path, base):
    p = hostile.names_non_utf8(random.Random(0), tmp_path, base)
    case = extract_case(p, settings())
    names = [f.name for f in case.files]
    assert "张三讯问笔录.pdf" in names
    for n in names:
        n.encode("utf-8")  # no lone surrogate
        assert not any(c in n for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert clean_name("a\u202egpj.exe") == "agpj.exe"


def test_cli_json_is_valid_for_non_utf8_names(tmp_path, base, monkeypatch):
    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_OCR_ENGINE", "none")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    p = hostile.names_non_utf8(random.Random(0), tmp_path, base)
    r = CliRunner().invoke(app, ["scan", str(p), "--format", "json", "--no-progress"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout_bytes.decode("utf-8"))
    assert "张三讯问笔录.pdf" in report["dossier"]["files"]


def test_fifo_in_a_folder_is_refused_without_blocking(tmp_path, base):
    folder = tmp_path / "卷宗"
    folder.mkdir()
    os.mkfifo(folder / "管道.pdf")
    make_pdf(folder / "起诉书.pdf")
    case = extract_case(folder, settings())
    assert any(f.name == "管道.pdf" and "不是普通文件" in (f.error or "") for f in case.files)
    assert [d.file for d in case.documents] == ["起诉书.pdf"]


def test_hidden_only_folder_is_empty_with_a_reason(tmp_path, base):
    p = hostile.hidden_only(random.Random(0), tmp_path, base)
    with pytest.raises(DossierReadError) as exc:
        extract_case(p, settings())
    assert "隐藏文件" in str(exc.value)


def test_broken_docx_xml_message_names_no_class(tmp_path, base):
    p = hostile.docx_bad_xml(random.Random(0), tmp_path, base)
    with pytest.raises(DossierReadError) as exc:
        extract_case(p, settings())
    assert "DOCX" in str(exc.value) and "Error" not in str(exc.value)


def test_unexpected_reader_failure_message_is_chinese(tmp_path, monkeypatch):
    from extractors import case as case_mod

    make_pdf(tmp_path / "a.pdf")

    def broken(*a, **k):
        raise KeyError("xref")

    monkeypatch.setattr(case_mod, "_read_pages", broken)
    source, pages = case_mod._read_file(case_mod.InputFile("a.pdf", tmp_path / "a.pdf", "pdf"), settings(), 100)
    assert source.error == "文件内容异常或已损坏，无法读取" and not pages


def test_precheck_and_scan_agree_on_every_hostile_file(tmp_path, base):
    """One reader: a file the API pre-check accepts is read by the scan, and vice versa."""
    from assistant.service import UploadProblem, validate_dossier

    rng = random.Random(5)
    builders = [hostile.pdf_truncated, hostile.pdf_xref_garbage, hostile.pdf_no_header, hostile.pdf_page_tree_loop,
                hostile.pdf_garbage, hostile.docx_bad_xml, hostile.docx_missing_document, hostile.image_truncated,
                hostile.image_flip, hostile.text_binary, hostile.ofd_not_zip]
    for build in builders:
        p = build(rng, tmp_path / build.__name__, base)
        try:
            validate_dossier([(p.name, p)], settings())
            accepted = True
        except UploadProblem:
            accepted = False
        scanned = next(f for f in extract_case(p, settings()).files if f.name == p.name).error is None \
            if accepted else _scan_reads(p)
        assert accepted == scanned, build.__name__


def _scan_reads(p: Path) -> bool:
    try:
        return any(f.error is None for f in extract_case(p, settings()).files)
    except DossierReadError:
        return False


def test_bounded_decompressor_passes_ordinary_bzip2_members(tmp_path, base):
    z = tmp_path / "bz.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr(hostile.GOOD_NAME, base.pdf.read_bytes())
    z.write_bytes(buf.getvalue())
    case = extract_case(z, settings())
    assert any(d.file == f"bz.zip/{hostile.GOOD_NAME}" for d in case.documents)
