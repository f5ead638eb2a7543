"""Notification pages: the list (mark read) and the preferences (which kinds, email or not)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import notifications, selectors
from ..models import Notification, Profile
from .helpers import signed_in

PAGE_SIZE = 50


class PreferencesForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Notify me about"), required=False, choices=Notification.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    email = forms.BooleanField(label=gettext_lazy("Also send them to me by email"), required=False)


@signed_in
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user).select_related("article")
    page = selectors.keyset_page(qs, order=[("created_at", True), ("id", True)],
                                 cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "workflow/notifications.html", {"page": page})


@signed_in
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    notifications.mark_read(user=request.user, ids=ids or None)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(reverse("workflow:notifications"))


@signed_in
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    profile = Profile.objects.filter(user=request.user).first()
    muted = set(profile.muted_notifications or []) if profile else set()
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            wanted = set(form.cleaned_data["kinds"])
            notifications.set_preferences(
                user=request.user, muted=[k for k in notifications.MUTABLE_KINDS if k not in wanted],
                email=form.cleaned_data["email"],
            )
            messages.success(request, _("Your notification preferences are saved."))
            return HttpResponseRedirect(reverse("workflow:notification_preferences"))
        status = 400
    else:
        form = PreferencesForm(initial={
            "kinds": [k for k in notifications.MUTABLE_KINDS if k not in muted],
            "email": profile.email_notifications if profile else True,
        })
        status = 200
    return render(request, "workflow/notification_preferences.html",
                  {"form": form, "has_email": bool(request.user.email)}, status=status)
