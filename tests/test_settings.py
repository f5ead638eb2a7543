"""Settings: env-driven, safe defaults, and a clear stop when production misses a secret."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL.split(':')[0], settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "translate_hub.settings"},
        capture_output=True, text=True, timeout=60,
    )


def test_no_variables_gives_debug_sqlite_and_serverless_broker(tmp_path):
    result = run_check({"TRANSLATE_HUB_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "django.db.backends.sqlite3", "filesystem", "zh-hans", "Asia/Shanghai", "True"
    ]


def test_database_and_redis_urls_switch_to_real_services(tmp_path):
    result = run_check({
        "TRANSLATE_HUB_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://root@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    })
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:3] == ["django.db.backends.postgresql", "redis"]


def test_production_without_secret_key_stops_with_clear_message():
    result = run_check({"DEBUG": "0", "ALLOWED_HOSTS": "hub.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_without_allowed_hosts_stops_with_clear_message():
    result = run_check({"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_postgres_has_health_checks(settings):
    import dj_database_url
    from django.conf import settings as live

    if live.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        assert live.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    parsed = dj_database_url.parse("postgres://u@h/db", conn_health_checks=True)
    assert parsed["CONN_HEALTH_CHECKS"] is True
