"""The fuzz harness's ``unread`` class (``bench/fuzz.py``, issue 24): readable-looking but empty inputs
— a PDF whose fonts lost their ToUnicode maps, an OFD in a structure the reader does not know, an
image of a blank page — alone and beside a good PDF, through the CLI and the API. Each must end in
a warning naming the file and 「无法评定」, never in a grade, and break none of the harness's checks."""

from __future__ import annotations

import random

from bench import fuzz


def test_unread_inputs_end_in_ungradable_with_a_warning():
    outcomes = fuzz.run(6, ["unread"], seed=24, timeout=60, memory_gib=2.0, api=True, ocr="none", verbose=False)
    assert {o.builder for o in outcomes} == {b.__name__ for b in fuzz.UNREAD}
    assert any(o.mixed for o in outcomes) and any(not o.mixed for o in outcomes)
    failed = [(o.builder, o.mixed, o.crash, o.hang, o.over_memory, o.lost, o.problems) for o in outcomes
              if o.crash or o.hang or o.over_memory or o.lost or o.problems]
    assert failed == []
    assert [o.grade for o in outcomes] == [fuzz.UNGRADABLE] * len(outcomes)
    assert all(o.api_status == 200 for o in outcomes)


def test_the_harness_flags_a_grade_given_to_an_unread_dossier():
    """The check itself: a report that grades while a file was unread is a problem for every class."""
    report = {"grade": "合格", "warnings": [], "file_errors": [],
              "coverage": {"unread_files": [{"file": "卷二.pdf", "reason": "文字层乱码"}]}}
    o = fuzz.Outcome(cls="pdf", builder="x", mixed=False)
    fuzz.check_unread(report, o)
    assert o.problems and o.problems[0].startswith("graded-unread:合格")
    o = fuzz.Outcome(cls="unread", builder="x", mixed=False)
    fuzz.check_unread({**report, "grade": fuzz.UNGRADABLE}, o)
    assert o.problems == ["unread-no-warning"]
    o = fuzz.Outcome(cls="unread", builder="x", mixed=False)
    fuzz.check_unread({**report, "grade": fuzz.UNGRADABLE, "warnings": ["卷二.pdf：未能读出任何文字"]}, o)
    assert o.problems == [] and o.grade == fuzz.UNGRADABLE


def test_unread_builders_make_files_that_look_readable(tmp_path):
    """The inputs are not broken files: the PDF and OFD open and have pages, the image decodes."""
    from extractors.ofd import page_count as ofd_pages
    from extractors.pdf import page_count as pdf_pages
    from fixtures.hostile import Base
    from PIL import Image

    base = Base.build(tmp_path / "base", formats=True)
    rng = random.Random(1)
    pdf = fuzz.unread_pdf_no_tounicode(rng, tmp_path / "a", base)
    ofd = fuzz.unread_ofd_unknown_structure(rng, tmp_path / "b", base)
    img = fuzz.unread_blank_image(rng, tmp_path / "c", base)
    assert pdf_pages(pdf) == pdf_pages(base.pdf) and ofd_pages(ofd) == ofd_pages(base.ofd)
    assert b"/ToUnicode" in base.pdf.read_bytes() and b"/ToUnicode" not in pdf.read_bytes()
    with Image.open(img) as im:
        assert im.size == (827, 1169)
