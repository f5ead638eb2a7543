"""Character classes and counts shared by the quality engine (no Django, no state)."""

from __future__ import annotations

import re

# CJK Unified Ideographs, extension A, compatibility ideographs and the supplementary planes.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")
LATIN_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>\"'()\[\]（）]+", re.IGNORECASE)

# Full-width punctuation that ends or splits a Chinese sentence.
FULLWIDTH_PUNCT = "，。！？：；、（）《》「」『』【】"


def han_count(text: str) -> int:
    return len(HAN_RE.findall(text))


def latin_words(text: str) -> int:
    return len(LATIN_WORD_RE.findall(text))


def has_han(text: str) -> bool:
    return HAN_RE.search(text) is not None


# How many Han characters an English word becomes, on average, in LCTT translations
# (calibrated in docs/quality-checks.md). Used to express a translation's length in
# English-word equivalents.
HAN_PER_WORD = 1.65


def word_equivalents(text: str) -> float:
    """Length of a (possibly mixed) text in English-word equivalents."""
    return han_count(text) / HAN_PER_WORD + latin_words(HAN_RE.sub(" ", text))


# Words a translator keeps as they are: all capitals (SQL, KDE), inner capitals (GitHub),
# digits (x86, 2.0). The rest are the words that get translated.
KEPT_WORD_RE = re.compile(r"[A-Za-z0-9]*(?:[0-9]|[a-z][A-Z]|[A-Z]{2})[A-Za-z0-9.+#\-]*")


def translatable_words(text: str) -> int:
    """Latin words of ``text`` a translator would translate (not SQL, GitHub, x86 …)."""
    return sum(1 for w in LATIN_WORD_RE.findall(text) if not KEPT_WORD_RE.fullmatch(w))
