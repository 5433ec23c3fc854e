"""Session-wide test environment: tests never see the developer's data directory.

``make demo`` / ``make index`` build a similar-case index under ``./var/index``, which scans use
by default, and ``./var`` holds the disposition store. Tests that expect a scan without an index
must not depend on what a developer has built, so every test process (each xdist worker, and
the subprocesses it starts) gets its own empty ``ASSISTANT_DATA_DIR`` and no
``ASSISTANT_INDEX_DIR``; a test that wants either sets it itself.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_DATA_DIR = tempfile.mkdtemp(prefix="assistant-test-data-")
os.environ["ASSISTANT_DATA_DIR"] = _DATA_DIR
os.environ.pop("ASSISTANT_INDEX_DIR", None)
atexit.register(shutil.rmtree, _DATA_DIR, True)
