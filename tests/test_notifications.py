"""Notifications: each kind comes from the right transition or task, muted kinds are not
written, email goes out from a task after commit and exactly once, and the pages work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import ArticleFactory, make_user
from workflow import notifications, services
from workflow.models import Claim, Notification, Profile
from workflow.tasks import send_notification_email_task

pytestmark = pytest.mark.django_db

TEXT = "# 标题\n\nLinux 是一系列开源操作系统。\n\n运行这个命令：\n"
Kind = Notification.Kind


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def sent_to_worker(monkeypatch):
    """The broker's side of queue_email: the ids handed to the email task, in order."""
    queued: list[int] = []

    def apply_async(args=None, **options):
        queued.append(args[0])

    monkeypatch.setattr(send_notification_email_task, "apply_async", apply_async)
    return queued


@pytest.fixture
def people(db):
    return {
        "cora": make_user("cora", "collector"),
        "alice": make_user("alice", "translator"),
        "rita": make_user("rita", "reviewer"),
        "pete": make_user("pete", "publisher"),
    }


@pytest.fixture
def article(people):
    return ArticleFactory(collector=people["cora"])


def run_worker(queued: list[int]) -> int:
    """What the worker does with the queued email tasks."""
    sent = sum(notifications.send_notification_email(pk) for pk in queued)
    queued.clear()
    return sent


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def submit(article, people):
    services.claim_article(article=article, user=people["alice"])
    services.save_draft(article=article, user=people["alice"], text=TEXT, title="标题",
                        base_version=article.version)
    services.submit_translation(article=article, user=people["alice"])


