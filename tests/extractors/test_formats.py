"""Formats real systems deliver: double-layer PDFs (scan + invisible OCR text) and OFD files.

Every file here is built from one generated 起诉书 (text-layer PDF with its 院印) by
:mod:`fixtures.formats`; the text-layer PDF read by the same code is the reference.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from extractors import extract_case
from extractors.ingest import kind_of
from models.settings import Limits, Settings
from extractors.ofd import parse_deltas, read_ofd
from extractors.ofd_render import OfdPageSource
from extractors.pdf import OCR_LAYER_CONFIDENCE, read_pdf
from fixtures.formats import MM_PER_PT, Picture, double_layer_pdf, pdf_to_ofd
from fixtures.render import seal_png
from fixtures.scan import Degradation
from models import vocab

SCAN = Degradation(blur=0.6, noise=5.0, jpeg_quality=70, paper=(250, 247, 240), contrast=0.9)


def settings(engine: str = "none") -> Settings:
    return Settings(limits=Limits(), ocr_engine=engine, ocr_workers=1, ocr_dpi=200)


def _indictment(path: Path, sealed: bool) -> tuple[Path, dict]:
    from fixtures.documents import build_documents
    from fixtures.render import render_pdf
    from fixtures.spec import sample_spec

    doc = next(d for d in build_documents(sample_spec(7)) if d.type == vocab.INDICTMENT)
    if not sealed:
        doc.blocks = [dataclasses.replace(b, seal=dataclasses.replace(b.seal, filled=False)) if b.seal else b
                      for b in doc.blocks]
    render_pdf([doc], path, random.Random(1))
    return path, next(s for s in doc.slots if s["kind"] == "seal")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """Dossier folders, one file each: the reference PDF and its other formats, sealed and not."""
    root = tmp_path_factory.mktemp("formats")
    src, seal = _indictment(root / "src.pdf", sealed=True)
    bare, _ = _indictment(root / "bare.pdf", sealed=False)
    x0, y0, x1, y1 = seal["bbox"]
    picture = Picture(seal_png("北京市朝阳区人民检察院", 0), tuple(v * MM_PER_PT for v in (x0, y0, x1 - x0, y1 - y0)))
    last = max(seal["page"] - 1, 0)
    out: dict[str, Path] = {}

    def folder(key: str, name: str) -> Path:
        d = root / key
        d.mkdir()
        out[key] = d
        return d / name

    shutil.copy(src, folder("pdf", "起诉书.pdf"))
    double_layer_pdf(src, folder("double", "起诉书.pdf"), degradation=SCAN)
    double_layer_pdf(bare, folder("double_bare", "起诉书.pdf"), degradation=SCAN)
    pdf_to_ofd(bare, folder("ofd", "起诉书.ofd"), extra={last: [picture]})
    pdf_to_ofd(bare, folder("ofd_bare", "起诉书.ofd"))
    pdf_to_ofd(src, folder("ofd_double", "起诉书.ofd"), scan="double")
    pdf_to_ofd(src, folder("ofd_scan", "起诉书.ofd"), scan="image")
    return out


@pytest.fixture(scope="module")
def cases(made: dict[str, Path]) -> dict:
    return {key: extract_case(path, settings()) for key, path in made.items() if key != "ofd_scan"}


def _only(case):
    assert [d.type for d in case.documents] == [vocab.INDICTMENT], case.warnings
    return case.documents[0]


def _values(doc) -> dict:
    return {k: f.value for k, f in doc.fields.items()}


def _seal(doc):
    return next(s for s in doc.slots if s.kind == "seal")


# --------------------------------------------------------------------------- double-layer PDF


def test_double_layer_pages_read_the_ocr_layer(made: dict[str, Path]):
    ref = read_pdf(made["pdf"] / "起诉书.pdf", "a.pdf")
    got = read_pdf(made["double"] / "起诉书.pdf", "a.pdf")
    assert [p.text_source for p in ref] == ["text-layer"] * len(ref)
    assert [p.text_source for p in got] == ["ocr"] * len(ref)
    for r, g in zip(ref, got):
        assert not g.needs_ocr and g.ocr_confidence == OCR_LAYER_CONFIDENCE
        assert [(ln.text, ln.bbox) for ln in g.lines] == [(ln.text, ln.bbox) for ln in r.lines]
        assert {ln.confidence for ln in g.lines} == {OCR_LAYER_CONFIDENCE}


def test_double_layer_dossier_gives_the_text_layer_fields_and_seal_from_the_image(cases: dict):
    ref, got = _only(cases["pdf"]), _only(cases["double"])
    assert got.text_source == "ocr"
    assert got.text == ref.text
    assert _values(got) == _values(ref)
    seal = _seal(got)
    assert seal.filled is True and seal.evidence.text_source == "ocr"
    assert any(m.kind == "seal" for p in cases["double"].pages for m in p.marks)


def test_double_layer_without_seal_is_decided_from_the_image(cases: dict):
    doc = _only(cases["double_bare"])
    assert _seal(doc).filled is False
    assert not any(m.kind == "seal" for p in cases["double_bare"].pages for m in p.marks)


def test_invisible_text_without_a_scan_stays_text_layer(tmp_path: Path):
    from reportlab.pdfgen import canvas

    from fixtures.render import SANS, register_fonts

    register_fonts()
    path = tmp_path / "hidden.pdf"
    c = canvas.Canvas(str(path))
    t = c.beginText(72, 700)
    t.setTextRenderMode(3)
    t.setFont(SANS, 12)
    t.textOut("被告人张三，男，一九九〇年出生，汉族，初中文化。")
    c.drawText(t)
    c.save()
    page = read_pdf(path, "hidden.pdf")[0]
    assert page.text_source == "text-layer" and not page.needs_ocr


# --------------------------------------------------------------------------- OFD


def test_ofd_indictment_matches_the_pdf(cases: dict):
    ref, got = _only(cases["pdf"]), _only(cases["ofd"])
    assert got.text_source == "text-layer"
    assert got.text == ref.text
    assert _values(got) == _values(ref)
    assert cases["ofd"].files[0].kind == "ofd" and cases["ofd"].files[0].pages == 2
    assert _seal(got).filled is True


def test_ofd_without_seal_image_is_unsealed(cases: dict):
    assert _seal(_only(cases["ofd_bare"])).filled is False


def test_double_layer_ofd(cases: dict):
    ref, got = _only(cases["pdf"]), _only(cases["ofd_double"])
    assert got.text_source == "ocr"
    assert _values(got) == _values(ref)
    assert _seal(got).filled is True


def test_scanned_ofd_goes_to_ocr(made: dict[str, Path]):
    path = made["ofd_scan"] / "起诉书.ofd"
    pages = read_ofd(path, "起诉书.ofd")
    assert [p.needs_ocr for p in pages] == [True, True]
    image = OfdPageSource(path, 0).rasterize(100)
    assert image.shape[:2] == (1169, 827)
    assert (image < 128).any(axis=2).mean() > 0.005  # the scan's ink is there
    case = extract_case(made["ofd_scan"], settings())
    assert any("第1页为扫描图像，未能识别文字" in w for w in case.warnings)


@pytest.mark.slow
def test_scanned_ofd_page_is_ocrd(made: dict[str, Path], tmp_path: Path):
    pytest.importorskip("rapidocr")
    src = made["ofd_scan"] / "起诉书.ofd"
    one = tmp_path / "one"
    one.mkdir()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(one / "起诉书.ofd", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "Doc_0/Document.xml":  # keep page 1 only: OCR runs in this process
                text = data.decode()
                head, _, rest = text.partition('<ofd:Page ID=')
                second = rest.index('<ofd:Page ID=')
                data = (head + '<ofd:Page ID=' + rest[:second] + rest[rest.index('</ofd:Pages>'):]).encode()
            zout.writestr(info, data)
    case = extract_case(one, settings("rapidocr"))
    assert case.pages[0].text_source == "ocr"
    assert "起诉书" in case.pages[0].text.replace(" ", "")
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _hostile(kind: str, src: Path, out: Path) -> str:
    """Write a broken OFD ``out``; return a part of the Chinese error it must give."""
    if kind == "not_zip":
        out.write_bytes(b"%OFD not a zip at all" * 50)
        return "OFD 文件已损坏"
    with zipfile.ZipFile(src) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    if kind == "no_root":
        del members["OFD.xml"]
        out_msg = "缺少 OFD.xml"
    elif kind == "bad_xml":
        members["Doc_0/Pages/Page_0/Content.xml"] = b"<ofd:Page xmlns:ofd='x'><ofd:Content>"
        out_msg = "不是有效的 XML"
    elif kind == "entities":
        members["Doc_0/Document.xml"] = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                                         b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>')
        out_msg = "DTD/实体"
    elif kind == "bomb":
        members["Doc_0/Res/big.png"] = b"\0" * (30 * 1024 * 1024)
        out_msg = "压缩炸弹"
    elif kind == "page_size":
        members["Doc_0/Pages/Page_0/Content.xml"] = members["Doc_0/Pages/Page_0/Content.xml"].replace(
            b"<ofd:PhysicalBox>0 0 210 297", b"<ofd:PhysicalBox>0 0 9e9 297")
        out_msg = "尺寸异常"
    else:
        raise AssertionError(kind)
    _zip(out, members)
    return out_msg


@pytest.mark.parametrize("kind", ["not_zip", "no_root", "bad_xml", "entities", "bomb", "page_size"])
def test_corrupt_ofd_is_a_chinese_warning_and_the_rest_is_read(made: dict[str, Path], tmp_path: Path, kind: str):
    shutil.copy(made["pdf"] / "起诉书.pdf", tmp_path / "起诉书.pdf")
    expected = _hostile(kind, made["ofd_bare"] / "起诉书.ofd", tmp_path / "坏.ofd")
    case = extract_case(tmp_path, settings())
    bad = next(f for f in case.files if f.name == "坏.ofd")
    assert bad.error and expected in bad.error, bad.error
    assert any(w.startswith("坏.ofd：") and expected in w for w in case.warnings)
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]


def test_ofd_as_single_file_and_in_a_zip(made: dict[str, Path], tmp_path: Path):
    src = made["ofd"] / "起诉书.ofd"
    assert kind_of(src) == "ofd"
    assert [d.type for d in extract_case(src, settings()).documents] == [vocab.INDICTMENT]
    z = tmp_path / "卷宗.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(src, "卷一/起诉书.ofd")
    case = extract_case(z, settings())
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]
    assert case.documents[0].file == "卷宗.zip/卷一/起诉书.ofd"


def test_delta_abbreviation_and_garbage():
    assert parse_deltas("g 3 4.5 2 g 2 1") == [4.5, 4.5, 4.5, 2.0, 1.0, 1.0]
    assert parse_deltas("g x 1") == [] and parse_deltas(None) == []
    assert len(parse_deltas("g 999999999 1", limit=10)) == 10


def test_ofd_render_draws_images_in_place(made: dict[str, Path]):
    from extractors.ofd_render import render_pages

    images = render_pages(made["ofd"] / "起诉书.ofd", [1, 2], dpi=72)
    assert set(images) == {1, 2}
    red = lambda im: (im[..., 0].astype(int) - im[..., 1] > 80)  # noqa: E731
    assert not red(images[1]).any()
    ys, xs = np.nonzero(red(images[2]))
    assert ys.size > 0 and 150 < ys.mean() < 330 and 360 < xs.mean() < 500


def _signed(src: Path, out: Path, seal: dict, picture: bytes) -> Path:
    """``src`` with an electronic seal (``Signatures`` → ``StampAnnot`` over the seal slot) whose
    signature value carries ``picture`` wrapped in other bytes, as a DER SES_Signature does."""
    import re

    with zipfile.ZipFile(src) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    ids = re.findall(rb'<ofd:Page ID="(\d+)"', members["Doc_0/Document.xml"])
    x0, y0, x1, y1 = (v * MM_PER_PT for v in seal["bbox"])
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    members["OFD.xml"] = members["OFD.xml"].replace(
        b"</ofd:DocRoot>", b"</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>")
    members["Doc_0/Signs/Signatures.xml"] = (f'<ofd:Signatures {ns}><ofd:Signature ID="1" Type="Seal" '
                                             f'BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>')
    members["Doc_0/Signs/Sign_0/Signature.xml"] = (
        f'<ofd:Signature {ns}><ofd:SignedInfo><ofd:Provider ProviderName="test"/>'
        f'<ofd:StampAnnot ID="1" PageRef="{ids[seal["page"] - 1].decode()}" Boundary="{x0:g} {y0:g} {x1 - x0:g} {y1 - y0:g}"/>'
        f'</ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>')
    members["Doc_0/Signs/Sign_0/SignedValue.dat"] = b"\x30\x82\x10\x00 SES header " + picture + b"\x04\x20 cert and signature"
    return _zip(out, members)


@pytest.mark.parametrize("readable", [True, False])
def test_ofd_electronic_seal(made: dict[str, Path], tmp_path: Path, readable: bool):
    src, seal = _indictment(tmp_path / "bare.pdf", sealed=False)
    _signed(made["ofd_bare"] / "起诉书.ofd", tmp_path / "起诉书.ofd", seal,
            seal_png("北京市朝阳区人民检察院", 0) if readable else b"no picture here")
    (tmp_path / "bare.pdf").unlink()
    case = extract_case(tmp_path, settings())
    # a seal whose picture is found is drawn and detected; one that is not leaves the slot undecided
    assert _seal(_only(case)).filled is (True if readable else None)
