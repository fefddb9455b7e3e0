"""Admin forms of an incident and its inlines, and the bridge between them and the services.

The forms check field types only. `document_from_forms` assembles what they hold into the
interchange document (SPEC §4) that the services validate and write; `Refusal` carries the
services' path-named errors (`participants[0].country`, `details.domain`) back onto the forms.
"""

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, construct_instance
from django_countries import countries

from incidents.choices import DisputeType
from incidents.models import Incident

INCIDENT_FORM_FIELDS = [
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "region",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
    "disputed",
]
PARTICIPANT_FORM_FIELDS = ["country", "role", "force", "platform", "platform_detail", "count"]
SOURCE_DOCUMENT_FIELDS = ["url", "publisher", "title", "published_on", "type"]
DUPLICATES_MESSAGE = (
    "Nothing was saved: this may be the same event as the incidents listed above. If it is a "
    "distinct incident, tick the box under the list and save again."
)
_LISTED_PATH = re.compile(
    r"^(?P<section>participants|sources)(?:\[(?P<index>\d+)\])?(?:\.(?P<field>\w+))?$"
)
_DETAILS_PATH = re.compile(r"^details(?:\.(?P<field>\w+))?$")


class Refusal(Exception):
    """The services refused a save (or it needs confirming); the form is shown again with why.

    `errors` maps document paths to messages, as the services' ValidationError does.
    """

    def __init__(self, errors: dict[str, list[str]], *, kind=None, duplicates=()):
        super().__init__(errors)
        self.errors = errors
        self.kind = kind
        self.duplicates = list(duplicates)

    def listed(self) -> list[tuple[str, str]]:
        """(path, message) pairs for the summary at the top of the form."""
        return [(path, message) for path, messages in self.errors.items() for message in messages]

    def in_section(self, section: str) -> list[tuple[int | None, str | None, str, str]]:
        """(index, field, path, message) of the errors that belong to one part of the form."""
        found = []
        for path, message in self.listed():
            if match := _LISTED_PATH.match(path):
                place = match["section"], match["index"], match["field"]
            elif match := _DETAILS_PATH.match(path):
                place = "details", "0", match["field"]
            else:
                place = "incident", None, None if path == "non_field_errors" else path
            if place[0] == section:
                index = int(place[1]) if place[1] is not None else None
                found.append((index, place[2], path, message))
        return found


def add_error(form, field: str | None, path: str, message: str) -> None:
    """Put a message on the form field it names, else on the form as a whole with its path."""
    if field and field in form.fields and not form.fields[field].widget.is_hidden:
        form.add_error(field, message)
    elif path == "non_field_errors":
        form.add_error(None, message)
    else:
        form.add_error(None, f"{path}: {message}")


def live_forms(formset) -> list:
    """The inline forms that become the document's list, in order: filled in, not deleted."""
    live = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        if form.instance.pk is not None or form.has_changed():
            live.append(form)
    return live


