"""generate_incidents: load N deterministic synthetic incidents through the bulk importer.

Thin: documents come from `incidents.synthetic`, writes go through
`incidents.services.importing.import_data`, the one bulk write path, so history, verification,
search documents and the change feed are exactly what an import of the same file would leave.
Incidents are upserted on `external_id` (`synthetic-<seed>-<index>`): running the command again
changes nothing, and `--start` resumes an interrupted load. Each `--batch` is one import (one
transaction); the next batch is generated on a second thread while one is imported.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from incidents.services.importing import import_data
from incidents.synthetic import SEARCH_WORD, synthetic_batch

# The report's counters, in the words of the summary line.
COUNTS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "published": "published",
    "platforms_created": "platforms created",
    "platforms_updated": "platforms updated",
}


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
        if connection.vendor == "postgresql":
            # A batch is one long transaction: lift the request-sized statement timeout.
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        totals = dict.fromkeys(COUNTS, 0)
        firsts = range(start, count, batch)
        with (
            tqdm(
                total=count,
                initial=start,
                unit=" incidents",
                disable=verbosity < 1,
                file=sys.stderr,
            ) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate") as generator,
        ):
            # Generating is Python, importing mostly waits on PostgreSQL: the two overlap.
            upcoming = generator.submit(_batch, start, batch, count, seed) if firsts else None
            for first in firsts:
                data = upcoming.result()
                if first + batch < count:
                    upcoming = generator.submit(_batch, first + batch, batch, count, seed)
                last = min(first + batch, count)
                report = import_data(
                    data,
                    progress=lambda done, total, first=first: bar.update(first + done - bar.n),
                )
                if not report.ok:
                    raise CommandError(
                        f"Incidents {first}..{last - 1} were refused (nothing of them was "
                        f"written): " + "; ".join(str(problem) for problem in report.problems[:5])
                    )
                for name in COUNTS:
                    totals[name] += getattr(report, name)
                bar.update(last - bar.n)
        summary = ", ".join(
            f"{totals[name]} {words}" for name, words in COUNTS.items() if totals[name]
        )
        self.stdout.write(
            f"Loaded synthetic incidents {start}..{count - 1} of seed {seed}"
            + (f" ({summary})" if summary else "")
            + f". q={SEARCH_WORD} matches about 1 % of them."
        )


def _batch(first: int, size: int, count: int, seed: int) -> dict:
    return synthetic_batch(first, min(first + size, count), seed=seed)
