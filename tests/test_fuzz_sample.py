"""A small sample of the fuzz harness (``bench/fuzz.py``) in CI: ~30 malformed inputs of every
class (the quick builders), through the CLI and the API, with time and memory limits.

Fails on any crash, hang, memory overrun, lost document in a mixed folder, invalid JSON, message
that is not Chinese, API 500 or temporary file left behind."""

from __future__ import annotations

from bench import fuzz
from fixtures.hostile import CLASSES


def test_fuzz_sample_has_no_failure():
    outcomes = fuzz.run(30, list(CLASSES), seed=15, timeout=60, memory_gib=2.0, api=True, ocr="none",
                        verbose=False, quick=True)
    assert len(outcomes) == 30
    assert {o.cls for o in outcomes} == set(CLASSES)
    assert any(o.mixed for o in outcomes)
    failed = [(o.cls, o.builder, o.mixed, o.crash, o.hang, o.over_memory, o.lost, o.problems) for o in outcomes
              if o.crash or o.hang or o.over_memory or o.lost or o.problems]
    assert failed == []
    assert any(o.api_status == 202 or o.api_status == 200 for o in outcomes)
