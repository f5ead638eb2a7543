"""Faults against real servers, with printed figures (see README.md beside this file).

    .venv/bin/python bench/faults/run.py postgres            # health checks on, then off
    .venv/bin/python bench/faults/run.py postgres --after 15 --clients 6
    .venv/bin/python bench/faults/run.py redis               # runs the Redis fault tests, verbose

``postgres``: a throwaway PostgreSQL cluster (initdb on a free port; the shared server on
5432 is never touched), the app under gunicorn with DEBUG off, a few client threads loading
database-backed pages, and the cluster restarted twice: once while the clients keep going
("busy") and once while they pause ("quiet"). It prints, per phase, how many requests were
sent and how many failed. The claim: nothing that starts after the database is back fails,
and the exit status says whether that held for the run with health checks on.

``redis``: the Redis faults are tests (tests/test_faults.py: 1,000 queued jobs across a Redis
restart, Redis down while people use the site; tests/test_jobs_worker.py: a worker killed
with kill -9 mid-job). This runs them with their figures printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def run_postgres(args: argparse.Namespace) -> int:
    from tests.fault_scenarios import postgres_restart_under_load

    verdict = 0
    for health_checks in ([True, False] if args.compare else [True]):
        with tempfile.TemporaryDirectory(prefix="th-faults-") as workdir:
            print(f"\n== PostgreSQL restarts, CONN_HEALTH_CHECKS={'on' if health_checks else 'off'} ==")
            result = postgres_restart_under_load(
                Path(workdir), restarts=tuple(args.restarts), clients=args.clients, before=args.before,
                down=args.down, after=args.after, health_checks=health_checks, log=print,
            )
        print(result.table())
        failed = result.failed_after_back()
        total = sum(p.requests for p in result.phases if p.name.endswith("after it is back"))
        print(f"requests started after the database was back: {total}, failed: {failed}")
        if health_checks and failed:
            verdict = 1
    return verdict


def run_redis(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    env["FAULTS_VERBOSE"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
               "tests/test_faults.py", "-k", "redis",
               "tests/test_jobs_worker.py::test_worker_killed_mid_job_completes_exactly_once"]
    return subprocess.call(command, cwd=ROOT, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="scenario", required=True)
    pg = sub.add_parser("postgres", help="restart PostgreSQL under load")
    pg.add_argument("--clients", type=int, default=4)
    pg.add_argument("--before", type=float, default=5.0, help="seconds of load before the first restart")
    pg.add_argument("--down", type=float, default=2.0, help="seconds the database stays down")
    pg.add_argument("--after", type=float, default=10.0, help="seconds of load after each restart")
    pg.add_argument("--restarts", nargs="+", default=["busy", "quiet"], choices=["busy", "quiet"])
    pg.add_argument("--no-compare", dest="compare", action="store_false",
                    help="skip the second run with health checks off")
    pg.set_defaults(func=run_postgres)
    redis = sub.add_parser("redis", help="the Redis and worker fault tests, with figures")
    redis.set_defaults(func=run_redis)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
