"""docker-compose.yml and the Dockerfile can't be run here (no Docker engine), so check
that what they name exists: modules, callables, settings, files and health checks."""

from __future__ import annotations

import importlib
import re
import shlex

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def command_of(service: dict) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def test_production_shape_services_are_there():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_health_check_or_is_a_one_shot(name):
    service = SERVICES[name]
    if name in {"migrate", "beat"}:
        # migrate runs once; beat has no port or control channel to probe, and compose
        # restarts it if it exits.
        assert service.get("restart") in {"no", "unless-stopped"}
        return
    assert "healthcheck" in service, f"{name} has no health check"


def test_app_services_get_database_and_redis_from_env_and_persist_data():
    for name in ("web", "worker", "beat", "migrate"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["DEBUG"] == "0"
        assert "SECRET_KEY" in env and "ALLOWED_HOSTS" in env
        assert any(v.startswith("app-data:") for v in SERVICES[name]["volumes"])
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "redis-data", "app-data"}


def test_web_command_names_an_existing_wsgi_app_and_gunicorn_config():
    command = command_of(SERVICES["web"])
    assert command[0] == "gunicorn"
    config = command[command.index("-c") + 1]
    assert config.startswith("python:")
    conf = importlib.import_module(config.removeprefix("python:"))
    assert conf.workers >= 1 and conf.worker_class in {"gthread", "sync"} and conf.keepalive > 0
    module_name, attribute = command[-1].split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_commands_name_the_project_app(name):
    command = command_of(SERVICES[name])
    assert command[:2] == ["celery", "-A"]
    package = importlib.import_module(command[2])
    app = package.celery_app
    assert command[3] in {"worker", "beat"}
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True


def test_beat_schedule_names_registered_tasks():
    from translate_hub.celery import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, f"beat schedules unknown task {entry['task']}"


def test_migrate_command_is_a_real_management_command():
    from django.core.management import get_commands

    command = command_of(SERVICES["migrate"])
    assert command[:2] == ["python", "manage.py"] and command[2] in get_commands()


def test_healthcheck_url_exists_in_the_project():
    from django.urls import resolve

    web_check = " ".join(SERVICES["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*)", web_check).group(1)
    resolve(path)


@pytest.mark.django_db
def test_healthcheck_answers_the_probes_host_which_is_not_an_allowed_host(settings):
    """The probes ask http://127.0.0.1:8000/healthz from inside the container; production's
    ALLOWED_HOSTS names the public host only, and HTTPS redirects plain HTTP."""
    from django.test import Client

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["translate.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    probe = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert probe.status_code == 200
    assert probe.json() == {"status": "ok", "database": "ok"}
    assert probe["X-Content-Type-Options"] == "nosniff" and "camera=()" in probe["Permissions-Policy"]
    # every other path still validates the host
    assert client.get("/leaderboard/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/leaderboard/", HTTP_HOST="translate.example.org").status_code == 301


def test_dockerfile_copies_what_exists_and_runs_the_same_server():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", dockerfile, flags=re.M):
        for item in source.split():
            assert (ROOT / item).exists(), f"Dockerfile copies missing {item}"
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.M).group(1)
    assert yaml.safe_load(cmd) == command_of(SERVICES["web"])


def test_settings_named_in_the_image_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    module = re.search(r"DJANGO_SETTINGS_MODULE=(\S+)", dockerfile).group(1)
    settings = importlib.import_module(module)
    assert hasattr(settings, "DATABASES") and hasattr(settings, "CELERY_BROKER_URL")
