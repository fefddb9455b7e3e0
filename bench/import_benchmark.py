"""Import benchmark (issue 5): the importer beside a plain COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1/reg_import_bench \\
        .venv/bin/python bench/import_benchmark.py --count 100000 --flush

On a PostgreSQL database of its own (it empties the incident tables: `--flush` says you mean
it), in one process:

1. writes `--count` synthetic incidents (`incidents.synthetic`, seed `--seed`) to a JSON file in
   the interchange format, as a user's file would arrive;
2. COPY: the same incidents, participants, sources, citations and kind details as plain rows,
   ids precomputed, by COPY into the same tables (no validation, history, search document or
   change feed) - the floor; then empties the tables again;
3. import: `import_file` of the JSON file, timed from the file's bytes to the commit;
4. re-import: the same file again (every record unchanged).

It prints incidents per second for each, the ratios to the COPY floor, and the process's CPU
seconds beside the wall-clock ones (the machine may be shared: the load average is printed).
Goals: import >= 5,000/s, re-import >= 20,000/s.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from incidents.models import (  # noqa: E402
    Citation,
    Incident,
    InterceptDetails,
    MedianLineCrossingDetails,
    NavigationDisputeDetails,
    Participant,
    Source,
)
from incidents.services.importing import import_file  # noqa: E402
from incidents.synthetic import synthetic_batch  # noqa: E402

TABLES = [
    "incidents_changeevent",
    "incidents_citation",
    "incidents_participant",
    "incidents_interceptdetails",
    "incidents_medianlinecrossingdetails",
    "incidents_navigationdisputedetails",
    "incidents_incident",
    "incidents_source",
    "incidents_historicalincident",
    "incidents_historicalparticipant",
    "incidents_historicalcitation",
    "incidents_historicalsource",
    "incidents_historicalinterceptdetails",
    "incidents_historicalmedianlinecrossingdetails",
    "incidents_historicalnavigationdisputedetails",
]
DETAILS = {
    "intercept": (InterceptDetails, ["domain", "closest_approach_m", "closest_approach_text"]),
    "median_line_crossing": (
        MedianLineCrossingDetails,
        ["aircraft_count", "vessel_count", "aircraft_total_reported", "period_start", "period_end"],
    ),
    "navigation_dispute": (NavigationDisputeDetails, ["feature", "zone"]),
}


def _empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


def _copy_rows(documents: list[dict]) -> dict[str, tuple[list[str], list[tuple]]]:
    """The plain rows of these documents, by table: what a bare loader would COPY."""
    now = "2026-01-01T00:00:00Z"
    rows: dict[str, tuple[list[str], list[tuple]]] = {}

    def add(model, columns, values):
        rows.setdefault(model._meta.db_table, (columns, []))[1].append(values)

    platforms = dict(
        (slug, pk)
        for slug, pk in connection.cursor()
        .execute("SELECT slug, id FROM incidents_platform")
        .fetchall()
    )
    sources: dict[str, int] = {}
    for number, document in enumerate(documents, start=1):
        add(
            Incident,
            [
                "id", "external_id", "kind", "title", "summary", "occurred_on", "occurred_at",
                "date_precision", "region_id", "location_name", "latitude", "longitude",
                "conduct", "status", "retraction_reason", "disputed", "verification", "version",
                "created_at", "updated_at",
            ],
            (
                number, document["external_id"], document["kind"], document["title"],
                document["summary"], document["occurred_on"], document["occurred_at"],
                document["date_precision"], document["region"], document["location_name"],
                document["latitude"], document["longitude"], document["conduct"],
                document["status"], document.get("retraction_reason"), False, "unverified", 1,
                now, now,
            ),
        )  # fmt: skip
        for position, p in enumerate(document["participants"]):
            add(
                Participant,
                ["incident_id", "country", "role", "force", "platform_id", "platform_detail",
                 "count", "position"],
                (number, p["country"], p["role"], p.get("force") or "",
                 platforms.get(p.get("platform")), p.get("platform_detail"), p.get("count", 1),
                 position),
            )  # fmt: skip
        for position, s in enumerate(document["sources"]):
            if s["url"] not in sources:
                sources[s["url"]] = len(sources) + 1
                add(
                    Source,
                    ["id", "url", "publisher", "title", "published_on", "type"],
                    (sources[s["url"]], s["url"], s["publisher"], s["title"], s["published_on"],
                     s["type"]),
                )  # fmt: skip
            add(
                Citation,
                ["incident_id", "source_id", "quote", "position"],
                (number, sources[s["url"]], s.get("quote") or "", position),
            )
        model, names = DETAILS[document["kind"]]
        details = document["details"]
        extra = {
            "intercept": ["maneuvers"],
            "median_line_crossing": ["track"],
            "navigation_dispute": ["dispute_types"],
        }[document["kind"]]
        add(
            model,
            ["incident_id", *names, *extra],
            (
                number,
                *(details.get(name) for name in names),
                *(json.dumps(details.get(name)) if details.get(name) is not None else None
                  for name in extra),
            ),
        )  # fmt: skip
    for columns, values in rows.values():
        if "closest_approach_text" in columns:
            index = columns.index("closest_approach_text")
            values[:] = [(*v[:index], v[index] or "", *v[index + 1 :]) for v in values]
    return rows


def copy_floor(documents: list[dict]) -> float:
    """Seconds to COPY the documents' rows (prepared beforehand) and commit."""
    rows = _copy_rows(documents)
    order = [
        "incidents_source",
        "incidents_incident",
        "incidents_participant",
        "incidents_citation",
        "incidents_interceptdetails",
        "incidents_medianlinecrossingdetails",
        "incidents_navigationdisputedetails",
    ]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in order:
            if table not in rows:
                continue
            columns, values = rows[table]
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
    return time.perf_counter() - started


