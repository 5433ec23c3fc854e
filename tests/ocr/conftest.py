from __future__ import annotations

from pathlib import Path

import pytest

from tests.ocr import pages


def char_accuracy(ref: str, hyp: str) -> float:
    """1 − (Levenshtein distance / reference length), whitespace ignored."""
    a, b = "".join(ref.split()), "".join(hyp.split())
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), 1)


@pytest.fixture(scope="session")
def indictment_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ocr") / "indictment.pdf"
    pages.render(path, pages.INDICTMENT)
    return path


@pytest.fixture(scope="session")
def marks_pdf(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("ocr") / "marks.pdf"
    placed = pages.render(path, pages.TRANSCRIPT, marks=True, seed=3)
    return path, placed
