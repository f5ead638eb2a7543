"""Response headers Django and django-csp do not set on their own.

* ``Permissions-Policy``: the site uses no camera, microphone, location, payment or USB;
  saying so means an injected frame or script cannot ask for them either.
* ``Cache-Control: private, no-store`` on every response to a signed-in person (drafts,
  review notes, notification lists): no shared cache keeps it, and the browser does not
  show it again from its cache after the person signs out on a shared computer. Responses
  that set their own Cache-Control (static files, uploaded images) keep it.
* A nonce in every HTML page's Content-Security-Policy: django-csp adds the nonce only when
  something asked for it, so a page without our base template (the admin, an error page)
  would otherwise get a policy without one. This middleware sits after django-csp's, so it
  runs first on the way out, while the nonce can still be made.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "serial", "usb", "xr-spatial-tracking",
    )
)
PRIVATE_CACHE_CONTROL = "private, no-store"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None and response.get("Content-Type", "").startswith("text/html"):
            str(nonce)  # makes the nonce, so the policy carries it
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
            patch_vary_headers(response, ("Cookie",))
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address sign-in throttling counts (django-axes' AXES_CLIENT_IP_CALLABLE).

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each appends the address it saw to
    X-Forwarded-For, so the client is the entry that many places from the right; anything
    further left was written by the client and is not trusted. With no proxy the header is
    ignored: otherwise anyone could pick a fresh address for every guess.
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
