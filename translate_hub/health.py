"""Liveness and readiness for load balancers and docker-compose health checks."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from translate_hub.security import PERMISSIONS_POLICY


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # report, don't raise: the check itself must answer
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database},
                        status=status)


class HealthCheckMiddleware:
    """Answers ``/healthz`` before anything reads the Host header or redirects to HTTPS.

    Container and load-balancer probes call ``http://127.0.0.1:8000/healthz`` from inside,
    with a Host that is not in ALLOWED_HOSTS (Django would answer 400, and the container
    would be marked unhealthy forever). Right after SecurityMiddleware (which exempts the
    path from the HTTPS redirect and adds its headers); no other path is affected.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            response = healthz(request)
            response["Permissions-Policy"] = PERMISSIONS_POLICY
            return response
        return self.get_response(request)
