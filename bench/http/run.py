#!/usr/bin/env python
"""HTTP benchmark: gunicorn on PostgreSQL with 100,000 (and 10,000) articles, driven by wrk.

    .venv/bin/python bench/http/run.py                # seed if needed, measure both sizes
    .venv/bin/python bench/http/run.py --reseed       # drop and re-seed the bench databases
    .venv/bin/python bench/http/run.py --sizes 100000 --duration 20 --workers 3 --threads 6

What it does:

1. for each data set size, creates, migrates and fills a database with ``manage.py seed_bulk``
   (``translate_hub_bench`` for 100,000 articles, ``translate_hub_bench_10k`` for 10,000 —
   the only databases it ever drops; reused when they already hold that many articles,
   unless ``--reseed``), then checkpoints the server;
2. starts one gunicorn per data set, side by side, with translate_hub/gunicorn_conf.py and
   production settings (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, HTTPS=0 so no redirect, REDIS_URL
   for the cache and sessions, whitenoise with collected static files) on 127.0.0.1, plus
   TRANSLATE_HUB_BENCH_VIEWS=1 for the bare view;
3. signs in through the real login form (a reviewer for the work pages, sixteen translators
   for the claim cycles);
4. measures every page with wrk at 16 connections after a warm-up — the bare view (full
   middleware, a constant) first and last, the pages, and claim + release cycles — on both
   data sets in ABBA order (10k, 100k, 100k, 10k), so a change in the machine's load during
   the run weighs on both sizes alike; each figure is the median of its runs;
5. prints requests/s, p50 and p99 per page, the ratio to the bare view, the targets, and how
   each page's p99 changed from 10,000 to 100,000 articles.

Browsers ask for compressed pages, so requests carry ``Accept-Encoding: gzip`` (``--no-gzip``
turns that off). Results also go to a JSON file (``--json``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
PASSWORD = "bench-password-1"  # the seeded users of a throwaway database
DB_PREFIX = "translate_hub_bench"

TARGET_RPS = 150
TARGET_P99_MS = 150
TARGET_RATIO = 0.10
TARGET_CYCLES = 100
TARGET_GROWTH = 0.20


def cpu_seconds() -> float:
    """A fixed pure-Python loop, best of three: this machine's speed today. Its cores are
    shared with other guests and their speed has varied threefold between days, so absolute
    figures from two runs compare only next to this number (the ratios to the bare view
    hardly move with it)."""
    def loop() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        return time.perf_counter() - started

    return min(loop() for _ in range(3))


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# --- Databases ------------------------------------------------------------------------------


def server_url(args) -> str:
    return args.postgres.rstrip("/")


def db_url(args, name: str) -> str:
    return f"{server_url(args)}/{name}"


def db_name(size: int) -> str:
    return DB_PREFIX if size == 100_000 else f"{DB_PREFIX}_{size // 1000}k"


def article_count(args, name: str) -> int | None:
    try:
        with psycopg.connect(db_url(args, name), connect_timeout=5) as conn:
            row = conn.execute("SELECT COALESCE(SUM(count), 0) FROM workflow_statecount").fetchone()
            return int(row[0])
    except psycopg.Error:
        return None


def manage(args, database: str, *command: str, timeout: int = 1800) -> str:
    env = {**os.environ, "DATABASE_URL": db_url(args, database), "DEBUG": "1"}
    env.pop("TRANSLATE_HUB_BENCH_VIEWS", None)
    result = subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout, check=False)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def ensure_database(args, size: int) -> dict:
    name = db_name(size)
    assert name.startswith(DB_PREFIX)  # never touch any other database
    if not args.reseed and article_count(args, name) == size:
        log(f"{name}: reusing {size:,} seeded articles (migrating to this commit)")
        manage(args, name, "migrate", "--noinput", "-v", "0")
        return {"database": name, "seeded_seconds": None}
    with psycopg.connect(db_url(args, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"{name}: migrating")
    manage(args, name, "migrate", "--noinput", "-v", "0")
    users = max(200, size // 50)
    log(f"{name}: seeding {size:,} articles, {users:,} users")
    started = time.perf_counter()
    output = manage(args, name, "seed_bulk", "--articles", str(size), "--users", str(users),
                    "--password", PASSWORD, "--vacuum")
    seconds = time.perf_counter() - started
    log(f"{name}: seeded in {seconds:.0f} s\n{output}")
    return {"database": name, "seeded_seconds": round(seconds, 1)}


def settle(args) -> None:
    """After seeding gigabytes the server is still writing them out: checkpoint first, so the
    first pages measured do not compete with it."""
    with contextlib.suppress(psycopg.Error), psycopg.connect(db_url(args, "postgres"), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def pick(args, name: str) -> dict:
    """The pages' subjects: real rows of this data set."""
    with psycopg.connect(db_url(args, name)) as conn:
        articles = [r[0] for r in conn.execute(
            "SELECT id FROM articles_article WHERE state = 'published' ORDER BY random() LIMIT 100")]
        top = conn.execute(
            "SELECT u.username FROM workflow_contributortotal t JOIN auth_user u ON u.id = t.user_id "
            "ORDER BY t.translator DESC, t.user_id LIMIT 1").fetchone()[0]
        # A reviewer with a little of everything on "my work" and the review queue.
        reviewer = conn.execute("""
            SELECT u.username FROM auth_user u
            JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id
            WHERE g.name = 'reviewer'
            ORDER BY (SELECT count(*) FROM workflow_claim c WHERE c.user_id = u.id AND c.ended_at IS NULL) = 0,
                     (SELECT count(*) FROM articles_article a WHERE a.reviewer_id = u.id AND a.state = 'in_review') DESC,
                     u.id
            LIMIT 1""").fetchone()[0]
        claimers = [r[0] for r in conn.execute("""
            SELECT u.username FROM auth_user u WHERE u.is_active AND NOT EXISTS (
                SELECT 1 FROM workflow_claim c WHERE c.user_id = u.id AND c.ended_at IS NULL)
            ORDER BY u.id DESC LIMIT %s""", [args.connections])]
        available = [r[0] for r in conn.execute(
            "SELECT id FROM articles_article WHERE state = 'available' ORDER BY random() LIMIT %s",
            [args.connections])]
    return {"articles": articles, "contributor": top, "reviewer": reviewer,
            "claimers": claimers, "available": available}


