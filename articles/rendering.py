"""Markdown → safe HTML, the one renderer used everywhere (placeholder, replaced later)."""

from __future__ import annotations

import cmarkgfm
import nh3


def render_markdown(text: str) -> str:
    return nh3.clean(cmarkgfm.github_flavored_markdown_to_html(text))
