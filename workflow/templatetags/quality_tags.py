"""Template tags for the quality panel, the source pane and the alignment map.

``{% editor_state article as editor %}`` gives the page the editor's view of the draft
(workflow.editor.EditorState: ``report``, ``progress``, ``blocks``, ``alignment``,
``drift``), computed once per article object and only the parts a template uses.
"""

from __future__ import annotations

import json

from django import template
from django.utils.html import format_html

from workflow import editor
from workflow.quality import REGISTRY

register = template.Library()


@register.simple_tag(takes_context=True)
def editor_state(context, article, stage: str | None = None):
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    return editor.editor_state(article, user=user, stage=stage or None)


@register.simple_tag
def alignment_attr(alignment: dict) -> str:
    """The alignment map as an escaped ``data-alignment`` attribute value."""
    return format_html('data-alignment="{}"', json.dumps(alignment, separators=(",", ":")))


@register.filter
def check_description(code: str) -> str:
    spec = REGISTRY.get(code)
    return str(spec.description) if spec else ""


@register.filter
def is_fixable(issue) -> bool:
    return issue.fix is not None