def timed(function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flush", action="store_true", help="empty the incident tables (required)")
    parser.add_argument("--file", help="keep the generated file here (default: a temp file)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The import benchmark runs on PostgreSQL: set DATABASE_URL.")
    if not args.flush:
        sys.exit(
            f"This empties the incident tables of {connection.settings_dict['NAME']}: "
            "use a database of its own and pass --flush."
        )
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")

    data = synthetic_batch(0, args.count, seed=args.seed)
    path = Path(args.file or tempfile.mkstemp(suffix=".json", prefix="import-bench-")[1])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    print(f"{args.count:,} incidents, {size_mb:.0f} MB of JSON, load {os.getloadavg()[0]:.2f}")

    _empty()
    # The platforms first, as the file brings them: the COPY and the import both find them.
    assert import_file(json.dumps({"platforms": data["platforms"]}).encode()).ok
    copy_seconds = copy_floor(data["incidents"])
    _empty()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    report, import_wall, import_cpu = timed(import_file, path)
    assert report.ok and report.created == args.count, report.problems[:5]
    again, reimport_wall, reimport_cpu = timed(import_file, path)
    assert again.ok and again.unchanged == args.count, (again.updated, again.problems[:5])

    rate = args.count / import_wall
    rerate = args.count / reimport_wall
    copy_rate = args.count / copy_seconds
    print(f"COPY floor:  {copy_rate:>9,.0f} incidents/s  ({copy_seconds:.1f} s)")
    print(
        f"import:      {rate:>9,.0f} incidents/s  ({import_wall:.1f} s wall, {import_cpu:.1f} s "
        f"CPU)  = {rate / copy_rate:.2f} x COPY   goal >= 5,000/s: "
        f"{'met' if rate >= 5000 else 'NOT met'}"
    )
    print(
        f"re-import:   {rerate:>9,.0f} incidents/s  ({reimport_wall:.1f} s wall, "
        f"{reimport_cpu:.1f} s CPU)  = {rerate / copy_rate:.2f} x COPY   goal >= 20,000/s: "
        f"{'met' if rerate >= 20000 else 'NOT met'}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if not args.file:
        path.unlink()


if __name__ == "__main__":
    main()
