"""The 罪名 pipeline loads without importing torch (thinc probes for it; a blank pipeline never uses it)."""

from __future__ import annotations

import subprocess
import sys


def test_the_charge_pipeline_does_not_import_torch_and_torch_still_imports_after():
    code = ("import sys\n"
            "from extractors.lexicon import nlp\n"
            "pipeline, matcher = nlp()\n"
            "doc = pipeline.make_doc('被告人张三犯盗窃罪')\n"
            "print(sorted(doc[b:c].text for _, b, c in matcher(doc)))\n"
            "print('torch' in sys.modules)\n"
            "import torch\n"
            "print(float(torch.tensor([2.0]).sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    lines = out.stdout.split("\n")
    assert lines[0] == "['盗窃罪', '被告人']" and lines[1] == "False" and lines[2] == "2.0", out.stdout + out.stderr
