"""gunicorn settings for production (docker-compose `web`, bench/http).

Threads per worker let one process overlap the database round-trips of several requests;
two workers per core keep both cores busy while one of them waits. Every value can be
overridden by the environment (GUNICORN_WORKERS, GUNICORN_THREADS, PORT …).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 2))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# A gthread worker accepts connections while it has room for them (default 1,000), so with
# keep-alive one worker can take every client and serve them all on one core while the other
# workers idle: bench/http saw one process at 100 % and three at 0 %. Room for twice as
# many connections as it has threads spreads the clients over the workers (4 workers take
# 16 keep-alive clients; more wait in the listen queue until one goes idle, which gunicorn
# closes after ``keepalive`` seconds — behind a proxy each request is a new connection).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", threads * 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycling a worker costs a fresh process (imports are preloaded, connections and caches
# are not): at 5,000 requests each of 4 workers restarted every few seconds under load, which
# showed as p99 spikes in bench/http. 50,000 still bounds any slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50000))
max_requests_jitter = max_requests // 10
# "-" logs every request to stdout; "off" leaves access logging to the proxy in front.
_accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
accesslog = None if _accesslog in ("", "off") else _accesslog
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"

# The app is imported once in the master (preload_app) and warmed up there (translate_hub.wsgi,
# warmup.py: views, templates, catalogs), so a worker forked later — the first ones and each
# one max_requests replaces — serves its first request warm; a cold worker spent ~0.4 s of
# CPU on it while its clients waited (bench/http: p99 about 1 s in runs with a replacement,
# ~60 ms with warm workers replaced every 3,000 requests). Frozen, the app's objects are
# left out of every garbage collection in the workers (and their memory stays shared).
#
# The youngest generation is collected every 2,000 net allocations instead of 700. Every
# request leaves 40-120 objects in reference cycles (Django's lazy request.user closes over
# the request; forms cache their bound fields), which only the collector frees, and a
# collection's pause grows with the generation: 0.3 ms at 700, 0.65 ms at 2,000, 10-17 ms at
# 20,000 (in one process; under bench/http's load a worker's 20,000-object collections took
# 80 ms on average, up to 150 ms, and every request of that worker waited). The total time
# spent collecting is about the same at each size (per request: 60-67 us at 700, 46 us at
# 2,000, 69-71 us at 20,000); at 20,000 it showed as every page's p99 (bench/http/README.md).
_gc_gen0 = int(os.environ.get("GUNICORN_GC_GEN0", 2000))


def when_ready(server):
    gc.freeze()


def post_fork(server, worker):
    gc.set_threshold(_gc_gen0, 10, 10)
