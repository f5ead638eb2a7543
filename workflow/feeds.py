"""Atom feed of published translations."""

from __future__ import annotations

import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from articles.rendering import render_markdown_cached

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

    def items(self):
        return Article.objects.published().with_people().order_by("-published_at", "-id")[:30]

    def item_title(self, item: Article) -> str:
        return xml_text(item.display_title)

    def item_description(self, item: Article) -> str:
        return xml_text(render_markdown_cached(item.translation_markdown))

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.published_at

    def item_author_name(self, item: Article) -> str:
        return xml_text(item.translator.get_username()) if item.translator_id else ""
