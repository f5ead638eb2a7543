"""A real Celery worker process for tests, on the real Redis and the test database.

The worker runs in its own process, reads the same test database (tests using it must be
``transaction=True`` so their rows are committed) and consumes a queue private to this
test session, so a concurrently running app or test run never takes its messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a worker process needs PostgreSQL (set DATABASE_URL)")
    user = settings_dict.get("USER") or "root"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


class WorkerProcess:
    def __init__(self, *, queue: str, redis_url: str, extra_env: dict[str, str] | None = None,
                 concurrency: int = 2, log_path: Path | None = None) -> None:
        self.queue = queue
        self.redis_url = redis_url
        self.extra_env = extra_env or {}
        self.concurrency = concurrency
        self.log_path = log_path or Path(f"/tmp/th-worker-{queue}.log")
        self.process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": self.redis_url,
            "CELERY_QUEUE": self.queue,
            "DJANGO_SETTINGS_MODULE": "translate_hub.settings",
            "TRANSLATE_HUB_FETCH_ALLOW_PRIVATE": "1",
            "CONN_MAX_AGE": "0",
        })
        env.update(self.extra_env)
        return env

    def start(self) -> WorkerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "translate_hub", "worker",
             "--loglevel=INFO", f"--concurrency={self.concurrency}", "--pool=prefork",
             "-Q", self.queue, "-n", f"{self.queue}-{uuid.uuid4().hex[:6]}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_tail()}")
            if b"ready." in self.log_path.read_bytes()[-20000:]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except FileNotFoundError:
            return ""

    def kill_hard(self) -> None:
        """kill -9 the whole worker (main process and its pool children)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_hard()


def unique_queue() -> str:
    return f"th-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
