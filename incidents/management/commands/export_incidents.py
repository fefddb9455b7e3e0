"""export_incidents: the registry in the interchange format (SPEC §4), streamed.

`--format json` writes `{"platforms": [...], "sources": [...], "incidents": [...], "contacts": [...]}`
with the incidents as the API documents them and the contacts' sources as full objects; `sources`
appears only when some source is cited by nothing (entered ahead of use, or left by a deleted
draft): the other sections cannot carry those, and a backup must keep them too; `--format csv`
the interchange CSV (incidents only). Both read one snapshot and hold one batch of incidents in
memory at a time; `import_incidents` reads either back, so export -> import into an empty
database reproduces the registry.
"""

import datetime as dt
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from incidents.choices import IncidentKind, IncidentStatus
from incidents.exports import csv_chunks, document_batches
from incidents.models import Citation, Contact, Incident, Platform, Region, Source


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from error


_date.__name__ = "date"


def platform_documents() -> list[dict]:
    return list(
        Platform.objects.order_by("slug").values("slug", "name", "category", "domain", "country")
    )


def uncited_source_documents() -> list[dict]:
    """Sources no incident and no contact cites, by url; every other source travels with its
    citations."""
    uncited = (
        Source.objects.exclude(pk__in=Citation.objects.values("source_id"))
        .exclude(pk__in=Contact.sources.through.objects.values("source_id"))
        .order_by("url")
    )
    return [
        {
            "url": url,
            "publisher": publisher,
            "title": title,
            "published_on": published_on.isoformat() if published_on else None,
            "type": source_type,
        }
        for url, publisher, title, published_on, source_type in uncited.values_list(
            "url", "publisher", "title", "published_on", "type"
        )
    ]


def contact_documents() -> list[dict]:
    """Contacts with their sources as full objects, oldest first."""
    sources = {}
    through = Contact.sources.through.objects.order_by("contact_id", "source__url")
    for contact_id, *values in through.values_list(
        "contact_id",
        "source__url",
        "source__publisher",
        "source__title",
        "source__published_on",
        "source__type",
    ):
        url, publisher, title, published_on, source_type = values
        sources.setdefault(contact_id, []).append(
            {
                "url": url,
                "publisher": publisher,
                "title": title,
                "published_on": published_on.isoformat() if published_on else None,
                "type": source_type,
            }
        )
    return [
        {
            "external_id": contact.external_id,
            "occurred_on": contact.occurred_on.isoformat(),
            "kind": contact.kind,
            "title": contact.title,
            "summary": contact.summary,
            "parties": contact.parties,
            "sources": sources.get(contact.pk, []),
        }
        for contact in Contact.objects.order_by("occurred_on", "id")
    ]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Command(BaseCommand):
    help = "Export incidents (and, in JSON, platforms and contacts) in the interchange format."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--kind", action="append", choices=IncidentKind.values, help="repeatable"
        )
        parser.add_argument(
            "--status", action="append", choices=IncidentStatus.values, help="repeatable"
        )
        parser.add_argument("--region", action="append", help="region slug; repeatable")
        parser.add_argument("--occurred-after", type=_date, help="on or after this date")
        parser.add_argument("--occurred-before", type=_date, help="on or before this date")

    def handle(self, *args, format, output, **options):
        incidents = self._incidents(options)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        stream = open(output, "w", encoding="utf-8", newline="") if output else None
        write = stream.write if stream else lambda text: self.stdout.write(text, ending="")
        try:
            # One snapshot for the platforms, every batch of incidents and the contacts.
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if outermost and connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if format == "csv":
                    for chunk in csv_chunks(incidents):
                        write(chunk)
                else:
                    self._write_json(write, incidents)
        except BrokenPipeError:
            # The reader stopped early (`export_incidents | head`): not an error of the export.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        finally:
            if stream:
                stream.close()

    def _incidents(self, options):
        incidents = Incident.objects.order_by("id")
        if options["kind"]:
            incidents = incidents.filter(kind__in=options["kind"])
        if options["status"]:
            incidents = incidents.filter(status__in=options["status"])
        if options["region"]:
            unknown = set(options["region"]) - set(Region.objects.values_list("slug", flat=True))
            if unknown:
                raise CommandError(f"Unknown region(s): {', '.join(sorted(unknown))}.")
            incidents = incidents.filter(region_id__in=options["region"])
        after, before = options["occurred_after"], options["occurred_before"]
        if after and before and after > before:
            raise CommandError("--occurred-after is later than --occurred-before.")
        if after:
            incidents = incidents.filter(occurred_on__gte=after)
        if before:
            incidents = incidents.filter(occurred_on__lte=before)
        return incidents

    def _write_json(self, write, incidents) -> None:
        write('{"platforms": [\n')
        write(",\n".join(_json(p) for p in platform_documents()))
        uncited = uncited_source_documents()
        if uncited:  # only then: a file of cited sources keeps SPEC §4's three sections
            write('\n],\n"sources": [\n')
            write(",\n".join(_json(s) for s in uncited))
        write('\n],\n"incidents": [\n')
        separator = ""
        for documents in document_batches(incidents):
            write(separator + ",\n".join(_json(d) for d in documents))
            separator = ",\n"
        write('\n],\n"contacts": [\n')
        write(",\n".join(_json(c) for c in contact_documents()))
        write("\n]}\n")
