"""The platforms, sources and contacts sections of an import: checked, then upserted on keys.

Platforms are upserted on `slug` before the incidents that name them, contacts on
`external_id` (SPEC §4), and the `sources` section (sources nothing cites, which
`export_incidents` writes so a backup keeps them) on `url`. Both are small vocabularies, so they are saved row by row, with
simple-history recording each change as for a curator's save.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import Contact, Platform, Source
from incidents.services.audit import with_user
from incidents.services.contacts import clean_parties, party_problems
from incidents.services.importing.report import ImportReport
from incidents.services.records import plan_sources
from incidents.services.validation import SOURCE_FIELDS, country_problem

PLATFORM_FIELDS = ["slug", "name", "category", "domain", "country"]
CONTACT_FIELDS = ["external_id", "occurred_on", "kind", "title", "summary"]
# Local dates run up to 14 hours ahead of UTC, as for incidents.
_LATEST_UTC_OFFSET = dt.timedelta(hours=14)


def _clean_field(model, name: str, value, errors: dict, path: str):
    model_field = model._meta.get_field(name)
    if value is None or (value == "" and model_field.null):
        if model_field.null:
            return None
        if model_field.blank:
            return ""
        errors.setdefault(path, []).append("This field is required.")
        return None
    if isinstance(value, dict | list | bool):
        errors.setdefault(path, []).append(f"Expected text, not {type(value).__name__}.")
        return None
    try:
        return model_field.clean(value, None)
    except ValidationError as error:
        errors.setdefault(path, []).extend(error.messages)
        return None


def _unknown_keys(data: dict, allowed, prefix: str, errors: dict) -> None:
    for key in sorted(set(data) - set(allowed), key=str):
        errors.setdefault(f"{prefix}{key}", []).append("Unknown field.")


def _country_code(value, path: str, errors: dict) -> str | None:
    problem = country_problem(value)
    if problem is not None:
        errors.setdefault(path, []).append(problem)
        return None
    return value


def clean_platform(data) -> dict:
    """Model-ready values of one platform, or a ValidationError keyed by field."""
    if not isinstance(data, dict):
        raise ValidationError({"": ["A platform must be an object."]})
    errors: dict[str, list[str]] = {}
    _unknown_keys(data, PLATFORM_FIELDS, "", errors)
    values = {
        name: _clean_field(Platform, name, data.get(name), errors, name) for name in PLATFORM_FIELDS
    }
    if values.get("name") is not None and not values["name"].strip():
        errors.setdefault("name", []).append("This field may not be blank.")
    if values.get("country") is not None:
        _country_code(values["country"], "country", errors)
    if errors:
        raise ValidationError(errors)
    return values


def import_platforms(items: list, report: ImportReport, *, write: bool, by) -> list[Platform]:
    """Check every platform, then (with `write`) upsert them; returns them, saved or not."""
    cleaned, seen = [], {}
    for index, item in enumerate(items):
        location = f"platform {index}"
        try:
            values = clean_platform(item)
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                for message in messages:
                    report.problem(location, path, message)
            continue
        if values["slug"] in seen:
            report.problem(location, "slug", f"Also given by {seen[values['slug']]}.")
            continue
        seen[values["slug"]] = location
        cleaned.append(values)
    existing = {p.slug: p for p in Platform.objects.filter(slug__in=list(seen))}
    platforms = []
    for values in cleaned:
        platform = existing.get(values["slug"])
        if platform is None:
            platform = Platform(**values)
            report.platforms_created += 1
        elif any(getattr(platform, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(platform, name, value)
            report.platforms_updated += 1
        else:
            platforms.append(platform)
            continue
        if write and report.ok:
            with_user(platform, by).save()
        platforms.append(platform)
    return platforms


def clean_contact(data) -> tuple[dict, list[str], list[dict]]:
    """(fields, parties, sources) of one contact, or a ValidationError keyed by field path."""
    if not isinstance(data, dict):
        raise ValidationError({"": ["A contact must be an object."]})
    errors: dict[str, list[str]] = {}
    _unknown_keys(data, [*CONTACT_FIELDS, "parties", "sources", "id"], "", errors)
    fields = {}
    for name in CONTACT_FIELDS:
        value = data.get(name)
        if name in {"title", "occurred_on", "kind"} and (value is None or str(value).strip() == ""):
            errors.setdefault(name, []).append("This field is required.")
            continue
        fields[name] = _clean_field(Contact, name, value, errors, name)
    if isinstance(fields.get("external_id"), str):
        fields["external_id"] = fields["external_id"].strip() or None
    if isinstance(fields.get("title"), str):
        fields["title"] = fields["title"].strip()
    occurred_on = fields.get("occurred_on")
    if (
        isinstance(occurred_on, dt.date)
        and occurred_on > (timezone.now() + _LATEST_UTC_OFFSET).date()
    ):
        errors.setdefault("occurred_on", []).append(f"{occurred_on.isoformat()} is in the future.")
    parties = data.get("parties")
    for index, message in party_problems(parties):
        path = "parties" if index is None else f"parties[{index}]"
        errors.setdefault(path, []).append(message)
    sources = _clean_sources(data.get("sources"), errors)
    if errors:
        raise ValidationError(errors)
    return fields, clean_parties(parties), sources  # checked above: as stored


def _clean_sources(items, errors: dict) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        errors.setdefault("sources", []).append("Must be a list of sources.")
        return []
    sources, seen = [], set()
    for index, item in enumerate(items):
        path = f"sources[{index}]."
        if not isinstance(item, dict):
            errors.setdefault(f"sources[{index}]", []).append(
                "Must be an object with url, publisher, title, published_on, type."
            )
            continue
        _unknown_keys(item, [*SOURCE_FIELDS, "id"], path, errors)
        values = {
            name: _clean_field(Source, name, item.get(name), errors, path + name)
            for name in SOURCE_FIELDS
        }
        if values["url"] in seen:
            errors.setdefault(path + "url", []).append("This source is listed twice.")
        seen.add(values["url"])
        sources.append(values)
    return sources


def check_contacts(items: list, report: ImportReport) -> list[tuple[str, tuple]]:
    """Every contact checked; returns (location, cleaned) pairs for `import_contacts`."""
    cleaned, seen = [], {}
    for index, item in enumerate(items):
        location = f"contact {index}"
        try:
            values = clean_contact(item)
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                for message in messages:
                    report.problem(location, path, message)
            continue
        external_id = values[0].get("external_id")
        if external_id is not None:
            if external_id in seen:
                report.problem(location, "external_id", f"Also used by {seen[external_id]}.")
                continue
            seen[external_id] = location
        cleaned.append((location, values))
    return cleaned


def import_contacts(
    cleaned: list[tuple[str, tuple]], report: ImportReport, *, write: bool, by, known: dict
) -> list[Source]:
    """Upsert checked contacts on external_id; returns sources whose stored fields changed.

    `known` (url -> Source) is shared with the incidents of the same import.
    """
    ids = [values[0]["external_id"] for _, values in cleaned if values[0].get("external_id")]
    existing = {c.external_id: c for c in Contact.objects.filter(external_id__in=ids)}
    current_urls = {}
    if existing:
        for contact_id, url in Contact.sources.through.objects.filter(
            contact_id__in=[c.pk for c in existing.values()]
        ).values_list("contact_id", "source__url"):
            current_urls.setdefault(contact_id, set()).add(url)
    missing = {s["url"] for _, (_, _, sources) in cleaned for s in sources if s["url"] not in known}
    known.update({s.url: s for s in Source.objects.filter(url__in=missing)})
    changed_sources = []
    for _location, (fields, parties, sources) in cleaned:
        new_sources, changed = plan_sources(sources, known)
        if write:
            for source in [*new_sources, *changed]:
                with_user(source, by).save()
        changed_sources.extend(changed)
        contact = existing.get(fields.get("external_id"))
        urls = {s["url"] for s in sources}
        values = {**fields, "parties": parties}
        if contact is None:
            contact = Contact(**values)
            report.contacts_created += 1
        elif all(getattr(contact, k) == v for k, v in values.items()) and urls == current_urls.get(
            contact.pk, set()
        ):
            report.contacts_unchanged += 1
            continue
        else:
            for name, value in values.items():
                setattr(contact, name, value)
            report.contacts_updated += 1
        if write:
            with_user(contact, by).save()
            contact.sources.set([known[s["url"]] for s in sources])
    return changed_sources


def check_sources(items: list, report: ImportReport, cited: dict[str, str]) -> list[dict]:
    """The `sources` section checked: each a full source object, each url once.

    `cited` (url -> where in the file) holds the urls the file's incidents and contacts carry:
    a source listed both here and with a citation would have two versions in one file, so the
    section is for sources nothing in the file cites.
    """
    errors: dict[str, list[str]] = {}
    sources = _clean_sources(items, errors)
    for index, source in enumerate(sources):
        where = cited.get(source["url"]) if source["url"] is not None else None
        if where:
            errors.setdefault(f"sources[{index}].url", []).append(
                f"Also cited by {where}: give a cited source with its citation only."
            )
    for path, messages in errors.items():
        # "sources[3].url" -> location "source 3", field "url"
        index, _, name = path.removeprefix("sources[").partition("]")
        location = f"source {index}" if index.isdigit() else "file"
        for message in messages:
            report.problem(location, name.removeprefix(".") or "sources", message)
    return [] if errors else sources


def import_sources(sources: list[dict], report: ImportReport, *, write: bool, by) -> list[Source]:
    """Upsert checked sources on url; returns the stored sources whose fields changed."""
    known = {s.url: s for s in Source.objects.filter(url__in=[s["url"] for s in sources])}
    new, changed = plan_sources(sources, known)
    report.sources_created += len(new)
    report.sources_updated += len(changed)
    if write:
        for source in [*new, *changed]:
            with_user(source, by).save()
    return changed
