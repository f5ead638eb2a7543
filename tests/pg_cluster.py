"""A throwaway PostgreSQL cluster for tests and benchmarks that stop or restart the database.

The shared server on 5432 is never touched: this one is made with ``initdb`` in a temporary
directory and listens on a free port on 127.0.0.1 only. PostgreSQL refuses to run as root, so
when we are root the cluster belongs to the ``postgres`` system user (``runuser``). Its
superuser is called ``root`` with trust authentication, like the shared server, so the same
``postgres://root@127.0.0.1:PORT/NAME`` URLs work.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from tests.redis_server import free_port


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


class PgCluster:
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = Path(workdir) / "pg"
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.bin = postgres_bin_dir()
        self.as_postgres = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgres://root@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout)

    def init(self) -> PgCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            for path in (self.root, *self.root.parents):
                if path == Path("/") or path == Path("/tmp"):
                    break
                os.chmod(path, os.stat(path).st_mode | 0o011)  # let postgres traverse to its dir
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "root", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        return self

    def start(self) -> PgCluster:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")
        self.wait_ready()
        return self

    def ready(self) -> bool:
        result = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                                capture_output=True, timeout=10)
        return result.returncode == 0

    def wait_ready(self, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return time.monotonic()
            time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL on {self.port} not ready:\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def create_database(self, name: str) -> str:
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "root", name],
                       check=True, capture_output=True, timeout=60)
        return self.url(name)

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
