"""Cached template blocks.

``{% fragment "name" vary1 vary2 … %}…{% endfragment %}``: HTML shown to everyone, cached.

The key is the name, the values given and ``workflow.aggregates.published_version()`` (and
the language), so the fragment changes the moment a published article does; see
workflow/fragments.py. Put only what is the same for every visitor inside: no form with a
CSRF token (the tag blanks the token while rendering, so one cannot leak), nothing that
depends on the signed-in user. Lazy values (a ``SimpleLazyObject`` page) are evaluated only
on a miss, so a hit costs no list query.

``{% memo "name" vary1 vary2 … %}…{% endmemo %}``: the same without the published version,
for a block that the given values determine completely (an article's header, keyed by its
``updated_at``, which every transition moves). Same rules: nothing per user inside.

``{% worklist "name" vary1 vary2 … %}…{% endworklist %}``: a signed-in list's block (the
available articles, my work, the review queue), keyed by the work version
(``workflow.aggregates.work_version``: any write that can change a work list replaces it) and
the values given — the page's address for filters and cursors, the user where the block shows
something only they see. Forms inside are fine: the CSRF token and the page's address
(``next_url``) render as placeholders and are filled in per request. Relative times ("3
hours", "2 days left") are exact: the block is rendered again when the first of them changes
(``fragments.cached_block``). Lazy values (``SimpleLazyObject``) are evaluated only on a miss,
so a hit costs no query at all: signed-in requests bring the version with the user.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape

from .. import aggregates, fragments

register = template.Library()


class FragmentNode(template.Node):
    versioned = True

    def __init__(self, name: str, vary: list, nodelist: template.NodeList) -> None:
        self.name = name
        self.vary = vary
        self.nodelist = nodelist

    def render(self, context) -> str:
        memo = context.render_context
        if not self.versioned:
            version = 0
        else:
            if "published_version" not in memo:
                memo["published_version"] = aggregates.published_version()
            version = memo["published_version"]
        key = fragments.key(self.name, *[v.resolve(context) for v in self.vary], version=version)

        def render() -> str:
            with context.push(csrf_token="NOTPROVIDED"):  # noqa: S106 - {% csrf_token %} renders nothing
                return self.nodelist.render(context)

        # Blocks of one article (small, many) live with the rows; whole lists with the pages.
        return fragments.cached_html(key, render, local=None if self.versioned else fragments.ROWS)


class MemoNode(FragmentNode):
    versioned = False


class WorklistNode(FragmentNode):
    def render(self, context) -> str:
        version = getattr(context.get("user"), "work_version", None)
        if version is None:  # a user not loaded by workflow.auth_backend
            version = aggregates.work_version()
        key = fragments.key(self.name, *[v.resolve(context) for v in self.vary], version=version)
        request = context.get("request")
        values = {
            "csrf_token": context.get("csrf_token", ""),
            "next_url": escape(request.get_full_path()) if request is not None else "",
        }

        def render() -> str:
            with context.push(**{name: fragments.placeholder(name) for name in values}):
                return self.nodelist.render(context)

        return fragments.cached_block(key, render, values=values)


def _parse(parser, token, node_class: type[FragmentNode]) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{{% {bits[0]} %}} needs a name")
    name = bits[1].strip("\"'")
    nodelist = parser.parse((f"end{bits[0]}",))
    parser.delete_first_token()
    return node_class(name, [parser.compile_filter(b) for b in bits[2:]], nodelist)


@register.tag("fragment")
def do_fragment(parser, token) -> FragmentNode:
    return _parse(parser, token, FragmentNode)


@register.tag("memo")
def do_memo(parser, token) -> FragmentNode:
    return _parse(parser, token, MemoNode)


@register.tag("worklist")
def do_worklist(parser, token) -> FragmentNode:
    return _parse(parser, token, WorklistNode)
