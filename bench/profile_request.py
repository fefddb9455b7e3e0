"""Profile one registry request in-process: where does a W1-W5 request spend its time?

    DATABASE_URL=postgres://postgres@127.0.0.1/reg_bench \
        .venv/bin/python bench/profile_request.py '/api/v1/incidents/?q=flares&limit=50' -n 200

Sends the request -n times through Django's test client (the whole middleware and DRF stack,
no network), under pyinstrument (`.venv/bin/pip install pyinstrument==5.1.3`; not a
requirement of the project), and prints the call tree plus the SQL time share measured with a
connection execute wrapper. DEBUG stays off and throttling is turned off, as in the benchmark.
"""

import argparse
import sys
import time
from pathlib import Path

from django_setup import setup_django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("-n", type=int, default=100, help="requests (after 5 unprofiled ones)")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    args = parser.parse_args()

    setup_django(
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        API_THROTTLE_ANON="",
        API_THROTTLE_USER="",
        API_THROTTLE_EXPORT="",
    )
    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    client = Client(SERVER_NAME="127.0.0.1")
    for _ in range(5):
        response = client.get(args.path)
    print(f"HTTP {response.status_code}, {len(response.content):,} bytes")

    sql = {"seconds": 0.0, "queries": 0}

    def timed(execute, statement, params, many, context):
        began = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["seconds"] += time.perf_counter() - began
            sql["queries"] += 1

    profiler = Profiler(interval=0.0005)
    began = time.perf_counter()
    with connection.execute_wrapper(timed):
        profiler.start()
        for _ in range(args.n):
            client.get(args.path)
        profiler.stop()
    elapsed = time.perf_counter() - began
    print(
        f"{args.n} requests: {elapsed / args.n * 1000:.2f} ms each; SQL "
        f"{sql['seconds'] / args.n * 1000:.2f} ms each in {sql['queries'] / args.n:.1f} queries "
        f"({sql['seconds'] / elapsed:.0%}); the rest is Python"
    )
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
