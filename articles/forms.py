"""Forms of the collector pages. They check the shape of the input; articles.services decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from articles.models import Category, Difficulty
from articles.services import MAX_SOURCE_CHARS, MAX_URLS_PER_BATCH, split_urls

GUESS = [("", _("Guess from the post"))]


def _difficulty_choices():
    return [("", _("Not rated")), *[(str(v), label) for v, label in Difficulty.choices if v]]


class CollectForm(forms.Form):
    urls = forms.CharField(
        label=_("Addresses of posts"), max_length=MAX_URLS_PER_BATCH * 2100,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off",
                                     "placeholder": "https://…"}),
        help_text=_("One address per line, at most %(n)d at a time.") % {"n": MAX_URLS_PER_BATCH},
    )
    category = forms.ChoiceField(label=_("Category"), required=False, choices=GUESS + list(Category.choices))
    difficulty = forms.ChoiceField(label=_("Difficulty"), required=False, choices=_difficulty_choices)

    def clean_urls(self) -> list[str]:
        urls = split_urls(self.cleaned_data["urls"])
        if not urls:
            raise forms.ValidationError(_("Enter the address of a post."))
        if len(urls) > MAX_URLS_PER_BATCH:
            raise forms.ValidationError(_("Paste at most %(n)d addresses at a time.") % {"n": MAX_URLS_PER_BATCH})
        return urls


class PrepareForm(forms.Form):
    """The collector's edits before making an article available."""

    subject = forms.CharField(label=_("English title"), max_length=500)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    difficulty = forms.TypedChoiceField(label=_("Difficulty"), choices=Difficulty.choices, coerce=int)
    source_markdown = forms.CharField(
        label=_("Source markdown"), required=False, max_length=MAX_SOURCE_CHARS, strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
        help_text=_("The body and its reference links ([1]: …); the header and the footer are added on export."),
    )


class FeedForm(forms.Form):
    url = forms.URLField(label=_("Feed address"), max_length=2000, assume_scheme="https",
                         help_text=_("An RSS or Atom feed."))
    title = forms.CharField(label=_("Title"), max_length=300, required=False,
                            help_text=_("Leave empty to use the feed's own title."))
    category = forms.ChoiceField(label=_("Category of its posts"), choices=Category.choices)


class FeedEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    category = forms.ChoiceField(label=_("Category of its posts"), choices=Category.choices)
    active = forms.BooleanField(label=_("Poll this feed"), required=False,
                                help_text=_("Untick to stop polling without losing its candidates."))