# --- The server -----------------------------------------------------------------------------


def collect_static(static_root: Path) -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "collectstatic-only", "ALLOWED_HOSTS": "localhost",
           "STATIC_ROOT": str(static_root)}
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True, timeout=300)


@dataclass
class Server:
    """One gunicorn over one data set, with the people and pages measured on it."""

    size: int
    database: dict
    port: int
    subjects: dict
    process: subprocess.Popen | None = None
    pages: list = field(default_factory=list)
    identities: list = field(default_factory=list)
    results: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(args, server: Server, static_root: Path) -> None:
    database = server.database["database"]
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "0",
        "DATABASE_URL": db_url(args, database),
        "REDIS_URL": args.redis,
        "CACHE_KEY_PREFIX": f"bench-{database}-{secrets.token_hex(4)}",
        "STATIC_ROOT": str(static_root),
        "TRANSLATE_HUB_BENCH_VIEWS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{server.port}",
        "GUNICORN_ACCESSLOG": "off" if not args.access_log else "-",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "1",
    }
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    with open(HERE / f".gunicorn-{server.port}.log", "w") as errors:  # the child keeps its own copy
        server.process = subprocess.Popen(
            [GUNICORN, "-c", "python:translate_hub.gunicorn_conf", "translate_hub.wsgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {HERE}/.gunicorn-{server.port}.log")
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def stop_server(server: Server) -> None:
    process = server.process
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sign_in(server: Server, username: str) -> tuple[str, str]:
    """Through the real login form; returns (sessionid, csrftoken)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.base}/accounts/login/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrfmiddlewaretoken": token}).encode()
    with opener.open(f"{server.base}/accounts/login/", data=data, timeout=30):
        pass
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not sign in as {username}")
    return cookies["sessionid"], cookies["csrftoken"]


def prepare(server: Server) -> None:
    subjects = server.subjects
    session, _csrf = sign_in(server, subjects["reviewer"])
    cookie = f"sessionid={session}"
    server.pages = [
        ("published list", ["/"], ""),
        ("article page", [f"/articles/{pk}/" for pk in subjects["articles"]], ""),
        ("contributor page", [f"/people/{urllib.parse.quote(subjects['contributor'])}/"], ""),
        ("leaderboard", ["/leaderboard/"], ""),
        ("Atom feed", ["/feed/"], ""),
        ("available, filtered *", ["/available/?category=tech&difficulty=2",
                                   "/available/?sort=short&length=medium",
                                   "/available/?category=talk&age=year&sort=date"], cookie),
        ("my work *", ["/my-work/"], cookie),
        ("review queue *", ["/review/"], cookie),
    ]
    for username, article in zip(subjects["claimers"], subjects["available"], strict=False):
        session_id, csrf = sign_in(server, username)
        server.identities.append((session_id, csrf, article))


# --- wrk ------------------------------------------------------------------------------------


def wrk(args, server: Server, *, script: str, env: dict, duration: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
               "-s", str(HERE / script), f"{server.base}/"]
    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                            timeout=duration + 60, check=False)
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.MULTILINE)
    if not match:
        raise SystemExit(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    for line in re.findall(r"^failed step: .*$", result.stdout, re.MULTILINE):
        log(line)
    return json.loads(match.group(1))


def measure_get(args, server: Server, paths: list[str], cookie: str = "") -> dict:
    env = {"BENCH_PATHS": ",".join(paths), "BENCH_COOKIE": cookie,
           "BENCH_ENCODING": "" if args.no_gzip else "gzip"}
    wrk(args, server, script="get.lua", env=env, duration=args.warmup, threads=2)
    return wrk(args, server, script="get.lua", env=env, duration=args.duration, threads=2)


def release_all(args, server: Server) -> None:
    """Start each run with every cycle's article available. A wrk run may stop between a
    claim and its release, and a claim it sent may still be running on the server after wrk
    has exited (and after a release sent meanwhile was refused): release until the database
    shows them all available."""
    articles = [int(article) for _, _, article in server.identities]
    opener = urllib.request.build_opener(_NoRedirect)
    for _ in range(100):
        for session, csrf, article in server.identities:
            request = urllib.request.Request(
                f"{server.base}/articles/{article}/release/", data=b"", method="POST",
                headers={"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf})
            # 302 (released) or a refusal (it was not claimed): both fine
            with contextlib.suppress(urllib.error.HTTPError):
                opener.open(request, timeout=30).close()
        with psycopg.connect(db_url(args, server.database["database"])) as conn:
            states = {row[0] for row in conn.execute(
                "SELECT state FROM articles_article WHERE id = ANY(%s)", [articles])}
        if states == {"available"}:
            return
        time.sleep(0.1)
    raise SystemExit(f"the claim cycle's articles are still {sorted(states)} after 100 releases")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def measure_claims(args, server: Server) -> dict:
    env = {"BENCH_IDENTITIES": ";".join(f"{s}|{c}|{a}" for s, c, a in server.identities)}
    n = len(server.identities)
    release_all(args, server)
    wrk(args, server, script="claim_release.lua", env=env, duration=args.warmup, threads=n)
    release_all(args, server)
    result = wrk(args, server, script="claim_release.lua", env=env, duration=args.duration, threads=n)
    release_all(args, server)
    return result


def combine(runs: list[dict]) -> dict:
    """Repeated measurements of one page: medians of the rates and percentiles (one run
    disturbed by something else on the machine does not decide), sums of failures."""
    merged = {key: round(statistics.median(r[key] for r in runs), 2)
              for key in runs[0] if key not in ("non_200", "errors", "requests", "bytes")}
    for key in ("non_200", "errors", "requests", "bytes"):
        merged[key] = sum(r[key] for r in runs)
    merged["runs"] = runs
    return merged


def describe(name: str, size: int, r: dict) -> str:
    if "cycles_per_s" in r:
        rate = f"{r['cycles_per_s']:8.1f} cycles/s"
    else:
        rate = f"{r['rps']:8.1f} req/s   "
    failed = f"  ({r['non_200']} failed!)" if r["non_200"] else ""
    return f"{name:24} {size:>7,}  {rate}  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms{failed}"


def measure_all(args, servers: list[Server]) -> None:
    """Every page on every data set, in ABBA order (10k, 100k, 100k, 10k …) so that a change
    in the machine's load during the run weighs on both sizes alike."""
    names = ["bare view", *[name for name, _p, _c in servers[0].pages], "claim + release", "bare view, again"]
    for name in names:
        runs: dict[int, list[dict]] = {server.size: [] for server in servers}
        for repeat in range(args.repeats):
            order = servers if repeat % 2 == 0 else list(reversed(servers))
            for server in order:
                if name == "claim + release":
                    result = measure_claims(args, server)
                elif name.startswith("bare view"):
                    result = measure_get(args, server, ["/bench/bare/"])
                else:
                    _n, paths, cookie = next(p for p in server.pages if p[0] == name)
                    result = measure_get(args, server, paths, cookie)
                runs[server.size].append(result)
        for server in servers:
            server.results[name] = combine(runs[server.size])
            log(describe(name, server.size, server.results[name]))


# --- Report ---------------------------------------------------------------------------------


def report(runs: list[dict]) -> list[str]:
    lines = []
    ok_all = True
    for run in runs:
        results = run["results"]
        bare = (results["bare view"]["rps"] + results["bare view, again"]["rps"]) / 2
        lines.append(f"\n{run['size']:,} articles — bare view {bare:.0f} req/s (mean of its first and last runs)")
        lines.append(f"{'page':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× bare':>7}  targets")
        for name, r in results.items():
            if name.startswith("bare"):
                continue
            if name == "claim + release":
                ok = r["cycles_per_s"] >= TARGET_CYCLES and not r["non_200"]
                lines.append(f"{name:28} {r['cycles_per_s']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                             f"{'':>7}  {'ok' if ok else 'MISSED'} (cycles/s ≥ {TARGET_CYCLES})")
            else:
                ratio = r["rps"] / bare if bare else 0.0
                ok = (r["rps"] >= TARGET_RPS and r["p99_ms"] < TARGET_P99_MS and ratio >= TARGET_RATIO
                      and not r["non_200"])
                lines.append(f"{name:28} {r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {ratio:7.3f}  "
                             f"{'ok' if ok else 'MISSED'}")
            ok_all &= ok
    if len(runs) == 2:
        small, large = sorted(runs, key=lambda run: run["size"])
        lines.append(f"\np99 growth from {small['size']:,} to {large['size']:,} articles (target ≤ {TARGET_GROWTH:.0%})")
        for name, r in large["results"].items():
            if name.startswith("bare"):
                continue
            before = small["results"][name]["p99_ms"]
            growth = (r["p99_ms"] - before) / before if before else 0.0
            ok = growth <= TARGET_GROWTH
            ok_all &= ok
            lines.append(f"{name:28} {before:8.2f} → {r['p99_ms']:8.2f} ms  {growth:+7.1%}  {'ok' if ok else 'MISSED'}")
    lines.append("\nall targets met" if ok_all else "\nsome targets MISSED")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Article counts, comma-separated.")
    parser.add_argument("--reseed", action="store_true", help="Drop and re-seed the bench databases.")
    parser.add_argument("--duration", type=int, default=10, help="Seconds of each measurement.")
    parser.add_argument("--repeats", type=int, default=3,
                        help="Measurements per page and size, alternating the sizes (ABBA).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per page.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0, help="GUNICORN_WORKERS (default: the config's).")
    parser.add_argument("--threads", type=int, default=0, help="GUNICORN_THREADS (default: the config's).")
    parser.add_argument("--port", type=int, default=8790, help="First port; each size takes the next.")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://root@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-gzip", action="store_true", help="Do not send Accept-Encoding: gzip.")
    parser.add_argument("--access-log", action="store_true", help="Keep gunicorn's access log on.")
    parser.add_argument("--json", default="", help="Also write the results to this file.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian package wrk)")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    calibration = cpu_seconds()
    log(f"bench/http on {os.cpu_count()} cores, load {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f}, commit {commit}, 5M-step Python loop {calibration:.2f} s")
    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    servers: list[Server] = []
    try:
        collect_static(static_root)
        for i, size in enumerate(sizes):
            database = ensure_database(args, size)
            servers.append(Server(size=size, database=database, port=args.port + i,
                                  subjects=pick(args, database["database"])))
        settle(args)
        for server in servers:
            start_server(args, server, static_root)
            prepare(server)
            log(f"{server.size:,} articles on :{server.port}; * = signed in as {server.subjects['reviewer']}")
        measure_all(args, servers)
    finally:
        for server in servers:
            stop_server(server)
        shutil.rmtree(static_root, ignore_errors=True)
    runs = [{"size": s.size, **s.database, "subjects": {k: v for k, v in s.subjects.items() if k != "articles"},
             "results": s.results} for s in servers]
    load_after = os.getloadavg()
    lines = report(runs)
    header = (f"{started:%Y-%m-%d %H:%M %Z}, commit {commit}, {os.cpu_count()} cores, "
              f"{args.connections} connections, gzip {'off' if args.no_gzip else 'on'}, "
              f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f}, "
              f"5M-step Python loop {calibration:.2f} s before / {cpu_seconds():.2f} s after")
    print("\n" + header + "\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"when": started.isoformat(), "commit": commit, "load_before": load_before,
                                               "load_after": load_after, "loop_seconds": calibration,
                                               "args": vars(args), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
