#!/usr/bin/env bash
# Serves the app and runs a Celery worker (with the beat scheduler embedded) side by side on
# the embedded defaults; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

$BIN/celery -A translate_hub worker --beat --loglevel=INFO --concurrency=2 \
    --schedule=var/celerybeat-schedule &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

echo "translate_hub: http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)"
$BIN/python manage.py runserver "$HOST:$PORT" --noreload
