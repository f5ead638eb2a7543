"""Atom feed of published translations.

The feed is the same for every reader of one host, and changes only when a published article
does, so the whole document (and its gzip form: feed readers ask for it, and compressing
half a megabyte per request would cost more than building it) is cached under the
published-articles version (workflow/fragments.py). Rendering and sanitizing the 30 bodies
happens once per version; ``render_markdown_cached`` keeps each body across versions.
"""

from __future__ import annotations

import gzip
import re

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from articles.rendering import render_markdown_cached

from . import fragments
from .urlcache import reverse_one

# XML 1.0 has no way to write these; one of them in a title or body (an entity like &#11;
# in the markdown renders to the raw character) would make the whole feed fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value or "")


class PublishedFeed(Feed):
    feed_type = Atom1Feed
    title = _("translate_hub: published translations")
    subtitle = _("The newest translations published by the team.")

    def link(self) -> str:
        return reverse("workflow:published_list")

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = fragments.key("atom-feed", request.get_host(), request.is_secure())

        def build() -> dict:
            response = super(PublishedFeed, self).__call__(request, *args, **kwargs)
            body = response.content
            return {"body": body, "gzip": gzip.compress(body, compresslevel=6, mtime=0),
                    "type": response["Content-Type"], "last_modified": response.get("Last-Modified")}

        feed = fragments.cached(key, build)
        compressed = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
        response = HttpResponse(feed["gzip"] if compressed else feed["body"], content_type=feed["type"])
        if compressed:
            response["Content-Encoding"] = "gzip"  # GZipMiddleware leaves encoded responses alone
        patch_vary_headers(response, ("Accept-Encoding",))
        if feed["last_modified"]:
            response["Last-Modified"] = feed["last_modified"]
        return response

    def items(self):
        return (
            Article.objects.published().select_related("translator")
            .only("id", "title", "subject", "translation_markdown", "published_at", "translator__username")
            .order_by("-published_at", "-id")[:30]
        )

    def item_title(self, item: Article) -> str:
        return xml_text(item.display_title)

    def item_description(self, item: Article) -> str:
        return xml_text(render_markdown_cached(item.translation_markdown))

    def item_link(self, item: Article) -> str:
        return reverse_one("workflow:article_detail", item.pk)

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.published_at

    def item_author_name(self, item: Article) -> str:
        return xml_text(item.translator.get_username()) if item.translator_id else ""
