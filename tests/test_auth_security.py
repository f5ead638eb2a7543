"""Sign-in throttling (django-axes, per username + IP), password rules on every way a password
is set, secure cookies, and CSRF on every POST of the site (htmx's header included)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.http import HttpResponseForbidden
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import override as language

from tests.factories import DEFAULT_PASSWORD, make_user
from tests.url_inventory import build_world, concrete_urls, endpoints

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "not-the-password-1"


@pytest.fixture
def alice(db):
    return make_user("alice", "translator")


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in(response) -> bool:
    return response.status_code == 302 and not response["Location"].startswith(LOGIN)


# --- throttling ----------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_from_that_address(alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _attempt in range(4):
        response = sign_in(client, "alice", WRONG)
        assert response.status_code == 200  # the form again, with its error
    locked = sign_in(client, "alice", WRONG)
    assert locked.status_code == 429
    # now even the right password is refused from there
    again = sign_in(Client(), "alice", DEFAULT_PASSWORD)
    assert again.status_code == 429
    assert not signed_in(again)


def test_the_lockout_is_per_username_and_address(alice, db):
    make_user("bob", "translator")
    for _attempt in range(5):
        sign_in(Client(), "alice", WRONG, ip="203.0.113.7")
    assert sign_in(Client(), "alice", DEFAULT_PASSWORD, ip="203.0.113.7").status_code == 429
    # the same person from another address is not locked out …
    assert signed_in(sign_in(Client(), "alice", DEFAULT_PASSWORD, ip="198.51.100.20"))
    # … nor is another person behind the same address (a shared office or campus network)
    assert signed_in(sign_in(Client(), "bob", DEFAULT_PASSWORD, ip="203.0.113.7"))


def test_the_lockout_page_is_friendly(alice):
    for _attempt in range(5):
        sign_in(Client(), "alice", WRONG)
    for lang, heading, reset in (("en", "Too many failed sign-in attempts", "Reset your password"),
                                 ("zh-hans", None, None)):
        with language(lang):
            response = sign_in(Client(), "alice", DEFAULT_PASSWORD, HTTP_ACCEPT_LANGUAGE=lang)
        page = response.content.decode()
        assert response.status_code == 429
        assert "<html" in page and "Traceback" not in page
        assert reverse("password_reset") in page  # a way forward
        if heading:
            assert heading in page and reset in page
        else:
            assert re.search(r"[\u4e00-\u9fff]", page)  # the Chinese site speaks Chinese


def test_the_lockout_ends_after_the_cool_off(alice, settings):
    from axes.models import AccessAttempt

    for _attempt in range(5):
        sign_in(Client(), "alice", WRONG)
    assert sign_in(Client(), "alice", DEFAULT_PASSWORD).status_code == 429
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    assert dt.timedelta(minutes=5) <= cool_off <= dt.timedelta(hours=1)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - dt.timedelta(seconds=5))
    assert signed_in(sign_in(Client(), "alice", DEFAULT_PASSWORD))


def test_a_successful_sign_in_resets_the_count(alice):
    for _attempt in range(4):
        sign_in(Client(), "alice", WRONG)
    assert signed_in(sign_in(Client(), "alice", DEFAULT_PASSWORD))
    for _attempt in range(4):
        sign_in(Client(), "alice", WRONG)
    assert signed_in(sign_in(Client(), "alice", DEFAULT_PASSWORD))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _attempt in range(5):
        sign_in(Client(), "alice", WRONG, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert sign_in(Client(), "alice", DEFAULT_PASSWORD, ip=proxy,
                   HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # another client through the same proxy is not locked out …
    assert signed_in(sign_in(Client(), "alice", DEFAULT_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9"))
    # … and a client cannot dodge the lock by sending its own X-Forwarded-For
    assert sign_in(Client(), "alice", DEFAULT_PASSWORD, ip=proxy,
                   HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7").status_code == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        sign_in(Client(), "alice", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(Client(), "alice", DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


# --- passwords -----------------------------------------------------------------------------------

WEAK = ["password", "12345678", "alice2026", "short1"]


@pytest.mark.parametrize("weak", WEAK)
def test_sign_up_refuses_weak_passwords(weak, db):
    response = Client().post(reverse("workflow:signup"), {
        "username": "alice2026", "email": "a@example.org", "password1": weak, "password2": weak,
    })
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="alice2026").exists()
    assert "password2" in response.context["form"].errors


def test_sign_up_accepts_a_strong_password(db):
    strong = "violet-harbour-kettle-48"
    response = Client().post(reverse("workflow:signup"), {
        "username": "newcomer", "email": "n@example.org", "password1": strong, "password2": strong,
    })
    assert response.status_code == 302
    assert get_user_model().objects.get(username="newcomer").check_password(strong)


@pytest.mark.parametrize("weak", WEAK)
def test_password_change_refuses_weak_passwords(weak, alice):
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": weak, "new_password2": weak,
    })
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)


def test_password_reset_refuses_weak_passwords_then_accepts_a_strong_one(alice):
    client = Client()
    response = client.post(reverse("password_reset"), {"email": alice.email})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form_url = client.get(link)["Location"]  # Django swaps the token for a session key
    for weak in WEAK:
        page = client.post(form_url, {"new_password1": weak, "new_password2": weak})
        assert page.status_code == 200
        alice.refresh_from_db()
        assert alice.check_password(DEFAULT_PASSWORD)
    strong = "violet-harbour-kettle-48"
    done = client.post(form_url, {"new_password1": strong, "new_password2": strong})
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(strong)


def test_password_reset_does_not_tell_who_has_an_account(alice):
    known = Client().post(reverse("password_reset"), {"email": alice.email})
    unknown = Client().post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_an_old_reset_link_stops_working_once_used(alice):
    token = default_token_generator.make_token(alice)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    alice.set_password("violet-harbour-kettle-48")
    alice.save()
    response = Client().get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert "new_password1" not in response.content.decode()


# --- sessions ---------------------------------------------------------------------------------------


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_secure_httponly_and_same_site(alice):
    client = Client()
    client.get(LOGIN, secure=True)
    csrf_cookie = client.cookies["csrftoken"]
    assert csrf_cookie["secure"] is True and csrf_cookie["samesite"] == "Lax"
    response = client.post(LOGIN, {"username": "alice", "password": DEFAULT_PASSWORD}, secure=True)
    session = response.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"


def test_the_session_key_changes_at_sign_in(alice):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    sign_in(client, "alice", DEFAULT_PASSWORD)
    assert client.session.session_key != before


def test_sign_in_does_not_redirect_to_another_site(alice):
    response = Client().post(LOGIN + "?next=https://evil.example.org/", {
        "username": "alice", "password": DEFAULT_PASSWORD, "next": "https://evil.example.org/"})
    assert response.status_code == 302
    assert "evil.example.org" not in response["Location"]


# --- CSRF ---------------------------------------------------------------------------------------------


def csrf_failure(request, reason=""):
    response = HttpResponseForbidden("csrf")
    response["X-Test-CSRF-Failure"] = reason or "1"
    return response


def csrf_token_of(client: Client) -> str:
    client.get(reverse("workflow:published_list"))
    return client.cookies["csrftoken"].value


NO_POST = {"logout", "admin:logout"}


@override_settings(CSRF_FAILURE_VIEW="tests.test_auth_security.csrf_failure")
@pytest.mark.parametrize("actor", ["anonymous", "translator", "superuser"])
def test_every_post_needs_the_csrf_token_and_htmx_header_is_enough(actor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if actor != "anonymous":
        client.force_login(world.people[actor])
    token = csrf_token_of(client)
    refused, accepted, posted = [], [], 0
    for endpoint in endpoints():
        if endpoint.name in NO_POST:
            continue
        for url in concrete_urls(endpoint, world):
            posted += 1
            without = client.post(url, {"note": "x"})
            if "X-Test-CSRF-Failure" not in without:
                refused.append(f"{url} accepted a POST without a token ({without.status_code})")
            wrong = client.post(url, {"note": "x"}, HTTP_X_CSRFTOKEN="A" * 64, HTTP_HX_REQUEST="true")
            if "X-Test-CSRF-Failure" not in wrong:
                refused.append(f"{url} accepted a POST with a forged token ({wrong.status_code})")
            with_header = client.post(url, {"note": "x"}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
            if "X-Test-CSRF-Failure" in with_header:
                accepted.append(f"{url} refused htmx's X-CSRFToken header: {with_header['X-Test-CSRF-Failure']}")
            if with_header.status_code >= 500:
                accepted.append(f"{url} answered {with_header.status_code}")
    assert posted > 50
    assert not refused, refused[:10]
    assert not accepted, accepted[:10]
    logout = client.post(reverse("logout"))
    assert "X-Test-CSRF-Failure" in logout  # signing someone out also needs the token
    assert "X-Test-CSRF-Failure" not in client.post(reverse("logout"), HTTP_X_CSRFTOKEN=token)


@override_settings(CSRF_FAILURE_VIEW="tests.test_auth_security.csrf_failure", SECURE_SSL_REDIRECT=True,
                   CSRF_COOKIE_SECURE=True, SESSION_COOKIE_SECURE=True)
def test_over_https_a_request_from_another_origin_is_refused_even_with_a_token(alice):
    from articles.models import Article
    from tests.factories import ArticleFactory

    article = ArticleFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/", secure=True)
    token = client.cookies["csrftoken"].value
    url = reverse("workflow:claim", args=[article.pk])
    foreign = client.post(url, secure=True, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="https://evil.example.org")
    assert "X-Test-CSRF-Failure" in foreign
    assert Article.objects.get(pk=article.pk).state == "available"
    same = client.post(url, secure=True, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="https://testserver",
                       HTTP_HX_REQUEST="true")
    assert "X-Test-CSRF-Failure" not in same
    assert Article.objects.get(pk=article.pk).state == "claimed"
