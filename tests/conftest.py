"""Shared fixtures. Tests read the shared samples and bad-input data from ../shared/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
LCTT_SAMPLES = SHARED / "lctt-samples"
SECURITY_DATA = SHARED / "security"
IN_CI = os.environ.get("TRANSLATE_HUB_CI") == "1"


def pytest_collection_modifyitems(config, items):
    """A PostgreSQL-only test may skip on SQLite, but never in CI."""
    if connection.vendor == "postgresql":
        return
    for item in items:
        if "postgres" in item.keywords:
            if IN_CI:
                item.add_marker(pytest.mark.xfail(reason="CI must run on PostgreSQL", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """One test database per pytest process, so concurrent runs never drop each other's."""
    from pytest_django.fixtures import _set_suffix_to_test_databases

    _drop_test_databases_of_dead_runs()
    _set_suffix_to_test_databases(suffix=f"p{os.getpid()}")


def _drop_test_databases_of_dead_runs() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        return
    import psycopg

    prefix = f"test_{db['NAME']}_p"
    try:
        with psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None,
                             user=db.get("USER") or None, dbname="postgres",
                             autocommit=True, connect_timeout=5) as conn:
            names = [row[0] for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])]
            for name in names:
                pid = name[len(prefix):].split("_")[0]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # housekeeping only; the run itself doesn't depend on it


@pytest.fixture
def lctt_samples() -> Path:
    assert LCTT_SAMPLES.is_dir(), f"missing {LCTT_SAMPLES}"
    return LCTT_SAMPLES


@pytest.fixture
def security_data() -> Path:
    assert SECURITY_DATA.is_dir(), f"missing {SECURITY_DATA}"
    return SECURITY_DATA


@pytest.fixture
def english(settings) -> None:
    """Pages and messages in English, for tests that assert on their text."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _versions_at_each_write(request) -> None:
    """The work and links versions' triggers run at COMMIT in production (workflow/aggregates.py); a
    test runs in one transaction that never commits, so there they run at each write, and a
    page requested after a change sees the version it moved. Tests with real commits
    (``transaction=True``) keep the production timing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("db")
    from django.db import connection

    from workflow import aggregates

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {', '.join(aggregates.PG_DEFERRED_TRIGGERS)} IMMEDIATE")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 is slow on purpose (~0.3 s per test user); tests need no key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _quality_gate(request, settings) -> None:
    """Quality errors block submission in the product (workflow.quality_services). Most
    tests submit short stand-in drafts that are not translations of their article's source;
    they run without the gate, and the tests of the gate itself are marked ``quality_gate``."""
    settings.QUALITY_CHECKS_BLOCK_SUBMISSION = request.node.get_closest_marker("quality_gate") is not None
