# Production image: gunicorn + whitenoise for the web, the same image runs the worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=translate_hub.settings \
    TRANSLATE_HUB_VAR_DIR=/data \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 app \
    && mkdir -p /data && chown app:app /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY translate_hub ./translate_hub
COPY articles ./articles
COPY workflow ./workflow
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# collectstatic needs settings that import cleanly without the production secrets.
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py compilemessages

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "-c", "python:translate_hub.gunicorn_conf", "translate_hub.wsgi:application"]
