"""Fault scenarios against real servers, shared by tests/test_faults.py and bench/faults/run.py.

``postgres_restart_under_load`` builds a production-shaped stack on this machine: a throwaway
PostgreSQL cluster (tests/pg_cluster.py, never the shared one), the app migrated into it and
served by gunicorn with DEBUG off and persistent connections with health checks
(CONN_MAX_AGE, CONN_HEALTH_CHECKS). Client threads load a few database-backed pages while
the cluster is stopped and started again; every request is classified by when it started:
before the stop, while the database was down, or after it accepted connections again. The
claim under test: no request that starts after the database is back fails.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.pg_cluster import PgCluster
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent

SEED = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from articles.models import Article, ArticleState
tina = get_user_model().objects.create_user("tina", password="x-" + "9" * 12)
body = "# 标题\\n\\n" + "这是一段译文，讲的是 Linux 的命令行。\\n\\n" * 20
ids = []
for n in range({articles}):
    article = Article.objects.create(
        subject=f"A post about Linux number {{n}}", title=f"关于 Linux 的第 {{n}} 篇文章",
        via=f"https://example.org/posts/{{n}}/", via_normalized=f"https://example.org/posts/{{n}}",
        source_markdown="# Title\\n\\nBody text.", translation_markdown=body,
        state=ArticleState.PUBLISHED, published_at=timezone.now(), translator=tina, word_count=300)
    ids.append(article.pk)
print(",".join(map(str, ids)))
"""


@dataclass
class Request:
    started: float
    ended: float
    path: str
    status: int  # 0 = no HTTP answer (connection refused, timeout)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class PhaseFigures:
    name: str
    requests: int
    failed: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass
class Restart:
    kind: str  # "busy": the clients keep going while the database is down; "quiet": they pause
    stopped_at: float
    back_at: float

    @property
    def downtime_s(self) -> float:
        return self.back_at - self.stopped_at


@dataclass
class RestartResult:
    health_checks: bool
    restarts: list[Restart]
    phases: list[PhaseFigures]
    requests: list[Request]

    def phase(self, name: str) -> PhaseFigures:
        return next(p for p in self.phases if p.name == name)

    def failed_after_back(self) -> int:
        return sum(p.failed for p in self.phases if p.name.endswith("after it is back"))

    def table(self) -> str:
        lines = [f"{'phase':<40}{'requests':>9}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statuses"]
        for p in self.phases:
            statuses = ", ".join(f"{k or 'no answer'}×{v}" for k, v in sorted(p.statuses.items()))
            lines.append(f"{p.name:<40}{p.requests:>9}{p.failed:>8}{p.p50_ms:>9.1f}{p.p95_ms:>9.1f}"
                         f"{p.max_ms:>9.1f}  {statuses}")
        return "\n".join(lines)


def _figures(name: str, requests: list[Request]) -> PhaseFigures:
    latencies = sorted((r.ended - r.started) * 1000 for r in requests) or [0.0]
    statuses: dict[int, int] = {}
    for r in requests:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return PhaseFigures(name, len(requests), sum(not r.ok for r in requests),
                        statistics.median(latencies), p95, latencies[-1], statuses)


def _env(workdir: Path, database_url: str, port: int, health_checks: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL", "DJANGO_"))}
    env.update({
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0", "DATABASE_URL": database_url, "CONN_MAX_AGE": "600",
        "CONN_HEALTH_CHECKS": "1" if health_checks else "0",
        "TRANSLATE_HUB_VAR_DIR": str(workdir / "var"), "STATIC_ROOT": str(workdir / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESSLOG": str(workdir / "access.log"), "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "translate_hub.settings",
    })
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _get(base: str, path: str, timeout: float = 10) -> Request:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:
            response.read()
            return Request(started, time.monotonic(), path, response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return Request(started, time.monotonic(), path, error.code)
    except OSError as error:
        return Request(started, time.monotonic(), path, 0, type(error).__name__)


def _wait_http(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        if _get(base, "/healthz", timeout=2).ok:
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def postgres_restart_under_load(
    workdir: Path, *, restarts: tuple[str, ...] = ("busy", "quiet"), clients: int = 4,
    before: float = 5.0, down: float = 2.0, after: float = 10.0, articles: int = 30,
    health_checks: bool = True, log=lambda message: None,
) -> RestartResult:
    """Restart the database once per entry of ``restarts``, ``after`` seconds apart.

    "busy": the clients keep sending while the database is down (requests fail, and the
    failures make Django drop those connections). "quiet": the clients pause while it is
    down, as at a quiet hour, so pooled connections sit idle across the restart and die
    unnoticed; only the health check saves the first request on each of them.
    """
    workdir = Path(workdir)
    cluster = PgCluster(workdir).init().start()
    gunicorn = None
    requests: list[Request] = []
    done: list[Restart] = []
    try:
        database_url = cluster.create_database("translate_hub")
        port = free_port()
        env = _env(workdir, database_url, port, health_checks)
        log(f"PostgreSQL {cluster.bin.parent.name} on 127.0.0.1:{cluster.port}; migrating and seeding")
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput")
        ids = _manage(env, "shell", "-c", SEED.format(articles=articles)).strip().splitlines()[-1].split(",")
        paths = ["/", "/leaderboard/", "/feed/", "/healthz", *[f"/articles/{pk}/" for pk in ids[:10]]]
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:translate_hub.gunicorn_conf",
             "translate_hub.wsgi:application"],
            cwd=ROOT, env=env, stdout=open(workdir / "gunicorn.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_http(base, gunicorn)
        log(f"gunicorn (2 workers × 4 threads, CONN_MAX_AGE=600, health checks "
            f"{'on' if health_checks else 'OFF'}) on {base}; {clients} clients")
        lock = threading.Lock()
        stop = threading.Event()
        paused = threading.Event()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                if paused.is_set():
                    time.sleep(0.02)
                    continue
                result = _get(base, rng.choice(paths))
                with lock:
                    requests.append(result)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(before)
        for kind in restarts:
            if kind == "quiet":
                paused.set()
                time.sleep(1.0)  # let the requests in flight finish
            stopped_at = time.monotonic()
            log(f"{kind} restart: pg_ctl stop -m fast, {down:.1f} s down, start")
            cluster.stop("fast")
            time.sleep(down)
            cluster.start()
            done.append(Restart(kind, stopped_at, cluster.wait_ready()))
            paused.clear()
            time.sleep(after)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        cluster.destroy()
    phases = [_figures("before the first stop", [r for r in requests if done and r.ended < done[0].stopped_at])]
    for n, restart in enumerate(done, 1):
        next_stop = done[n].stopped_at if n < len(done) else float("inf")
        label = f"restart {n} ({restart.kind}, {restart.downtime_s:.1f} s)"
        phases.append(_figures(f"{label}: database down", [
            r for r in requests if r.ended >= restart.stopped_at and r.started < restart.back_at]))
        phases.append(_figures(f"{label}: after it is back", [
            r for r in requests if restart.back_at <= r.started and r.ended < next_stop]))
    return RestartResult(health_checks=health_checks, restarts=done, phases=phases, requests=requests)
