"""import_incidents FILE: the interchange format (SPEC §4) in, all or nothing.

Thin: the importer (`incidents.services.importing`) validates and writes; this prints its report
(counts, possible duplicates, each problem as `record 3, participants[0].country: ...`) and exits
non-zero when the file was refused.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from incidents.services.importing import import_file

# A report of a whole spreadsheet of errors stays readable: the first ones, then a count.
SHOWN = 200
LARGE = 2000


class Command(BaseCommand):
    help = (
        "Import incidents, platforms and contacts from a JSON or CSV file (SPEC §4): every "
        "record is checked first, and the file is written whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the JSON or CSV file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report what would change (and possible duplicates); write nothing",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the file's drafts that pass the publish rules",
        )
        parser.add_argument(
            "--format",
            choices=["json", "csv"],
            help="the file's format (default: from its name, else from its content)",
        )

    def handle(self, *args, file, dry_run, publish, format, verbosity, **options):
        if connection.vendor == "postgresql":
            # One long transaction: the request-sized statement timeout does not apply here.
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        bars = []

        def progress(done: int, total: int) -> None:
            # A bar for files of more than one batch; a small file is done before it would show.
            if not bars and total > LARGE and verbosity >= 1:
                bars.append(tqdm(total=total, unit=" incidents", file=sys.stderr, leave=False))
            if bars:
                bars[0].update(done - bars[0].n)

        try:
            report = import_file(
                file, format=format, dry_run=dry_run, publish=publish, progress=progress
            )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        finally:
            for bar in bars:
                bar.close()
        self.stdout.write(report.summary())
        for notice in report.duplicates[:SHOWN]:
            self.stdout.write(f"Possible duplicate: {notice}")
        if len(report.duplicates) > SHOWN:
            self.stdout.write(f"... and {len(report.duplicates) - SHOWN} more possible duplicates.")
        for notice in report.not_published[:SHOWN]:
            self.stdout.write(f"Left as draft: {notice}")
        if report.problems:
            for problem in report.problems[:SHOWN]:
                self.stderr.write(str(problem))
            if len(report.problems) > SHOWN:
                self.stderr.write(f"... and {len(report.problems) - SHOWN} more problems.")
            raise CommandError(
                f"{file} was refused: {len(report.problems)} problem(s); nothing was written."
            )
