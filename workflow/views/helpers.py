"""Shared view plumbing: turning TransitionErrors into pages, fragments and messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme

from articles.models import Article

from .. import services


def signed_in(view: Callable) -> Callable:
    """login_required that also answers htmx requests (HX-Redirect instead of a 302 to swap)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = redirect_to_login(request.htmx.current_url_abs_path or "/").url
            return response
        return redirect_to_login(request.get_full_path())

    return wrapper


def get_article(pk: int, *, bodies: bool = True) -> Article:
    """The article with its people."""
    qs = Article.objects.with_people()
    if not bodies:
        qs = qs.without_bodies()
    return get_object_or_404(qs, pk=pk)


def article_reference(pk: int) -> Article:
    """The article as its id alone, for actions whose service reads (and locks) the row
    itself: one query fewer per action. An unknown id surfaces from the service as
    ``Article.DoesNotExist``, which run_transition answers with a 404 like get_article."""
    return Article(pk=pk)


def safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, "workflow/partials/message.html",
                      {"level": "error", "message": message}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def run_transition(
    request: HttpRequest,
    action: Callable[[], object],
    *,
    success: str,
    redirect_to: str,
    refused_to: str | None = None,
    fragment: Callable[[str | None, str | None], HttpResponse] | None = None,
) -> HttpResponse:
    """Run one service call and answer: redirect + message, or an htmx fragment.

    An unknown article → 404; NotAllowed → 403; any other TransitionError → the message (409 for htmx, a redirect
    with an error message otherwise). Nothing here can turn a refusal into a 500.
    """
    try:
        action()
    except Article.DoesNotExist as missing:
        raise Http404 from missing
    except services.NotAllowed as error:
        return forbidden(request, error.message)
    except services.TransitionError as error:
        if getattr(request, "htmx", False):
            if fragment is not None:
                response = fragment(None, error.message)
                response.status_code = 409
                return response
            return render(request, "workflow/partials/message.html",
                          {"level": "error", "message": error.message}, status=409)
        messages.error(request, error.message)
        return HttpResponseRedirect(refused_to or redirect_to)
    if getattr(request, "htmx", False):
        if fragment is not None:
            return fragment(success, None)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect_to
        messages.success(request, success)
        return response
    messages.success(request, success)
    return HttpResponseRedirect(redirect_to)
