"""Import benchmark (issue 5): the importer beside a plain COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1/reg_import_bench \\
        .venv/bin/python bench/import_benchmark.py --count 100000 --flush [--rounds 3]

On a PostgreSQL database of its own (it empties the incident tables: `--flush` says you mean
it), in one process:

1. writes `--count` synthetic incidents (`incidents.synthetic`, seed `--seed`) to a JSON file in
   the interchange format, as a user's file would arrive;
2. COPY: the same incidents, participants, sources, citations and kind details as plain rows,
   ids precomputed, by COPY into the same tables (no validation, history, search document or
   change feed) - the floor; then empties the tables again;
3. import: `import_file` of the JSON file, timed from the file's bytes to the commit;
4. re-import: the same file again (every record unchanged).

Each round runs the three, and the medians are reported with each round's ratios to the COPY
floor of the same round. Beside the wall clock it prints CPU per incident: this process (all
its threads) and, when PostgreSQL runs on this machine, the import connection's server process
(read from /proc; the importer's second connection, which computes search documents, is not
counted). The machine may be shared: the load average is printed, and CPU per incident does
not depend on it much, where the wall clock does.
Goals: import >= 5,000/s, re-import >= 20,000/s.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from django_setup import setup_django  # bench/, the script's own folder

setup_django()

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


def _server_process():
    """/proc stat path of this connection's PostgreSQL server process, if it runs here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        path = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    return path if path.exists() and connection.settings_dict["HOST"] in LOCAL_HOSTS else None


LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_TICK = os.sysconf("SC_CLK_TCK")


def _server_cpu(path) -> float:
    if path is None:
        return float("nan")
    fields = path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def timed(function, *args, **kwargs):
    """(result, wall seconds, this process's CPU seconds, the server process's CPU seconds)."""
    server = _server_process()
    wall, cpu, server_cpu = time.perf_counter(), time.process_time(), _server_cpu(server)
    result = function(*args, **kwargs)
    return (
        result,
        time.perf_counter() - wall,
        time.process_time() - cpu,
        _server_cpu(server) - server_cpu,
    )


def one_round(data: dict, path: Path, count: int) -> dict:
    """Floor, import and re-import once, each from empty tables (the re-import from the import)."""
    _empty()
    # The platforms first, as the file brings them: the COPY and the import both find them.
    assert import_file(json.dumps({"platforms": data["platforms"]}).encode()).ok
    copy_seconds = copy_floor(data["incidents"])
    _empty()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report, *imported = timed(import_file, path)
    assert report.ok and report.created == count, report.problems[:5]
    again, *reimported = timed(import_file, path)
    assert again.ok and again.unchanged == count, (again.updated, again.problems[:5])
    return {"copy": copy_seconds, "import": imported, "re-import": reimported}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
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
    print(f"{args.count:,} incidents, {size_mb:.0f} MB of JSON, load {_load()}")

    n = args.count
    rounds = []
    for number in range(1, args.rounds + 1):
        result = one_round(data, path, n)
        rounds.append(result)
        floor = n / result["copy"]
        line = [f"round {number}: COPY {floor:,.0f}/s"]
        for name in ("import", "re-import"):
            wall, cpu, server = result[name]
            line.append(f"{name} {n / wall:,.0f}/s ({n / wall / floor:.2f} x COPY)")
        print(", ".join(line) + f"; load {_load()}")

    floor = statistics.median(n / r["copy"] for r in rounds)
    print(f"COPY floor:  {floor:>9,.0f} incidents/s  (median of {len(rounds)})")
    for name, goal in (("import", 5_000), ("re-import", 20_000)):
        rate = statistics.median(n / r[name][0] for r in rounds)
        ratio = statistics.median(n / r[name][0] / (n / r["copy"]) for r in rounds)
        cpu = statistics.median(r[name][1] for r in rounds) / n * 1e6
        server = statistics.median(r[name][2] for r in rounds) / n * 1e6
        print(
            f"{name + ':':<12} {rate:>9,.0f} incidents/s  = {ratio:.2f} x COPY   CPU per "
            f"incident: Python {cpu:.0f} us, PostgreSQL {server:.0f} us   goal >= {goal:,}/s: "
            f"{'met' if rate >= goal else 'NOT met'}"
        )
    print(f"load average after: {_load()}")
    if not args.file:
        path.unlink()


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