def _plain(value):
    """A form value as the JSON document carries it."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def document_from_forms(form, formsets: dict) -> dict:
    """The incident document (SPEC §4 shape) the admin form and its inlines describe.

    `formsets` maps "participants", "sources" and each kind to its inline formset.
    """
    data = form.cleaned_data
    document = {name: _plain(data.get(name)) for name in INCIDENT_FORM_FIELDS}
    document["region"] = data["region"].pk if data.get("region") else None
    document["disputed"] = bool(data.get("disputed"))
    document["participants"] = [
        {
            **{name: _plain(f.cleaned_data.get(name)) for name in PARTICIPANT_FORM_FIELDS},
            "platform": f.cleaned_data["platform"].slug if f.cleaned_data.get("platform") else None,
        }
        for f in live_forms(formsets["participants"])
    ]
    document["sources"] = []
    for citation_form in live_forms(formsets["sources"]):
        source = citation_form.cleaned_data["source"]
        document["sources"].append(
            {
                **{name: _plain(getattr(source, name)) for name in SOURCE_DOCUMENT_FIELDS},
                "quote": citation_form.cleaned_data.get("quote") or "",
            }
        )
    document["details"] = {}
    details_formset = formsets.get(data.get("kind"))
    if details_formset is not None:
        for details_form in live_forms(details_formset)[:1]:
            document["details"] = {
                name: _plain(value)
                for name, value in details_form.cleaned_data.items()
                if name not in ("incident", "DELETE", "id")
            }
    return document


class TypesOnlyModelForm(forms.ModelForm):
    """Checks field types (and unique fields), not the model's rules: the services check those,
    with messages a curator can act on, so no rule is enforced only here."""

    def _post_clean(self):
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)
        if self._validate_unique:
            self.validate_unique()


class IncidentForm(TypesOnlyModelForm):
    """The incident's own fields; `version` is the version the curator started editing."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    refusal: Refusal | None = None  # set per request by the admin, to show a refusal again

    class Meta:
        model = Incident
        fields = [*INCIDENT_FORM_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            self.fields["version"].required = self.instance.pk is not None

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            placed = self.refusal.in_section("incident")
            for _, field, path, message in placed:
                add_error(self, field, path, message)
            # Always invalid while a refusal is shown, so showing it never saves anything.
            if self.refusal.duplicates:
                self.add_error(None, DUPLICATES_MESSAGE)
            elif not placed:
                self.add_error(None, "Nothing was saved: correct the errors marked below.")
        return cleaned


class IncidentChildFormSet(BaseInlineFormSet):
    """An inline's formset; places the refusal's errors of its section on its forms."""

    section = ""  # "participants", "sources" or "details"
    kind = None  # for details: the incident kind these details belong to
    refusal: Refusal | None = None

    def clean(self):
        super().clean()
        if self.refusal is None or (self.kind and self.kind != self.refusal.kind):
            return
        forms_in_document = live_forms(self)
        leftovers = []
        for index, field, path, message in self.refusal.in_section(self.section):
            if index is not None and index < len(forms_in_document):
                form = forms_in_document[index]
                if self.section == "sources" and field in SOURCE_DOCUMENT_FIELDS:
                    # The cited source itself is at fault: say so beside the source picker.
                    form.add_error("source", f"{field}: {message}")
                else:
                    add_error(form, field, path, message)
            else:
                leftovers.append(f"{path}: {message}")
        if leftovers:
            raise ValidationError(leftovers)


class CountryCodeField(forms.ChoiceField):
    """An ISO 3166-1 alpha-2 code typed in a short box (`cn` reads as CN).

    A text box with the change form's `country-codes` datalist as hints: a select of every
    country on each participant row would make the page slow to render.
    """

    widget = forms.TextInput(attrs={"size": 4, "maxlength": 2, "list": "country-codes"})

    def __init__(self, **kwargs):
        super().__init__(choices=lambda: list(countries), **kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class ParticipantForm(TypesOnlyModelForm):
    country = CountryCodeField(help_text="ISO 3166-1 alpha-2, e.g. CN.")


class CitationForm(TypesOnlyModelForm):
    pass


class LinesField(forms.CharField):
    """A list of strings edited one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class InterceptDetailsForm(TypesOnlyModelForm):
    maneuvers = LinesField(required=False, help_text="One manoeuvre per line.")


class CrossingDetailsForm(TypesOnlyModelForm):
    period_start = forms.DateField(required=False, widget=AdminDateWidget)
    period_end = forms.DateField(required=False, widget=AdminDateWidget)
    track = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Optional GeoJSON LineString in lon/lat, e.g. {"type": "LineString", '
        '"coordinates": [[119.5, 24.5], [120.2, 24.1]]}.',
    )


class DisputeDetailsForm(TypesOnlyModelForm):
    dispute_types = forms.MultipleChoiceField(
        choices=DisputeType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class RetractForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Readers see this reason beside the retracted record.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(help_text="An interchange file: JSON or CSV (SPEC §4).")
    publish = forms.BooleanField(
        required=False,
        help_text="Publish the imported drafts that pass the publish rules.",
    )
