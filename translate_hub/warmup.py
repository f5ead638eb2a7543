"""What a new server process would otherwise do in its first request, done before it serves.

A gunicorn worker that starts cold spends about 0.4 s of CPU in its first request: the
URLconf imports every view (aiohttp and the extraction libraries among them), the cache and
session backends are imported, the translation catalogs merged, and each template compiled
on first use. Meanwhile the connections that worker had accepted wait: bench/http measured a
p99 of about one second in the runs where gunicorn replaced workers (``max_requests``).

``translate_hub.wsgi`` calls :func:`warm_up` right after building the application. With
``preload_app`` (our gunicorn default) that happens once, in the master, before it forks:
every worker, the first ones and each replacement, starts warm and shares the memory. No
database or Redis connection is opened here (a connection made before a fork would be
shared by every worker).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import translation
from django.utils.module_loading import import_string


def warm_up() -> None:
    get_resolver().reverse_dict  # noqa: B018 - imports the URLconf and every view, builds reverse()
    for alias in settings.CACHES:
        import_string(settings.CACHES[alias]["BACKEND"])
    import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Published")  # loads and merges this language's catalogs
    _compile_templates()


def _compile_templates() -> None:
    """The project's own templates, through the engine's loaders: with the cached loader
    (production) each compiled template stays in memory for every later render."""
    for engine in engines.all():
        for directory in getattr(engine, "engine", engine).dirs:
            root = Path(directory)
            for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
                engine.get_template(path.relative_to(root).as_posix())
