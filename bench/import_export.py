"""Time import_lctt and export_lctt on a TranslateProject-sized tree.

Builds a tree of N files (default 8,400, the size of the real repository) in a temporary
folder by replicating ../shared/lctt-samples with distinct file names and source URLs,
then times, on the configured database (DATABASE_URL, else SQLite):

* the first import (everything new),
* a second import of the same tree (nothing to do),
* the export, and checks that it reproduces every file byte for byte.

It runs in a throwaway database created next to the configured one (Django's test-database
machinery, named ``<test name>_lcttbench_<pid>``) and dropped afterwards, so it never
touches real data.

    DATABASE_URL=postgres://root@127.0.0.1:5432/test .venv/bin/python bench/import_export.py
    .venv/bin/python bench/import_export.py --files 2000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "lctt-samples"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "translate_hub.settings")


def build_tree(dest: Path, files: int) -> int:
    """Copies of the samples with distinct names and via URLs; returns the bytes written."""
    from articles import lctt

    samples = sorted(p for p in SAMPLES.rglob("*.md") if p.name != "README.md")
    originals = []
    for path in samples:
        rel = path.relative_to(SAMPLES).as_posix()
        raw = path.read_bytes()
        via = lctt.extract_fields(lctt.parse_bytes(raw, path=rel), kind=rel.split("/", 1)[0]).via
        originals.append((rel, raw, via.encode()))
    total = 0
    for index in range(files):
        rel, raw, via = originals[index % len(originals)]
        copy = index // len(originals)
        if copy:
            folder, name = rel.rsplit("/", 1)
            rel = f"{folder}/{name[:-3]} {copy}.md"
            if via:
                raw = raw.replace(via, via.rstrip(b"/") + f"/copy-{copy}".encode())
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        total += len(raw)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=8400, help="number of files in the tree (default 8400)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--writers", type=int, default=2, help="export writer threads (default 2)")
    parser.add_argument("--workdir", help="where to build the tree and export (default: a temporary folder); "
                        "e.g. /dev/shm to leave the disk out of the figures")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    from articles.lctt_repo import export_checkout, import_checkout

    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    base_name = connection.creation._get_test_db_name() if connection.vendor != "sqlite" else "sqlite"
    if connection.vendor != "sqlite":
        test_settings["NAME"] = f"{base_name}_lcttbench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    workdir = Path(tempfile.mkdtemp(prefix="lcttbench-", dir=args.workdir))
    try:
        tree = workdir / "checkout"
        size = build_tree(tree, args.files)
        print(f"tree: {args.files} files, {size / 1e6:.1f} MB in {tree}")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")

        def timed(label: str, function):
            started = time.perf_counter()
            result = function()
            seconds = time.perf_counter() - started
            print(f"{label:<16} {seconds:7.2f} s  {args.files / seconds:8.0f} files/s")
            return result

        first = timed("import", lambda: import_checkout(tree, batch_size=args.batch_size))
        second = timed("import again", lambda: import_checkout(tree, batch_size=args.batch_size))
        out = workdir / "export"
        exported = timed("export", lambda: export_checkout(out, writers=args.writers))

        print(
            f"first import: {first.created} created, {first.skipped} skipped, {sum(len(v) for v in first.warnings.values())} warnings; "
            f"second: {second.created} created, {second.updated} updated, {second.unchanged} unchanged"
        )
        mismatched = [
            p.relative_to(tree).as_posix()
            for p in tree.rglob("*.md")
            if not (out / p.relative_to(tree)).is_file() or (out / p.relative_to(tree)).read_bytes() != p.read_bytes()
        ]
        print(f"export: {exported.written} written, {exported.identical} identical; byte-for-byte mismatches: {len(mismatched)}")
        for path in mismatched[:10]:
            print("  mismatch:", path)
    finally:
        if connection.settings_dict["NAME"] != old_name:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
