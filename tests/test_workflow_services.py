"""The transitions in workflow/services.py: rules, records, refusals, append-only log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from articles.models import Article, ArticleState
from tests.factories import ArticleFactory, make_user
from workflow import services
from workflow.models import Claim, Event, EventAction, Notification, Revision
from workflow.selectors import review_diffs

pytestmark = pytest.mark.django_db

TEXT = "# 标题\n\nLinux 是一系列开源操作系统。\n\n运行这个命令：\n"


@pytest.fixture
def people(db):
    return {
        "collector": make_user("cora", "collector"),
        "alice": make_user("alice", "translator"),
        "bob": make_user("bob", "translator"),
        "rita": make_user("rita", "reviewer"),
        "rex": make_user("rex", "reviewer"),
        "pete": make_user("pete", "publisher"),
    }


@pytest.fixture
def article(people):
    return ArticleFactory(collector=people["collector"])


def events(article, action=None):
    qs = Event.objects.filter(article=article)
    return qs.filter(action=action) if action else qs


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


def take_to_review(article, people, text=TEXT):
    services.claim_article(article=article, user=people["alice"])
    services.save_draft(article=article, user=people["alice"], text=text, title="标题",
                        base_version=fresh(article).version)
    services.submit_translation(article=article, user=people["alice"])
    services.start_review(article=article, user=people["rita"])


class TestClaim:
    def test_claim_sets_translator_deadline_open_claim_and_one_event(self, article, people):
        before = timezone.now()
        claim = services.claim_article(article=article, user=people["alice"])
        row = fresh(article)
        assert row.state == ArticleState.CLAIMED and row.translator == people["alice"]
        assert claim.ended_at is None and claim.user == people["alice"]
        expected = before + dt.timedelta(days=settings.CLAIM_DAYS)
        assert abs((row.claim_deadline - expected).total_seconds()) < 5
        assert claim.deadline == row.claim_deadline
        assert list(events(article).values_list("action", "from_state", "to_state")) == [
            (EventAction.CLAIM, ArticleState.AVAILABLE, ArticleState.CLAIMED)
        ]
        assert article.state == ArticleState.CLAIMED  # the caller's object follows

    def test_second_claim_names_the_holder_in_english(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with translation.override("en"), pytest.raises(services.AlreadyClaimed) as info:
            services.claim_article(article=article, user=people["bob"])
        assert str(info.value) == "Already claimed by alice"
        assert events(article).count() == 1
        assert Claim.objects.filter(article=article).count() == 1

    def test_second_claim_names_the_holder_in_chinese(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with translation.override("zh-hans"), pytest.raises(services.AlreadyClaimed) as info:
            services.claim_article(article=article, user=people["bob"])
        assert str(info.value) == "已被 alice 申领"

    def test_claiming_own_claim_again_says_so(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with translation.override("en"), pytest.raises(services.AlreadyClaimed, match="already claimed this"):
            services.claim_article(article=article, user=people["alice"])

    def test_claim_limit(self, people, settings):
        settings.MAX_OPEN_CLAIMS = 2
        first, second, third = ArticleFactory.create_batch(3)
        services.claim_article(article=first, user=people["alice"])
        services.claim_article(article=second, user=people["alice"])
        with translation.override("en"), pytest.raises(services.ClaimLimitReached, match="2 open claims"):
            services.claim_article(article=third, user=people["alice"])
        assert fresh(third).state == ArticleState.AVAILABLE
        services.release_claim(article=first, user=people["alice"])
        services.claim_article(article=third, user=people["alice"])

    def test_only_available_articles_can_be_claimed(self, people):
        new = ArticleFactory(state=ArticleState.NEW)
        with translation.override("en"), pytest.raises(services.WrongState, match="New now"):
            services.claim_article(article=new, user=people["alice"])

    def test_inactive_user_cannot_claim(self, article):
        ghost = make_user("ghost", "translator", is_active=False)
        with pytest.raises(services.NotAllowed):
            services.claim_article(article=article, user=ghost)


class TestReleaseAndExpire:
    def test_release_keeps_the_draft_and_clears_the_translator(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        services.save_draft(article=article, user=people["alice"], text=TEXT, base_version=1)
        services.release_claim(article=article, user=people["alice"])
        row = fresh(article)
        assert row.state == ArticleState.AVAILABLE and row.translator is None
        assert row.translation_markdown == TEXT
        assert Claim.objects.get(article=article).end_reason == Claim.EndReason.RELEASED
        assert events(article, EventAction.RELEASE).count() == 1

    def test_someone_else_cannot_release(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with translation.override("en"), pytest.raises(services.NotAllowed, match="Only alice, who claimed"):
            services.release_claim(article=article, user=people["bob"])
        assert fresh(article).state == ArticleState.CLAIMED

    def test_expire_returns_overdue_claims_and_keeps_drafts(self, people, django_capture_on_commit_callbacks):
        overdue, fine = ArticleFactory.create_batch(2)
        services.claim_article(article=overdue, user=people["alice"])
        services.save_draft(article=overdue, user=people["alice"], text=TEXT, base_version=1)
        later = timezone.now() + dt.timedelta(days=settings.CLAIM_DAYS, hours=1)
        services.claim_article(article=fine, user=people["bob"])
        Claim.objects.filter(article=fine).update(deadline=later + dt.timedelta(days=1))
        Article.objects.filter(pk=fine.pk).update(claim_deadline=later + dt.timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.expire_claims(now=later) == 1
        assert services.expire_claims(now=later) == 0
        row = fresh(overdue)
        assert row.state == ArticleState.AVAILABLE and row.translator is None
        assert row.translation_markdown == TEXT
        assert fresh(fine).state == ArticleState.CLAIMED
        expire = events(overdue, EventAction.EXPIRE).get()
        assert expire.actor is None and expire.created_at < later  # wall-clock time, not the cut-off
        assert Notification.objects.filter(user=people["alice"], kind="claim_expired").count() == 1
        # the next translator continues from the kept draft
        services.claim_article(article=overdue, user=people["bob"])
        assert fresh(overdue).translation_markdown == TEXT


class TestDrafts:
    def test_save_bumps_version_and_writes_no_event(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        v2 = services.save_draft(article=article, user=people["alice"], text="一", base_version=1)
        v3 = services.save_draft(article=article, user=people["alice"], text="一二", title="题", base_version=v2)
        row = fresh(article)
        assert (v2, v3, row.version, row.translation_markdown, row.title) == (2, 3, 3, "一二", "题")
        assert events(article).count() == 1  # only the claim

    def test_stale_save_is_refused_and_keeps_the_losing_text(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        services.save_draft(article=article, user=people["alice"], text="tab one", base_version=1)
        with pytest.raises(services.StaleDraft) as info:
            services.save_draft(article=article, user=people["alice"], text="tab two", base_version=1)
        assert info.value.losing_text == "tab two"
        assert info.value.current_text == "tab one" and info.value.current_version == 2
        assert fresh(article).translation_markdown == "tab one"

    def test_other_people_cannot_save_and_get_their_text_back(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with pytest.raises(services.NotAllowed) as info:
            services.save_draft(article=article, user=people["bob"], text="mine", base_version=1)
        assert info.value.losing_text == "mine"
        assert fresh(article).translation_markdown == ""

    def test_save_after_submit_is_refused_with_text(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        v = services.save_draft(article=article, user=people["alice"], text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=people["alice"])
        with pytest.raises(services.WrongState) as info:
            services.save_draft(article=article, user=people["alice"], text="late", base_version=v)
        assert info.value.losing_text == "late"

    def test_reviewer_may_edit_during_review(self, article, people):
        take_to_review(article, people)
        version = fresh(article).version
        services.save_draft(article=article, user=people["rita"], text=TEXT + "校对修改\n", base_version=version)
        with pytest.raises(services.NotAllowed):
            services.save_draft(article=article, user=people["alice"], text="x", base_version=version + 1)


class TestReviewAndPublish:
    def test_full_lifecycle_with_a_round_of_changes(self, article, people, django_capture_on_commit_callbacks):
        alice, rita, pete = people["alice"], people["rita"], people["pete"]
        with django_capture_on_commit_callbacks(execute=True):
            take_to_review(article, people)
            claim = services.request_changes(article=article, user=rita, note="第二段需要改")
            assert claim.user == alice and claim.ended_at is None
            row = fresh(article)
            assert row.state == ArticleState.CLAIMED and row.reviewer == rita
            assert row.claim_deadline == claim.deadline
            services.save_draft(article=article, user=alice, text=TEXT + "第二轮\n", base_version=row.version)
            services.submit_translation(article=article, user=alice)
            assert fresh(article).review_round == 2
            services.start_review(article=article, user=people["rex"])
            services.approve_translation(article=article, user=people["rex"], note="好")
            services.publish_article(article=article, user=pete)
        row = fresh(article)
        assert row.state == ArticleState.PUBLISHED and row.publisher == pete
        assert row.reviewer == people["rex"]
        assert row.published_url == settings.SITE_URL + f"/articles/{article.pk}/"
        actions = list(events(article).values_list("action", flat=True))
        assert actions == ["claim", "submit", "start_review", "request_changes", "submit",
                           "start_review", "approve", "publish"]
        kinds = list(Revision.objects.filter(article=article).values_list("kind", "round"))
        assert kinds == [("submitted", 1), ("submitted", 2), ("approved", 2), ("published", 2)]
        notes = dict(Notification.objects.filter(user=alice).values_list("kind", "url"))
        assert set(notes) == {"review_started", "changes_requested", "approved", "published"}
        assert notes["published"] == row.published_url
        diff = review_diffs(row)[0]
        assert [r.kind for r in diff.rows if r.kind != "equal"] == ["insert"]

    def test_nobody_reviews_their_own_translation(self, article, people):
        both = make_user("both", "translator", "reviewer", "publisher")
        services.claim_article(article=article, user=both)
        services.save_draft(article=article, user=both, text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=both)
        with translation.override("en"), pytest.raises(services.NotAllowed, match="someone else"):
            services.start_review(article=article, user=both)
        with pytest.raises(services.NotAllowed):
            services.approve_and_publish(article=article, user=both)

    def test_only_reviewers_review_and_only_the_round_reviewer_decides(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        services.save_draft(article=article, user=people["alice"], text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=people["alice"])
        with pytest.raises(services.NotAllowed):
            services.start_review(article=article, user=people["bob"])
        services.start_review(article=article, user=people["rita"])
        with pytest.raises(services.NotAllowed):
            services.approve_translation(article=article, user=people["rex"])
        with translation.override("en"), pytest.raises(services.WrongState, match="rita is already reviewing"):
            services.start_review(article=article, user=people["rex"])

    def test_request_changes_needs_a_note(self, article, people):
        take_to_review(article, people)
        with pytest.raises(services.InvalidInput):
            services.request_changes(article=article, user=people["rita"], note="   ")
        assert fresh(article).state == ArticleState.IN_REVIEW

    def test_empty_or_untitled_translation_cannot_be_submitted(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with pytest.raises(services.InvalidInput):
            services.submit_translation(article=article, user=people["alice"])
        services.save_draft(article=article, user=people["alice"], text=TEXT, base_version=1)
        with pytest.raises(services.InvalidInput):
            services.submit_translation(article=article, user=people["alice"])
        assert fresh(article).state == ArticleState.CLAIMED

    def test_only_publishers_publish_and_urls_are_checked(self, article, people):
        take_to_review(article, people)
        services.approve_translation(article=article, user=people["rita"])
        with pytest.raises(services.NotAllowed):
            services.publish_article(article=article, user=people["rita"])
        with pytest.raises(services.InvalidInput):
            services.publish_article(article=article, user=people["pete"], url="javascript:alert(1)")
        services.publish_article(article=article, user=people["pete"], url="https://linux.cn/article-1-1.html")
        assert fresh(article).published_url == "https://linux.cn/article-1-1.html"

    def test_publisher_approves_and_publishes_in_one_step(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        services.save_draft(article=article, user=people["alice"], text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=people["alice"])
        services.approve_and_publish(article=article, user=people["pete"], note="RP")
        row = fresh(article)
        assert row.state == ArticleState.PUBLISHED
        assert row.reviewer == row.publisher == people["pete"]
        assert list(events(article).values_list("action", flat=True))[-3:] == ["start_review", "approve", "publish"]


class TestWithdrawRestoreAvailable:
    def test_collector_withdraws_before_claim_and_restores(self, article, people):
        services.withdraw_article(article=article, user=people["collector"], reason="重复")
        assert fresh(article).state == ArticleState.WITHDRAWN
        services.restore_article(article=article, user=people["collector"])
        assert fresh(article).state == ArticleState.AVAILABLE

    def test_collector_cannot_withdraw_claimed_work_but_editors_can(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        with pytest.raises(services.NotAllowed):
            services.withdraw_article(article=article, user=people["collector"], reason="x")
        with pytest.raises(services.NotAllowed):
            services.withdraw_article(article=article, user=people["bob"], reason="x")
        with pytest.raises(services.InvalidInput):
            services.withdraw_article(article=article, user=people["rita"], reason="")
        services.withdraw_article(article=article, user=people["rita"], reason="版权")
        assert Claim.objects.get(article=article).end_reason == Claim.EndReason.WITHDRAWN
        with pytest.raises(services.NotAllowed):
            services.restore_article(article=article, user=people["collector"])
        services.restore_article(article=article, user=people["rita"])
        row = fresh(article)
        assert row.state == ArticleState.AVAILABLE and row.translator is None

    def test_published_article_restores_to_published(self, article, people):
        take_to_review(article, people)
        services.approve_translation(article=article, user=people["rita"])
        services.publish_article(article=article, user=people["pete"])
        services.withdraw_article(article=article, user=people["pete"], reason="投诉")
        services.restore_article(article=article, user=people["pete"])
        assert fresh(article).state == ArticleState.PUBLISHED

    def test_restore_refused_while_another_article_has_the_source(self, article, people):
        services.withdraw_article(article=article, user=people["rita"], reason="换一篇")
        ArticleFactory(via=article.via, via_normalized=article.via_normalized)
        with pytest.raises(services.WrongState):
            services.restore_article(article=article, user=people["rita"])
        assert fresh(article).state == ArticleState.WITHDRAWN

    def test_make_available_needs_source_text(self, people):
        empty = ArticleFactory(state=ArticleState.NEW, source_markdown="", collector=people["collector"])
        with pytest.raises(services.InvalidInput):
            services.make_available(article=empty, user=people["collector"])
        fetched = ArticleFactory(state=ArticleState.NEW, collector=people["collector"])
        with pytest.raises(services.NotAllowed):
            services.make_available(article=fetched, user=people["alice"])
        services.make_available(article=fetched, user=people["collector"])
        row = fresh(fetched)
        assert row.state == ArticleState.AVAILABLE and row.available_at is not None


class TestAppendOnly:
    def test_no_code_path_updates_or_deletes_events_or_revisions(self, article, people):
        statements: list[str] = []

        def spy(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(spy):
            take_to_review(article, people)
            services.request_changes(article=article, user=people["rita"], note="改")
            services.save_draft(article=article, user=people["alice"], text=TEXT + "2",
                                base_version=fresh(article).version)
            services.submit_translation(article=article, user=people["alice"])
            services.approve_and_publish(article=article, user=people["pete"])
            services.withdraw_article(article=article, user=people["pete"], reason="x")
            services.restore_article(article=article, user=people["pete"])
            other = ArticleFactory()
            services.claim_article(article=other, user=people["bob"])
            services.expire_claims(now=timezone.now() + dt.timedelta(days=400))
        touching = [
            s for s in statements
            if re.match(r"\s*(UPDATE|DELETE)", s, re.I)
            and re.search(r'"?workflow_(event|revision)"?', s.split("WHERE")[0], re.I)
        ]
        assert statements and touching == []

    @pytest.mark.postgres
    def test_database_refuses_update_and_delete(self, article, people):
        services.claim_article(article=article, user=people["alice"])
        event = events(article).get()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(note="rewritten")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Event.objects.filter(pk=event.pk).delete()
        services.save_draft(article=article, user=people["alice"], text=TEXT, title="题", base_version=1)
        revision = services.submit_translation(article=article, user=people["alice"])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Revision.objects.filter(pk=revision.pk).update(text="forged")
        assert Event.objects.get(pk=event.pk).note == ""
