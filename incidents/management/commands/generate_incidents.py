"""generate_incidents: load N deterministic synthetic incidents through the bulk importer.

Thin: documents come from `incidents.synthetic`, writes go through
`incidents.services.importing.import_data`, the one bulk write path, so history, verification,
search documents and the change feed are exactly what an import of the same file would leave.
Incidents are upserted on `external_id` (`synthetic-<seed>-<index>`): running the command again
changes nothing, and `--start` resumes an interrupted load.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from incidents.synthetic import SEARCH_WORD, synthetic_batch


class Command(BaseCommand):
    help = "Generate realistic synthetic incidents (deterministic per seed) through the importer."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="number of incidents")
        parser.add_argument(
            "--seed", type=int, default=1, help="the data set; same seed, same data"
        )
        parser.add_argument("--batch", type=int, default=10_000, help="incidents per import call")
        parser.add_argument(
            "--start", type=int, default=0, help="first index to load (resume a load)"
        )

    def handle(self, *args, count, seed, batch, start, verbosity, **options):
        if count < 0 or batch < 1 or not 0 <= start <= count:
            raise CommandError("Need --count >= 0, --batch >= 1 and 0 <= --start <= --count.")
        try:
            from incidents.services.importing import import_data
        except ImportError as error:
            raise CommandError(
                "The bulk importer incidents.services.importing.import_data is not available "
                f"({error}); this command loads only through it."
            ) from error

        if connection.vendor == "postgresql":
            # A batch is one long transaction: lift the request-sized statement timeout.
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        totals: dict[str, int] = {}
        with tqdm(
            total=count,
            initial=start,
            unit=" incidents",
            disable=verbosity < 1,
            file=sys.stderr,
        ) as bar:
            for first in range(start, count, batch):
                last = min(first + batch, count)
                report = import_data(
                    synthetic_batch(first, last, seed=seed),
                    progress=lambda done, total, first=first: bar.update(first + done - bar.n),
                )
                if report.problems:
                    raise CommandError(
                        f"Incidents {first}..{last - 1} were refused: "
                        + "; ".join(str(problem) for problem in report.problems[:5])
                    )
                for name, value in _counts(report).items():
                    totals[name] = totals.get(name, 0) + value
                bar.update(last - bar.n)
        summary = ", ".join(f"{value} {name}" for name, value in totals.items() if value)
        self.stdout.write(
            f"Loaded synthetic incidents {start}..{count - 1} of seed {seed}"
            + (f" ({summary})" if summary else "")
            + f". q={SEARCH_WORD} matches about 1 % of them."
        )


def _counts(report) -> dict[str, int]:
    """The integer counters of an ImportReport (created, updated, unchanged, ...)."""
    return {
        name: value
        for name, value in vars(report).items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
