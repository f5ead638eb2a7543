"""translate_hub.wsgi warms the application up before a server forks its workers
(translate_hub/warmup.py): views imported, templates compiled, catalogs loaded — and no
database or Redis connection opened, since one made before a fork would be shared by every
worker. Checked in a fresh interpreter with the production settings, as gunicorn loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
import translate_hub.wsgi  # what gunicorn's master imports (preload_app)
from django.core.cache import caches
from django.db import connections
from django.template import engines
from django.utils.translation import trans_real

loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "views": [m for m in ("articles.views", "workflow.views.pages") if m in sys.modules],
    "templates": sorted(n for n in ("base.html", "workflow/article_detail.html", "workflow/available_list.html")
                        if n in loader.get_template_cache),
    "languages": sorted(trans_real._translations),
    "database_connections": [a for a in connections if connections[a].connection is not None],
    "cache_connections": [a for a in caches.settings if hasattr(caches._connections, a)],
}))
"""


def test_the_wsgi_module_warms_up_without_opening_a_connection(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "warm-up-test-" + "x" * 40, "ALLOWED_HOSTS": "localhost",
           "HTTPS": "0", "STATIC_ROOT": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["views"] == ["articles.views", "workflow.views.pages"]
    assert state["templates"] == ["base.html", "workflow/article_detail.html", "workflow/available_list.html"]
    assert {"en", "zh-hans"} <= set(state["languages"])
    assert state["database_connections"] == [] and state["cache_connections"] == []
