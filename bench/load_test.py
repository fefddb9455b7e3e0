"""Bounded load test on loopback (issue 7): reads, searches, exports and writes at once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reg_sec_load .venv/bin/python bench/load_test.py

Prepares the database (migrate, the shipped incidents, optionally `--synthetic N` more through
generate_incidents, a reviewer and their token), starts gunicorn with 2 workers on
127.0.0.1:8124 (throttling off, as for the read benchmark), then runs `--clients` threads for
`--duration` seconds (default 60), each picking requests from a fixed mix: lists with filters and
pages, details, full-text searches, stats, exports (CSV, JSON lines, GeoJSON) and, with the
reviewer's token, writes (create a draft, publish it, edit it with If-Match, retract it). A
mirror thread follows /api/v1/changes/ the whole time, as a partner's mirror would.

Afterwards it checks, and exits non-zero unless all hold:
- no response was a 5xx, and no request failed at the connection;
- every acknowledged write is in the database as acknowledged (status, title, version);
- every acknowledged change of the public set (publish, edit while public, retract) is in
  /api/v1/changes/ exactly once and in the order it was made, and the mirror, which read the
  feed while the writes were in flight, saw exactly the same events as a full read afterwards.

It prints latency percentiles (p50, p95, p99, max) per kind of request and overall, and writes
them as JSON with `--json PATH`. Standard library only (threads, http.client).
"""

import argparse
import collections
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
API = "/api/v1"

