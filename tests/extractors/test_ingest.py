"""Ingest safety and per-file errors: Chinese messages, and the rest of the dossier is still read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from extractors import DossierReadError, extract_case
from extractors.ingest import Ingest
from models.settings import Limits, Settings
from models import vocab

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def make_pdf(path: Path, title: str = "起 诉 书", body: str = "被告人张三，男，1990年1月1日出生。") -> Path:
    if "W" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("W", FONT))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("W", 20)
    c.drawCentredString(A4[0] / 2, 780, title)
    c.setFont("W", 12)
    c.drawString(60, 740, body)
    c.drawString(60, 720, "经依法审查查明：被告人张三于2024年1月1日在某地窃取财物，本院认为其行为构成盗窃罪。")
    c.showPage()
    c.save()
    return path


def settings(**limits) -> Settings:
    return Settings(limits=Limits(**limits), ocr_engine="none", ocr_workers=1, ocr_dpi=200)


@pytest.fixture()
def good_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "good.pdf")


def test_zip_path_escape_refused(tmp_path: Path, good_pdf: Path):
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(good_pdf, "卷/起诉书.pdf")
        zf.writestr("../evil.txt", "x")
        zf.writestr("/abs/evil.txt", "x")
    case = extract_case(z, settings())
    assert any("越出解压目录" in w for w in case.warnings)
    assert any("绝对路径" in w for w in case.warnings)
    assert not (tmp_path.parent / "evil.txt").exists()
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]


def test_zip_bomb_refused(tmp_path: Path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"0" * (20 * 1024 * 1024))
    with pytest.raises(DossierReadError) as exc:
        extract_case(z, settings())
    assert "压缩炸弹" in str(exc.value)


def test_zip_total_size_and_member_count(tmp_path: Path, good_pdf: Path):
    z = tmp_path / "many.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(12):
            zf.writestr(f"f{i}.txt", "张三")
    with Ingest(z, settings(zip_members=10)) as ing:
        assert not ing.result.files
        assert "文件数过多" in ing.result.warnings[0]
    with Ingest(z, settings(zip_total_bytes=10)) as ing:
        assert "总体积过大" in ing.result.warnings[0]


def test_bad_files_become_warnings_and_rest_is_read(tmp_path: Path):
    folder = tmp_path / "dossier"
    folder.mkdir()
    make_pdf(folder / "01_起诉书.pdf")
    (folder / "02_坏文件.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf")
    (folder / "03_空文件.pdf").write_bytes(b"")
    (folder / "04_压缩包.rar").write_bytes(b"Rar!\x1a\x07\x00")
    make_pdf(tmp_path / "plain.pdf")
    with pikepdf.open(tmp_path / "plain.pdf") as pdf:
        pdf.save(folder / "05_加密.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner"))
    (folder / "06_坏图像.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (folder / ".hidden.pdf").write_bytes(b"junk")
    (folder / "x.truth.json").write_text("{}")
    case = extract_case(folder, settings())
    errors = {f.name: f.error for f in case.files if f.error}
    assert "已损坏" in errors["02_坏文件.pdf"]
    assert "为空" in errors["03_空文件.pdf"]
    assert errors["04_压缩包.rar"] == "不支持的文件格式：04_压缩包.rar"
    assert errors["05_加密.pdf"] == "文件已加密，无法读取"
    assert "图像" in errors["06_坏图像.png"]
    assert not any(".hidden" in f.name or "truth" in f.name for f in case.files)
    assert [d.type for d in case.documents] == [vocab.INDICTMENT]
    assert any("不支持的文件格式：04_压缩包.rar" in w for w in case.warnings)


def test_empty_pdf_without_pages(tmp_path: Path):
    pdf = pikepdf.new()
    pdf.save(tmp_path / "empty.pdf")
    with pytest.raises(DossierReadError) as exc:
        extract_case(tmp_path / "empty.pdf", settings())
    assert "没有任何页面" in str(exc.value)


def test_missing_and_empty_dossier(tmp_path: Path):
    with pytest.raises(DossierReadError, match="不存在"):
        extract_case(tmp_path / "nope", settings())
    (tmp_path / "empty").mkdir()
    with pytest.raises(DossierReadError, match="为空"):
        extract_case(tmp_path / "empty", settings())


def test_image_bomb_refused_and_scan_warning(tmp_path: Path):
    folder = tmp_path / "d"
    folder.mkdir()
    Image.new("RGB", (2000, 2000), "white").save(folder / "big.png")
    Image.new("RGB", (400, 300), "white").save(folder / "scan.png")
    case = extract_case(folder, settings(image_pixels=1_000_000))
    errors = {f.name: f.error for f in case.files if f.error}
    assert "解压炸弹" in errors["big.png"]
    assert any("第1页为扫描图像，未能识别文字（OCR 不可用）" in w for w in case.warnings)


def test_docx_pages(tmp_path: Path):
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.add_paragraph("金华市婺城区人民检察院")
    d.add_paragraph("起诉书")
    d.add_paragraph("被告人张三，男，1990年1月1日出生，公民身份号码11010519491231002X。")
    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.add_paragraph("量刑建议书")
    d.add_paragraph("建议判处被告人张三有期徒刑一年。")
    d.save(tmp_path / "a.docx")
    case = extract_case(tmp_path / "a.docx", settings())
    assert [(x.type, x.pages) for x in case.documents] == [(vocab.INDICTMENT, [1]), (vocab.SENTENCING_RECOMMENDATION, [2])]
    person = case.documents[0].value(vocab.PERSONS)[0]
    assert person["id_number"] == "11010519491231002X" and person["valid"] is True
    assert case.documents[1].value(vocab.RECOMMENDATION)["months"] == 12
    assert case.documents[0].evidence(vocab.SUSPECT_NAME)[0].bbox is None


class _RawNameInfo(zipfile.ZipInfo):
    """A member whose name is written in ``codec`` without the UTF-8 flag (Info-ZIP / Windows tools)."""

    codec = "utf-8"

    def _encodeFilenameFlags(self):
        return self.filename.encode(self.codec), self.flag_bits & ~0x800


@pytest.mark.parametrize("codec", ["utf-8", "gbk"])
def test_zip_member_names_without_utf8_flag(tmp_path: Path, good_pdf: Path, codec: str):
    info = type("Info", (_RawNameInfo,), {"codec": codec})("卷宗/起诉书.pdf")
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(info, good_pdf.read_bytes())
    with zipfile.ZipFile(z) as zf:
        assert not zf.infolist()[0].flag_bits & 0x800
    with Ingest(z) as ing:
        assert [f.name for f in ing.result.files] == ["d.zip/卷宗/起诉书.pdf"]
