"""Sign-up (every new account is a translator) and the sign-in-only markdownx endpoints."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.rendering import render_markdown_cached

from ..forms import SignUpForm
from ..models import Profile, Role


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("workflow:my_work"))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            group, _created = Group.objects.get_or_create(name=Role.TRANSLATOR)
            user.groups.add(group)
            Profile.objects.get_or_create(user=user)
        login(request, user, backend="workflow.auth_backend.WorkflowModelBackend")
        messages.success(request, _("Welcome! Pick an article to translate."))
        return HttpResponseRedirect(reverse("workflow:available"))
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_POST
def markdownify(request: HttpRequest) -> HttpResponse:
    """markdownx's live preview, through the one sanitizing renderer, for signed-in users."""
    content = request.POST.get("content")
    if content is None:
        return HttpResponseBadRequest("missing content")
    return HttpResponse(render_markdown_cached(content[:1_000_000]))


# The image upload endpoint lives in articles/uploads.py (validated, re-encoded, served safely).