# (kind of request, weight): the mix each client draws from.
MIX = [
    ("list", 25),
    ("list_filtered", 15),
    ("detail", 15),
    ("search", 12),
    ("stats", 8),
    ("export", 5),
    ("write", 20),
]
LIST_QUERIES = [
    "kind=intercept&region=south-china-sea",
    "kind=median_line_crossing&occurred_after=2022-01-01",
    "country=CN&conduct=unsafe",
    "near=9.733,115.867&radius_km=200",
    "bbox=115,5,125,25",
    "kind=navigation_dispute&dispute_type=water_cannon",
    "status=retracted",
    "ordering=-updated_at",
    "format=csv",
    "format=geojson",
]
SEARCHES = ["intercept", "water cannon", "Second Thomas Shoal", "median line", "J-16", "flares"]
STATS = [
    "interval=month&group_by=kind",
    "interval=year&group_by=country",
    "group_by=region&occurred_after=2020-01-01",
]
EXPORTS = [
    "format=csv&kind=navigation_dispute",
    "format=jsonl&region=taiwan-strait&occurred_after=2023-01-01",
    "format=geojson&kind=intercept",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    """One keep-alive connection per thread; reconnects when the server closes it."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 60):
        self.port, self.token, self.timeout = port, token, timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers=None) -> Answer:
        headers = {"Accept": "*/*", **(headers or {})}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A closed keep-alive connection, before the request reached the server.
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return Answer(response.status, dict(response.getheaders()), payload)
        raise AssertionError("unreachable")


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Tracked:
    """An incident this run created, with what the server last acknowledged about it."""

    id: int
    etag: str
    status: str = "draft"
    title: str = ""
    version: int = 1
    feed: list[str] = field(default_factory=list)  # acknowledged public-set changes, in order


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: collections.defaultdict(list))
    statuses: collections.Counter = field(default_factory=collections.Counter)
    server_errors: list = field(default_factory=list)
    transport_errors: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    tracked: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, method: str, path: str, seconds: float, answer: Answer | None):
        with self.lock:
            self.latencies[kind].append(seconds)
            if answer is None:
                return
            self.statuses[answer.status] += 1
            if answer.status >= 500:
                self.server_errors.append((method, path, answer.status, answer.body[:300]))


def _document(external_id: str, rng: random.Random) -> dict:
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "external_id": external_id,
        "kind": "intercept",
        "title": f"Load test intercept {external_id}",
        "summary": "An intercept recorded by the load test.",
        "occurred_on": day,
        "occurred_at": None,
        "date_precision": "day",
        "region": rng.choice(["south-china-sea", "east-china-sea", "western-pacific"]),
        "location_name": None,
        "latitude": None,
        "longitude": None,
        "conduct": rng.choice(["unsafe", "unprofessional", "professional"]),
        "participants": [
            {
                "country": "CN",
                "role": "initiator",
                "force": "PLA Navy",
                "platform": None,
                "platform_detail": "J-11",
                "count": 1,
            },
            {
                "country": "US",
                "role": "target",
                "force": "US Navy",
                "platform": None,
                "platform_detail": "P-8A",
                "count": 1,
            },
        ],
        "sources": [
            {
                "url": f"https://load.example.org/{external_id}",
                "publisher": "Load Test Wire",
                "title": f"Report {external_id}",
                "published_on": day,
                "type": "media",
            }
        ],
        "details": {
            "domain": "air",
            "closest_approach_m": float(rng.randint(5, 500)),
            "closest_approach_text": None,
            "maneuvers": [],
        },
    }


class Worker(threading.Thread):
    def __init__(self, index, port, token, deadline, results, ids, run_id, seed):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.deadline, self.results, self.ids = index, deadline, results, ids
        self.run_id = run_id
        self.reader = Client(port)
        self.writer = Client(port, token)
        self.rng = random.Random(seed * 1000 + index)
        self.mine: list[Tracked] = []
        self.created = 0

    def run(self):
        kinds, weights = zip(*MIX, strict=True)
        while time.monotonic() < self.deadline:
            kind = self.rng.choices(kinds, weights)[0]
            try:
                getattr(self, f"do_{kind}")()
            except (OSError, http.client.HTTPException) as error:
                with self.results.lock:
                    self.results.transport_errors.append((kind, repr(error)))

    def _timed(self, kind, client, method, path, body=None, headers=None) -> Answer:
        started = time.perf_counter()
        answer = None
        try:
            answer = client.request(method, path, body, headers)
            return answer
        finally:
            self.results.record(kind, method, path, time.perf_counter() - started, answer)

    def _expect(self, answer: Answer, expected: set[int], what: str) -> bool:
        if answer.status in expected or answer.status >= 500:
            return answer.status in expected
        with self.results.lock:
            self.results.unexpected.append((what, answer.status, answer.body[:200]))
        return False

    def do_list(self):
        offset = self.rng.choice([0, 0, 50, 100, 200])
        answer = self._timed("list", self.reader, "GET", f"{API}/incidents/?offset={offset}")
        self._expect(answer, {200}, "list")

    def do_list_filtered(self):
        query = self.rng.choice(LIST_QUERIES)
        answer = self._timed("list_filtered", self.reader, "GET", f"{API}/incidents/?{query}")
        self._expect(answer, {200}, f"list ?{query}")

    def do_detail(self):
        incident_id = self.rng.choice(self.ids)
        answer = self._timed("detail", self.reader, "GET", f"{API}/incidents/{incident_id}/")
        self._expect(answer, {200}, "detail")

    def do_search(self):
        q = urllib.parse.quote(self.rng.choice(SEARCHES))
        answer = self._timed("search", self.reader, "GET", f"{API}/incidents/?q={q}")
        self._expect(answer, {200}, f"search {q}")

    def do_stats(self):
        query = self.rng.choice(STATS)
        answer = self._timed("stats", self.reader, "GET", f"{API}/incidents/stats/?{query}")
        self._expect(answer, {200}, f"stats ?{query}")

    def do_export(self):
        query = self.rng.choice(EXPORTS)
        answer = self._timed("export", self.reader, "GET", f"{API}/incidents/export/?{query}")
        self._expect(answer, {200}, f"export ?{query}")

    def do_write(self):
        """Move one of this client's incidents a step along its life, or start a new one."""
        open_ones = [t for t in self.mine if t.status != "retracted"]
        if not open_ones or self.rng.random() < 0.35:
            self._create()
            return
        tracked = self.rng.choice(open_ones)
        if tracked.status == "draft":
            step = self.rng.choice(["publish", "publish", "edit"])
        else:
            step = self.rng.choice(["edit", "edit", "retract"])
        getattr(self, f"_{step}")(tracked)

    def _create(self):
        self.created += 1
        external_id = f"load-{self.run_id}-{self.index}-{self.created}"
        answer = self._timed(
            "write", self.writer, "POST", f"{API}/incidents/", _document(external_id, self.rng)
        )
        if self._expect(answer, {201}, "create"):
            body = answer.json()
            tracked = Tracked(body["id"], answer.headers["ETag"], title=body["title"])
            self.mine.append(tracked)
            with self.results.lock:
                self.results.tracked[tracked.id] = tracked

    def _acknowledged(self, tracked: Tracked, answer: Answer) -> None:
        body = answer.json()
        tracked.etag = answer.headers["ETag"]
        tracked.version = int(tracked.etag.strip('"').rsplit("-", 1)[1])
        tracked.status, tracked.title = body["status"], body["title"]

    def _publish(self, tracked: Tracked):
        path = f"{API}/incidents/{tracked.id}/publish/"
        answer = self._timed("write", self.writer, "POST", path, headers={"If-Match": tracked.etag})
        if self._expect(answer, {200}, "publish"):
            self._acknowledged(tracked, answer)
            tracked.feed.append("published")

    def _edit(self, tracked: Tracked):
        path = f"{API}/incidents/{tracked.id}/"
        title = f"{tracked.title.split(' (edit')[0]} (edit {tracked.version + 1})"
        answer = self._timed(
            "write", self.writer, "PATCH", path, {"title": title}, {"If-Match": tracked.etag}
        )
        if self._expect(answer, {200}, "edit"):
            self._acknowledged(tracked, answer)
            if tracked.status == "published":
                tracked.feed.append("updated")

    def _retract(self, tracked: Tracked):
        path = f"{API}/incidents/{tracked.id}/retract/"
        answer = self._timed(
            "write",
            self.writer,
            "POST",
            path,
            {"reason": "Withdrawn by the load test."},
            {"If-Match": tracked.etag},
        )
        if self._expect(answer, {200}, "retract"):
            self._acknowledged(tracked, answer)
            tracked.feed.append("retracted")


class Mirror(threading.Thread):
    """Follows the change feed from the start while the load runs, as a partner's mirror."""

    def __init__(self, port: int, stop: threading.Event, start_after: int):
        super().__init__(daemon=True, name="mirror")
        self.client, self.stop, self.after = Client(port), stop, start_after
        self.events: list[dict] = []
        self.errors: list = []

    def poll(self) -> int:
        answer = self.client.request("GET", f"{API}/changes/?after={self.after}&limit=1000")
        if answer.status != 200:
            self.errors.append((answer.status, answer.body[:200]))
            return 0
        body = answer.json()
        self.events.extend(body["results"])
        self.after = body["next"]
        return len(body["results"])

    def run(self):
        while not self.stop.is_set():
            try:
                if self.poll() == 0:
                    time.sleep(0.2)
            except (OSError, http.client.HTTPException) as error:
                self.errors.append(repr(error))
                time.sleep(0.5)


def read_feed(port: int, after: int) -> list[dict]:
    client, events = Client(port), []
    for _ in range(100_000):  # bounded: 1,000 events a page
        body = client.request("GET", f"{API}/changes/?after={after}&limit=1000").json()
        events.extend(body["results"])
        if not body["results"]:
            return events
        after = body["next"]
    raise RuntimeError("the change feed did not end")


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# --- verification -------------------------------------------------------------------------------


def verify(port: int, token: str, results: Results, mirror: Mirror, feed_start: int) -> list[str]:
    problems = []
    if results.server_errors:
        problems.append(
            f"{len(results.server_errors)} responses were 5xx: {results.server_errors[:5]}"
        )
    if results.transport_errors:
        problems.append(
            f"{len(results.transport_errors)} requests failed: {results.transport_errors[:5]}"
        )
    if results.unexpected:
        problems.append(f"{len(results.unexpected)} unexpected statuses: {results.unexpected[:5]}")
    if mirror.errors:
        problems.append(f"the mirror saw errors: {mirror.errors[:5]}")

    reviewer = Client(port, token)
    for tracked in results.tracked.values():
        answer = reviewer.request("GET", f"{API}/incidents/{tracked.id}/")
        if answer.status != 200:
            problems.append(f"acknowledged incident {tracked.id} is gone ({answer.status})")
            continue
        body = answer.json()
        stored = (body["status"], body["title"], answer.headers["ETag"])
        if stored != (tracked.status, tracked.title, tracked.etag):
            problems.append(
                f"incident {tracked.id}: stored {stored}, acknowledged "
                f"{(tracked.status, tracked.title, tracked.etag)}"
            )

    # Writes are over: whatever the feed hands out now is final once two reads agree.
    feed = read_feed(port, feed_start)
    for _ in range(30):
        time.sleep(1)
        again = read_feed(port, feed_start)
        if again == feed:
            break
        feed = again
    cursors = [event["cursor"] for event in feed]
    if cursors != sorted(set(cursors)):
        problems.append("the change feed repeats or reorders cursors")
    seen = collections.defaultdict(list)
    for event in feed:
        seen[event["incident_id"]].append(event["action"])
    for tracked in results.tracked.values():
        if seen.get(tracked.id, []) != tracked.feed:
            problems.append(
                f"incident {tracked.id}: feed has {seen.get(tracked.id, [])}, "
                f"acknowledged {tracked.feed}"
            )

    # The mirror read while writes were in flight; drained now, it must hold the same events.
    for _ in range(100):
        if mirror.poll() == 0:
            break
    if [e["cursor"] for e in mirror.events] != cursors:
        problems.append(
            f"the mirror saw {len(mirror.events)} events, a full read {len(cursors)}: "
            "events were skipped or repeated while writes were in flight"
        )
    return problems


# --- setup ---------------------------------------------------------------------------------------


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
        timeout=3600,
    )
    return result.stdout if capture else ""


