"""Files of the service, all under ``$ASSISTANT_DATA_DIR/service``:

- ``tmp/<uuid>/`` — an upload being received and checked (removed on refusal);
- ``scans/<id>/<name>/`` — the submitted dossier, moved here (atomic rename) before the 202;
- ``scans/<id>/report.json`` — the finished report, written atomically (temp file + rename).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from assistant.service import safe_name


class Storage:
    """The service's file storage: uploads land in ``tmp/``, each scan's input and report under ``scans/<id>/``
    (written atomically)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        (self.root / "scans").mkdir(parents=True, exist_ok=True)

    def new_tmp(self) -> Path:
        p = self.root / "tmp" / uuid.uuid4().hex
        p.mkdir(parents=True)
        return p

    def unique_target(self, folder: Path, name: str) -> tuple[str, Path]:
        """A sanitised name not yet used in ``folder`` (``a.pdf``, ``a-2.pdf`` …) and its path."""
        base = safe_name(name)
        stem, dot, ext = base.rpartition(".")
        candidate, n = base, 1
        while (folder / candidate).exists():
            n += 1
            candidate = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
        target = (folder / candidate).resolve()
        if target.parent != folder.resolve():
            raise ValueError("unsafe name")
        return candidate, target

    def scan_dir(self, scan_id: str) -> Path:
        return self.root / "scans" / scan_id

    def commit_input(self, tmp: Path, scan_id: str, name: str) -> Path:
        """Move a checked upload to ``scans/<id>/<name>`` (the dossier's folder name, a
        :func:`~assistant.service.safe_name`: bounded in bytes too). On failure the scan's folder is
        removed again, so a refused submission leaves nothing behind."""
        dest = self.scan_dir(scan_id)
        created = not dest.exists()
        try:
            dest.mkdir(parents=True, exist_ok=True)
            target = dest / safe_name(name)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except OSError:
            if created:
                shutil.rmtree(dest, ignore_errors=True)
            raise
        return target

    def discard(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)

    def write_report(self, scan_id: str, report: dict[str, Any]) -> Path:
        dest = self.scan_dir(scan_id)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "report.json"
        tmp = dest / f".report.{uuid.uuid4().hex}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(report, ensure_ascii=False))  # one call: the C encoder (json.dump streams in Python, ~4× slower)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def read_report(self, path: str | Path) -> dict[str, Any]:
        p = Path(path).resolve()
        if self.root not in p.parents:
            raise FileNotFoundError(p)
        return json.loads(p.read_text(encoding="utf-8"))

    def clean_tmp(self, older_than_s: float = 3600.0) -> None:
        """Remove uploads abandoned by a crashed server (older than ``older_than_s``)."""
        import time

        for p in (self.root / "tmp").iterdir():
            try:
                if time.time() - p.stat().st_mtime > older_than_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass
