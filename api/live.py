"""Run the service as a real subprocess on loopback (``assistant serve``), for end-to-end
tests, the load bench and local trials. Only binds 127.0.0.1 on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``with LiveServer(data_dir) as srv: srv.url`` — a server in its own process group."""

    def __init__(self, data_dir: Path, workers: int = 1, env: dict[str, str] | None = None, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ASSISTANT_DATA_DIR": str(self.data_dir), "PYTHONPATH": str(REPO_ROOT),
                    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
        self.env.pop("DATABASE_URL", None)
        self.env.pop("ASSISTANT_DATABASE_URL", None)
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir / "server.log"

    def cli(self, *args: str) -> str:
        """Run ``assistant <args>`` against the same data dir; returns stdout."""
        out = subprocess.run([sys.executable, "-m", "api.cli", *args], env=self.env, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"assistant {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def create_key(self, role: str, name: str = "") -> str:
        return self.cli("keys", "create", "--role", role, "--name", name or role).strip().splitlines()[-1]

    def start(self, timeout: float = 60.0) -> "LiveServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        logf = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers)],
            env=self.env, cwd=REPO_ROOT, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                r = httpx.get(self.url + "/healthz", timeout=1.0)
                if r.status_code == 200 and r.json()["workers"] >= min(self.workers, 1):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start in time")

    def kill(self) -> None:
        """SIGKILL the whole process group (server and its scan workers), as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