def prepare(env: dict, synthetic: int) -> str:
    log("migrate, import data/incidents.json")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "import_incidents", "data/incidents.json", "-v", "0")
    if synthetic:
        log(f"generate_incidents --count {synthetic}")
        manage(env, "generate_incidents", "--count", str(synthetic), "--seed", "3", "-v", "0")
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from rest_framework.authtoken.models import Token\n"
        "user, _ = User.objects.get_or_create(username='load-reviewer', "
        "defaults={'is_staff': True})\n"
        "user.set_unusable_password(); user.save()\n"
        "user.groups.add(Group.objects.get(name='reviewers'))\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    return manage(env, "shell", "-c", script, capture=True).strip().splitlines()[-1]


def start_gunicorn(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi",
                f"--workers={workers}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{port}",
                "--timeout=120",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log_path}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if Client(port).request("GET", "/healthz").status == 200:
                return process
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on port {port}; see {log_path}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (max 600)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (max 64)")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--synthetic", type=int, default=0, help="extra synthetic incidents")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or not 1 <= args.clients <= 64:
        parser.error("--duration must be 1..600 and --clients 1..64")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database the test may fill")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_ANON": "",
        "API_THROTTLE_USER": "",
        "API_THROTTLE_EXPORT": "",
    }
    env.pop("DATABASE_REPLICA_URLS", None)
    token = prepare(env, args.synthetic)
    log_path = Path(f"/tmp/registry-load-{os.getpid()}.log")
    server = start_gunicorn(env, args.port, args.workers, log_path)
    try:
        client = Client(args.port)
        ids = [
            row["id"]
            for row in client.request("GET", f"{API}/incidents/?limit=1000").json()["results"]
        ]
        feed_start = read_feed(args.port, 0)
        feed_start = feed_start[-1]["cursor"] if feed_start else 0
        results, stop = Results(), threading.Event()
        mirror = Mirror(args.port, stop, feed_start)
        run_id = secrets.token_hex(3)
        deadline = time.monotonic() + args.duration
        workers = [
            Worker(i, args.port, token, deadline, results, ids, run_id, args.seed)
            for i in range(args.clients)
        ]
        log(f"load: {args.clients} clients for {args.duration:g}s on 127.0.0.1:{args.port}")
        started = time.monotonic()
        mirror.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=args.duration + 180)
        elapsed = time.monotonic() - started
        stuck = [w.name for w in workers if w.is_alive()]
        stop.set()
        mirror.join(timeout=30)
        problems = [f"clients still running: {stuck}"] if stuck else []
        problems += verify(args.port, token, results, mirror, feed_start)
    finally:
        stop_gunicorn(server)

    all_latencies = [s for samples in results.latencies.values() for s in samples]
    report = {
        "duration_s": round(elapsed, 1),
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "requests": len(all_latencies),
        "requests_per_s": round(len(all_latencies) / elapsed, 1),
        "statuses": dict(sorted(results.statuses.items())),
        "overall": percentiles(all_latencies),
        "by_kind": {kind: percentiles(results.latencies[kind]) for kind, _ in MIX},
        "writes_acknowledged": len(results.tracked),
        "feed_events_checked": sum(len(t.feed) for t in results.tracked.values()),
        "mirror_events": len(mirror.events),
        "problems": problems,
        "ok": not problems,
    }
    print(f"\n{'kind':<14}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind, row in [*report["by_kind"].items(), ("ALL", report["overall"])]:
        if row["count"]:
            print(
                f"{kind:<14}{row['count']:>8}{row['p50_ms']:>10}{row['p95_ms']:>10}"
                f"{row['p99_ms']:>10}{row['max_ms']:>10}"
            )
    print(
        f"\n{report['requests']} requests in {report['duration_s']} s "
        f"({report['requests_per_s']}/s), statuses {report['statuses']}; "
        f"{report['writes_acknowledged']} incidents created, "
        f"{report['feed_events_checked']} public changes checked in the feed, "
        f"mirror saw {report['mirror_events']} events."
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("RESULT:", "ok" if report["ok"] else "FAILED")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
