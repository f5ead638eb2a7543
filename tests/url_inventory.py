"""Every URL of the site, with its parameters filled from real objects.

The security tests (headers, CSRF, permissions) walk the URLconf itself rather than a list
written by hand, so a page added later is checked without anyone remembering to add it.
``build_world`` makes one object of each kind a URL can name (an article in every state, a
feed, a candidate, a glossary term, an uploaded image, a password-reset link…) and
``concrete_urls`` turns each URL pattern into the URLs to visit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from articles.models import Article, ArticleState, Feed, FeedEntry
from tests.factories import ArticleFactory, make_user
from workflow import services

ACTORS = ["anonymous", "translator", "other", "reviewer", "publisher", "staff", "superuser"]
DRAFT = "这是 alice 的私人草稿，别人不应看到。"
DRAFT_ONLY_URL = "https://draft-only.example.org/secret-notes"
DRAFT_TEXT = f"{DRAFT}\n\n参见[她的笔记]({DRAFT_ONLY_URL})。\n"
STATES = [ArticleState.NEW, ArticleState.AVAILABLE, ArticleState.CLAIMED, ArticleState.SUBMITTED,
          ArticleState.IN_REVIEW, ArticleState.APPROVED, ArticleState.PUBLISHED, ArticleState.WITHDRAWN]


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str  # namespaced URL name, e.g. "workflow:claim"
    params: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")


def endpoints() -> list[Endpoint]:
    found: list[Endpoint] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                params = tuple(pattern.pattern.regex.groupindex)
                found.append(Endpoint(prefix + str(pattern.pattern), name, params))

    walk(get_resolver().url_patterns, "", None)
    return found


def make_people() -> dict:
    return {
        "collector": make_user("cora", "collector"),
        "translator": make_user("alice", "translator"),
        "other": make_user("bob", "translator"),
        "reviewer": make_user("rita", "reviewer", "translator"),
        "publisher": make_user("pete", "publisher", "translator"),
        "staff": make_user("sam", "translator", is_staff=True),
        "superuser": make_user("root", "translator", is_staff=True, is_superuser=True),
    }


def article_in(state: str, people: dict, **fields) -> Article:
    """An article brought to ``state`` through the services; alice translates it."""
    article = ArticleFactory(collector=people["collector"], **fields)
    if state == ArticleState.AVAILABLE:
        return article
    if state == ArticleState.NEW:
        Article.objects.filter(pk=article.pk).update(state=ArticleState.NEW, available_at=None)
        article.refresh_from_db()
        return article
    if state == ArticleState.WITHDRAWN:
        services.withdraw_article(article=article, user=people["reviewer"], reason="test")
        return article
    alice = people["translator"]
    services.claim_article(article=article, user=alice)
    services.save_draft(article=article, user=alice, text=DRAFT_TEXT, title="私人草稿", base_version=1)
    if state == ArticleState.CLAIMED:
        return article
    services.submit_translation(article=article, user=alice)
    if state == ArticleState.SUBMITTED:
        return article
    services.start_review(article=article, user=people["reviewer"])
    if state == ArticleState.IN_REVIEW:
        return article
    services.approve_translation(article=article, user=people["reviewer"])
    if state == ArticleState.APPROVED:
        return article
    services.publish_article(article=article, user=people["publisher"])
    return article


@dataclass
class World:
    people: dict
    articles: dict = field(default_factory=dict)  # state → Article
    feed: Feed | None = None
    entry: FeedEntry | None = None
    glossary_term: object | None = None
    upload_name: str = ""
    reset_kwargs: dict = field(default_factory=dict)


def build_world() -> World:
    from articles.uploads import store_image

    world = World(people=make_people())
    for state in STATES:
        world.articles[state] = article_in(state, world.people)
    world.feed = Feed.objects.create(url="https://feeds.example.org/atom.xml", title="Example feed",
                                     created_by=world.people["collector"])
    world.entry = FeedEntry.objects.create(
        feed=world.feed, url="https://example.org/new-post/", url_normalized="https://example.org/new-post",
        url_hash="f" * 64, title="A new post", author="Jane",
    )
    if _has_model("workflow", "GlossaryTerm"):
        model = apps.get_model("workflow", "GlossaryTerm")
        world.glossary_term = model.objects.create(source_term="kernel", target_term="内核")
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    stored = store_image(data=out.getvalue(), declared_content_type="image/png")
    world.upload_name = stored.url.removeprefix("/media/uploads/")
    alice = world.people["translator"]
    world.reset_kwargs = {"uidb64": urlsafe_base64_encode(force_bytes(alice.pk)),
                          "token": default_token_generator.make_token(alice)}
    from workflow.models import Notification

    Notification.objects.create(user=alice, kind=Notification.Kind.APPROVED,
                                article=world.articles[ArticleState.APPROVED], message="Approved.")
    return world


def _has_model(app_label: str, name: str) -> bool:
    try:
        apps.get_model(app_label, name)
    except LookupError:
        return False
    return True


def _object_for(endpoint: Endpoint, world: World):
    name = endpoint.name
    if "glossary" in name:
        return world.glossary_term
    if "feed_edit" in name or "feed_poll" in name:
        return world.feed
    if "candidate" in name:
        return world.entry
    return None


# Which article states each article URL is visited with (the rest get claimed + published).
ARTICLE_STATES_FOR = {
    "workflow:translate": [ArticleState.CLAIMED],
    "workflow:review": [ArticleState.SUBMITTED, ArticleState.IN_REVIEW],
    "workflow:article_detail": STATES,
    "articles:prepare": [ArticleState.NEW],
    "articles:retry_fetch": [ArticleState.NEW],
}


def concrete_urls(endpoint: Endpoint, world: World) -> list[str]:
    """The URLs to visit for one pattern (empty when it cannot be filled)."""
    params = set(endpoint.params)
    if not params:
        return [reverse(endpoint.name)]
    if endpoint.is_admin:
        return _admin_urls(endpoint, world)
    if params == {"pk"}:
        target = _object_for(endpoint, world)
        if target is not None:
            return [reverse(endpoint.name, kwargs={"pk": target.pk})]
        states = ARTICLE_STATES_FOR.get(endpoint.name, [ArticleState.CLAIMED, ArticleState.PUBLISHED])
        return [reverse(endpoint.name, kwargs={"pk": world.articles[s].pk}) for s in states]
    if params == {"username"}:
        return [reverse(endpoint.name, kwargs={"username": "alice"})]
    if params == {"name"}:
        return [reverse(endpoint.name, kwargs={"name": world.upload_name})]
    if params == {"uidb64", "token"}:
        return [reverse(endpoint.name, kwargs=world.reset_kwargs)]
    raise AssertionError(f"url_inventory cannot fill {endpoint.route} ({endpoint.name}); teach it how")


def _admin_urls(endpoint: Endpoint, world: World) -> list[str]:
    params = set(endpoint.params)
    article = world.articles[ArticleState.PUBLISHED]
    if params == {"app_label"}:
        return [reverse(endpoint.name, kwargs={"app_label": label}) for label in ("articles", "workflow")]
    if params == {"content_type_id", "object_id"}:
        ct = ContentType.objects.get_for_model(Article)
        return [reverse(endpoint.name, kwargs={"content_type_id": ct.pk, "object_id": article.pk})]
    if params in ({"object_id"}, {"pk"}):
        # admin:<app>_<model>_<view>
        app_label, _, rest = endpoint.name.removeprefix("admin:").partition("_")
        model_name = rest.rsplit("_", 1)[0]
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return []
        if model is Article:  # custom article actions (publish…) want an approved one
            obj = world.articles[ArticleState.APPROVED]
        else:
            obj = model.objects.order_by("pk").first()
        (param,) = params
        return [reverse(endpoint.name, kwargs={param: obj.pk if obj else 1})]
    if params == {"id"}:  # password change of a user in the admin
        return [reverse(endpoint.name, kwargs={"id": world.people["translator"].pk})]
    raise AssertionError(f"url_inventory cannot fill {endpoint.route} ({endpoint.name}); teach it how")
