"""The import contracts of ``pyproject.toml`` (``[tool.importlinter]``) hold: packages import only
downwards (``api`` → ``assistant`` → ``extractors`` | ``checks`` | ``index`` → ``models``), the three
middle packages never import each other, and no package has an import cycle among its modules.
Runs ``lint-imports`` as CI would, so a new upward import or cycle fails ``make test``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    proc = subprocess.run([sys.executable, "-c", script, "--no-cache"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout, proc.stdout[-3000:]
