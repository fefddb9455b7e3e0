"""EXPLAIN (ANALYZE, BUFFERS) of every SQL statement the registry runs for W1-W5.

    DATABASE_URL=postgres://postgres@127.0.0.1/reg_bench .venv/bin/python bench/explain_workloads.py
    ... bench/explain_workloads.py --workloads W1,W5 --raw   # also the raw floor's statement

Sends each workload's request once through Django's test client (anonymous, as the benchmark),
captures the statements with their parameters, and prints each one's plan as PostgreSQL ran it
(the second execution, so caches are warm). With --raw it prints the raw floor's one statement
for the same request too. Read-only: EXPLAIN ANALYZE of SELECTs.
"""

import argparse
import sys

from django_setup import setup_django

WORKLOADS = {
    "W1": "/api/v1/incidents/?kind={kind}&region={region}&occurred_after=2019-01-01"
    "&occurred_before=2023-12-31&limit=50",
    "W2": "/api/v1/incidents/{id}/",
    "W3": "/api/v1/incidents/stats/?interval=month&group_by=kind&occurred_after=2020-01-01"
    "&occurred_before=2024-12-31",
    "W4": "/api/v1/incidents/?q=flares&limit=50",
    "W5": "/api/v1/incidents/?kind={kind}&region={region}&occurred_after=2019-01-01"
    "&occurred_before=2023-12-31&limit=50&offset=5000",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    parser.add_argument("--kind", default="intercept")
    parser.add_argument("--region", default="south-china-sea")
    parser.add_argument("--id", type=int, help="W2's incident (default: the newest published)")
    parser.add_argument("--raw", action="store_true", help="also EXPLAIN the raw floor's query")
    parser.add_argument("--sql-chars", type=int, default=400, help="statement text shown")
    args = parser.parse_args()

    setup_django(SECURE_SSL_REDIRECT="false", API_THROTTLE_ANON="", API_THROTTLE_USER="")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Incident

    incident_id = (
        args.id or Incident.objects.published().order_by("-id").values_list("id", flat=True).first()
    )
    client = Client(SERVER_NAME="127.0.0.1")
    for name in [w.strip().upper() for w in args.workloads.split(",")]:
        path = WORKLOADS[name].format(kind=args.kind, region=args.region, id=incident_id)
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        print(f"\n=== {name} {path} -> HTTP {response.status_code}")
        statements = [query["sql"] for query in captured.captured_queries]
        if args.raw:
            statements.append(_raw_floor_statement(path))
        for number, sql in enumerate(statements, start=1):
            label = "raw floor" if args.raw and number == len(statements) else f"query {number}"
            print(
                f"\n--- {label}: {sql[: args.sql_chars]}{'…' if len(sql) > args.sql_chars else ''}"
            )
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                print("\n".join(row[0] for row in cursor.fetchall()))
    return 0


def _raw_floor_statement(path: str) -> str:
    """The raw floor's statement for `path`, with its parameters bound."""
    from urllib.parse import urlsplit

    import psycopg
    from django.db import connection

    from bench import raw_floor

    captured = {}

    class Recorder:
        def execute(self, sql, args):
            captured["sql"] = sql
            captured["args"] = args
            raise _Stop

    parts = urlsplit(path)
    environ = {"PATH_INFO": parts.path, "QUERY_STRING": parts.query, "HTTP_HOST": "x"}
    original = raw_floor.connection
    raw_floor.connection = Recorder
    try:
        if parts.path.endswith("/stats/"):
            raw_floor.incident_stats(environ)
        elif parts.path == "/api/v1/incidents/":
            raw_floor.incident_list(environ)
        else:
            raw_floor.incident_detail(environ, int(parts.path.rstrip("/").rsplit("/", 1)[1]))
    except _Stop:
        pass
    finally:
        raw_floor.connection = original
    with connection.cursor() as cursor:
        return psycopg.ClientCursor(cursor.connection).mogrify(captured["sql"], captured["args"])


class _Stop(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
