"""Forms for the workflow pages. They validate input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import MarkdownxWidget

from articles.models import Difficulty

from . import selectors
from .services import MAX_DRAFT_CHARS, MAX_NOTE_CHARS


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label=_("Email"), help_text=_("For password resets and notifications; never shown."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Chinese title"), max_length=500, required=False)
    text = forms.CharField(
        label=_("Translation"), required=False, max_length=MAX_DRAFT_CHARS, strip=False,
        widget=MarkdownxWidget(attrs={"rows": 24, "spellcheck": "false"}),
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_NOTE_CHARS,
                           widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_NOTE_CHARS,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    url = forms.URLField(
        label=_("Published address"), required=False, max_length=2000, assume_scheme="https",
        help_text=_("Leave empty to publish at this article's own page on this site."),
    )


def _blank(label):
    return [("", label)]


class AvailableFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    difficulty = forms.ChoiceField(label=_("Difficulty"), required=False)
    length = forms.ChoiceField(label=_("Length"), required=False)
    age = forms.ChoiceField(label=_("Age"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _blank(_("All categories")) + selectors.category_choices()
        self.fields["difficulty"].choices = _blank(_("Any difficulty")) + [
            (str(v), label) for v, label in Difficulty.choices
        ]
        self.fields["length"].choices = _blank(_("Any length")) + [
            (k, label) for k, (label, _q) in selectors.LENGTHS.items()
        ]
        self.fields["age"].choices = _blank(_("Any age")) + [
            (k, label) for k, (label, _d) in selectors.AGES.items()
        ]
        self.fields["sort"].choices = [(k, label) for k, (label, _o) in selectors.AVAILABLE_SORTS.items()]

    def filters(self) -> dict[str, str]:
        """Valid filters only: a bad value in the query string is ignored, not an error."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q", "") or "",
            "category": data.get("category", "") or "",
            "difficulty": data.get("difficulty", "") or "",
            "length": data.get("length", "") or "",
            "age": data.get("age", "") or "",
            "sort": data.get("sort", "") or "new",
        }


class PublishedFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _blank(_("All categories")) + selectors.category_choices()

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"search": data.get("q", "") or "", "category": data.get("category", "") or ""}