def test_review_transitions_notify_the_translator(article, people, django_capture_on_commit_callbacks, sent_to_worker):
    with django_capture_on_commit_callbacks(execute=True):
        submit(article, people)
        services.start_review(article=article, user=people["rita"])
        services.request_changes(article=article, user=people["rita"], note="Translate the last line too.")
    assert kinds(people["alice"]) == [Kind.REVIEW_STARTED, Kind.CHANGES_REQUESTED]
    changes = Notification.objects.get(user=people["alice"], kind=Kind.CHANGES_REQUESTED)
    assert "Translate the last line too." in changes.message
    assert changes.url == reverse("workflow:translate", args=[article.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_translation(article=article, user=people["alice"])
        services.start_review(article=article, user=people["rita"])
        services.approve_translation(article=article, user=people["rita"])
        services.publish_article(article=article, user=people["pete"], url="https://linux.cn/article-16000-1.html")
    assert kinds(people["alice"])[-3:] == [Kind.REVIEW_STARTED, Kind.APPROVED, Kind.PUBLISHED]
    published = Notification.objects.filter(kind=Kind.PUBLISHED)
    # The published address, as LCTT congratulated its translators; the collector and reviewer too.
    assert {n.user.username for n in published} == {"alice", "rita", "cora"}
    assert all("https://linux.cn/article-16000-1.html" in n.message for n in published)
    assert all(n.url == "https://linux.cn/article-16000-1.html" for n in published)
    assert not Notification.objects.filter(user=people["pete"]).exists()  # not told of their own act


def test_expired_claims_notify_their_translator(article, people, django_capture_on_commit_callbacks, sent_to_worker):
    services.claim_article(article=article, user=people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_claims(now=timezone.now() + dt.timedelta(days=31)) == 1
    note = Notification.objects.get(user=people["alice"])
    assert note.kind == Kind.CLAIM_EXPIRED and "expired" in note.message


def test_claim_reminders_come_7_and_2_days_before_the_deadline(article, people, django_capture_on_commit_callbacks,
                                                               sent_to_worker):
    claim = services.claim_article(article=article, user=people["alice"])
    deadline = claim.deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_claim_reminders(now=deadline - dt.timedelta(days=8)) == 0
        assert notifications.send_claim_reminders(now=deadline - dt.timedelta(days=6, hours=23)) == 1
        assert notifications.send_claim_reminders(now=deadline - dt.timedelta(days=5)) == 0  # no repeat
        assert notifications.send_claim_reminders(now=deadline - dt.timedelta(days=1, hours=12)) == 1
        assert notifications.send_claim_reminders(now=deadline - dt.timedelta(hours=3)) == 0
    reminders = Notification.objects.filter(user=people["alice"], kind=Kind.CLAIM_EXPIRING).order_by("pk")
    assert [n.message.split(" expires in ")[1][:6] for n in reminders] == ["7 days", "2 days"]
    assert [n.url for n in reminders] == [reverse("workflow:translate", args=[article.pk])] * 2
    claim.refresh_from_db()
    assert claim.reminded_days == [2, 7]


def test_a_claim_first_seen_late_gets_one_reminder(article, people, django_capture_on_commit_callbacks, sent_to_worker):
    claim = services.claim_article(article=article, user=people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_claim_reminders(now=claim.deadline - dt.timedelta(hours=20)) == 1
    assert Notification.objects.get().message.startswith("Your claim on")
    assert "expires in 1 day " in Notification.objects.get().message
    assert Claim.objects.get().reminded_days == [2, 7]


def test_muted_kinds_are_not_written(article, people, django_capture_on_commit_callbacks, sent_to_worker):
    notifications.set_preferences(user=people["alice"], muted=[Kind.REVIEW_STARTED, "nonsense"], email=True)
    assert Profile.objects.get(user=people["alice"]).muted_notifications == [Kind.REVIEW_STARTED]
    with django_capture_on_commit_callbacks(execute=True):
        submit(article, people)
        services.start_review(article=article, user=people["rita"])
        services.approve_translation(article=article, user=people["rita"])
    assert kinds(people["alice"]) == [Kind.APPROVED]


def test_source_changed_goes_through_the_same_seam(article, people, django_capture_on_commit_callbacks, sent_to_worker):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user=people["alice"], kind=Kind.SOURCE_CHANGED, article=article,
                             message="The source post changed.", dedupe_key="drift:1")
        notifications.notify(user=people["alice"], kind=Kind.SOURCE_CHANGED, article=article,
                             message="The source post changed.", dedupe_key="drift:1")
    assert kinds(people["alice"]) == [Kind.SOURCE_CHANGED]
    assert len(sent_to_worker) == 1


def test_nothing_is_written_when_the_transition_rolls_back(article, people, django_capture_on_commit_callbacks,
                                                           sent_to_worker):
    from django.db import transaction

    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.start_review(article=article, user=people["rita"])
                raise RuntimeError("something after the transition failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists() and sent_to_worker == []


# --- email ------------------------------------------------------------------------------------


def test_email_leaves_from_the_task_after_commit_and_only_once(article, people, django_capture_on_commit_callbacks,
                                                               sent_to_worker):
    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_review(article=article, user=people["rita"])
    assert mail.outbox == []  # not inside the transition
    note = Notification.objects.get()
    assert sent_to_worker == [note.pk]
    redelivered = list(sent_to_worker)
    assert run_worker(sent_to_worker) == 1
    assert run_worker(redelivered) == 0  # a second delivery of the same task
    assert notifications.deliver_pending_emails() == 0  # and the sweep finds nothing left
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "Review started" in message.subject
    assert "rita started reviewing" in message.body
    assert "http://127.0.0.1:8000" + reverse("workflow:notification_preferences") in message.body
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_the_sweep_sends_what_the_broker_never_got(article, people, django_capture_on_commit_callbacks, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(send_notification_email_task, "apply_async", broker_down)
    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_review(article=article, user=people["rita"])  # succeeds anyway
    assert Notification.objects.count() == 1 and mail.outbox == []
    assert notifications.deliver_pending_emails() == 1
    assert notifications.deliver_pending_emails() == 0
    assert len(mail.outbox) == 1


def test_email_respects_the_preference_and_missing_addresses(article, people, django_capture_on_commit_callbacks,
                                                             sent_to_worker):
    notifications.set_preferences(user=people["alice"], muted=[], email=False)
    people["cora"].email = ""
    people["cora"].save()
    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_review(article=article, user=people["rita"])
        services.approve_translation(article=article, user=people["rita"])
        services.publish_article(article=article, user=people["pete"])
    assert Notification.objects.filter(user__in=[people["alice"], people["cora"]]).count() == 4  # still in-app
    run_worker(sent_to_worker)
    assert notifications.deliver_pending_emails() == 0
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]  # only the reviewer's "published"


def test_a_failed_send_is_retried_by_the_sweep(article, people, django_capture_on_commit_callbacks, sent_to_worker,
                                              monkeypatch):
    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_review(article=article, user=people["rita"])

    def smtp_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(notifications, "send_mail", smtp_down)
    with pytest.raises(OSError):
        run_worker(sent_to_worker)
    assert Notification.objects.get().emailed_at is None  # released for the next try
    monkeypatch.undo()
    monkeypatch.setattr(send_notification_email_task, "apply_async", lambda *a, **k: None)
    assert notifications.deliver_pending_emails() == 1 and len(mail.outbox) == 1


# --- pages ------------------------------------------------------------------------------------


def test_bell_list_and_mark_read(client, article, people, django_capture_on_commit_callbacks, sent_to_worker):
    submit(article, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_review(article=article, user=people["rita"])
        services.approve_translation(article=article, user=people["rita"])
    client.force_login(people["alice"])
    page = client.get(reverse("workflow:my_work")).content.decode()
    assert "Notifications, 2 unread" in page
    listing = client.get(reverse("workflow:notifications")).content.decode()
    assert "rita started reviewing" in listing and "was approved by rita" in listing
    first = Notification.objects.filter(user=people["alice"]).earliest("pk")
    client.post(reverse("workflow:notifications_read"), {"id": str(first.pk)})
    assert "Notifications, 1 unread" in client.get(reverse("workflow:notifications")).content.decode()
    client.post(reverse("workflow:notifications_read"))
    assert not Notification.objects.filter(user=people["alice"], read_at__isnull=True).exists()
    # Nobody marks anyone else's.
    client.force_login(people["rita"])
    client.post(reverse("workflow:notifications_read"), {"id": str(first.pk)})
    assert Notification.objects.filter(user=people["rita"]).count() == 0


def test_preferences_page_switches_kinds_and_email_off(client, people):
    client.force_login(people["alice"])
    page = client.get(reverse("workflow:notification_preferences")).content.decode()
    assert "Claim about to expire" in page and "Weekly digest" in page
    wanted = [k for k in Notification.Kind.values if k not in (Kind.DIGEST, Kind.REVIEW_STARTED)]
    response = client.post(reverse("workflow:notification_preferences"), {"kinds": wanted})
    assert response.status_code == 302
    profile = Profile.objects.get(user=people["alice"])
    assert profile.muted_notifications == sorted([Kind.DIGEST, Kind.REVIEW_STARTED])
    assert profile.email_notifications is False
    bad = client.post(reverse("workflow:notification_preferences"), {"kinds": ["no_such_kind"], "email": "on"})
    assert bad.status_code == 400
    assert Profile.objects.get(user=people["alice"]).email_notifications is False


def test_notification_pages_need_a_signed_in_user(client):
    for name in ("workflow:notifications", "workflow:notification_preferences"):
        assert client.get(reverse(name)).status_code == 302
    assert client.post(reverse("workflow:notifications_read")).status_code == 302
