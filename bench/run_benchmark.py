"""The read benchmark of issue 6: the registry beside a raw floor, on one PostgreSQL database.

    .venv/bin/python bench/run_benchmark.py            # 1,000,000 incidents (database reg_bench)
    .venv/bin/python bench/run_benchmark.py --quick    # 50,000 incidents (reg_bench_quick)

Sets up the database (migrate; `generate_incidents` when it holds fewer synthetic incidents of
the seed than asked; VACUUM ANALYZE), starts the registry (config.wsgi) and the raw floor
(bench/raw_floor.py) under gunicorn with 2 sync workers each on loopback ports, checks that both
give the same answers, then drives W1-W5 with wrk, alternating registry and raw floor, for
--rounds rounds, and streams the CSV export of all published incidents from each, sampling the
workers' memory. Prints req/s, p50 and p99 per workload (medians over the rounds) and the ratio
registry/raw against the goals of issue 6; the whole record goes to bench/results/<time>.json.
A workload the registry cannot answer yet (404, 400, 500) is reported as such and skipped.
"""

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS = ROOT / "bench" / "results"
SERVER_URL = "postgres://postgres@127.0.0.1:5432"
SEARCH_WORD = "flares"  # incidents.synthetic.SEARCH_WORD: in ~1 % of summaries
W1_WINDOW = ("2019-01-01", "2023-12-31")
W1_CANDIDATES = [
    ("intercept", "south-china-sea"),
    ("navigation_dispute", "south-china-sea"),
    ("median_line_crossing", "taiwan-strait"),
]
W5_OFFSET = 5000
# workload: (goal for registry req/s / raw req/s, description)
GOALS = {
    "W1": (0.80, "kind+region+5 years, newest first, 50 nested rows with count"),
    "W2": (0.35, "one incident by id (1,000 ids in turn)"),
    "W3": (1.00, "stats per month per kind, 2020-2024 (and < 100 ms)"),
    "W4": (0.80, f"full-text q={SEARCH_WORD} (~1 % of summaries), 50 rows with count"),
    "W5": (0.95, f"W1 at offset={W5_OFFSET}"),
    "CSV": (0.80, "export of all published incidents as CSV (rows/s vs COPY; RSS < 200 MB)"),
}
W3_MAX_MS = 100
CSV_MAX_RSS_MB = 200
WRK_LUA = """
local paths = {}
local counter = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- database ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    return f"{SERVER_URL}/{name}"


def ensure_database(name: str, *, fresh: bool) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            if not name.startswith("reg_bench"):
                sys.exit(
                    f"--fresh drops only the benchmark's own databases (reg_bench*), not {name}"
                )
            log(f"dropping database {name} (--fresh)")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_dataset(args, env: dict) -> dict:
    """Migrate, load the synthetic set when short of it, VACUUM ANALYZE; returns load facts."""
    ensure_database(args.database, fresh=args.fresh)
    log("migrate")
    manage("migrate", "--noinput", "--skip-checks", "-v", "0", env=env)
    facts: dict = {"loaded": False}
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        pattern = f"synthetic-{args.seed}-%"
        present = conn.execute(
            "SELECT count(*) FROM incidents_incident WHERE external_id LIKE %s", [pattern]
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
        log(f"{present:,} synthetic incidents of seed {args.seed} present ({total:,} in all)")
        if present < args.count:
            start = present - present % args.batch
            log(f"generate_incidents --count {args.count} --seed {args.seed} from index {start:,}")
            began = time.perf_counter()
            manage(
                "generate_incidents",
                f"--count={args.count}",
                f"--seed={args.seed}",
                f"--batch={args.batch}",
                f"--start={start}",
                env=env,
            )
            facts = {
                "loaded": True,
                "incidents_loaded": args.count - start,
                "load_seconds": round(time.perf_counter() - began, 1),
            }
            log(f"loaded {args.count - start:,} incidents in {facts['load_seconds']} s")
        elif present > args.count or total > present:
            log(f"note: the database holds more than --count={args.count:,} incidents")
        log("VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")
        facts["incidents"] = conn.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
        facts["published"] = conn.execute(
            "SELECT count(*) FROM incidents_incident WHERE status = 'published'"
        ).fetchone()[0]
        facts["database_size"] = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
    return facts


def choose_paths(conn_url: str, seed: int) -> tuple[dict[str, list[str]], dict]:
    """The request paths of W1-W5 (W2: 1,000 published ids) and what was chosen."""
    with psycopg.connect(conn_url, autocommit=True) as conn:
        counts = dict(
            conn.execute(
                "SELECT kind || '/' || region_id, count(*) FROM incidents_incident "
                "WHERE status = 'published' AND occurred_on BETWEEN %s AND %s GROUP BY 1",
                list(W1_WINDOW),
            ).fetchall()
        )
        kind, region = next(
            (c for c in W1_CANDIDATES if counts.get("/".join(c), 0) >= W5_OFFSET + 50),
            max(W1_CANDIDATES, key=lambda c: counts.get("/".join(c), 0)),
        )
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM incidents_incident WHERE status = 'published' "
                "ORDER BY mod(id * 2654435761 + %s, 4294967296) LIMIT 1000",
                [seed],
            )
        ]
    w1 = (
        f"/api/v1/incidents/?kind={kind}&region={region}&occurred_after={W1_WINDOW[0]}"
        f"&occurred_before={W1_WINDOW[1]}&limit=50"
    )
    paths = {
        "W1": [w1],
        "W2": [f"/api/v1/incidents/{i}/" for i in ids],
        "W3": [
            "/api/v1/incidents/stats/?interval=month&group_by=kind"
            "&occurred_after=2020-01-01&occurred_before=2024-12-31"
        ],
        "W4": [f"/api/v1/incidents/?q={SEARCH_WORD}&limit=50"],
        "W5": [f"{w1}&offset={W5_OFFSET}"],
    }
    chosen = {"w1_kind": kind, "w1_region": region, "w1_matches": counts.get(f"{kind}/{region}")}
    if chosen["w1_matches"] is None or chosen["w1_matches"] < W5_OFFSET + 50:
        log(f"warning: only {chosen['w1_matches']} rows match W1; W5 needs {W5_OFFSET + 50}")
    return paths, chosen


# --- servers -------------------------------------------------------------------------------


class Server:
    """A gunicorn started by this script, in its own session, stopped by its own pid."""

    def __init__(self, name: str, app: str, port: int, env: dict, workdir: Path):
        self.name, self.app, self.port, self.env = name, app, port, env
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            str(GUNICORN),
            self.app,
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{self.port}",
            "--timeout=600",
            "--log-level=warning",
        ]
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                status, _, _ = fetch(self.port, "/healthz", timeout=5)
                if status < 500:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer on port {self.port}; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        with contextlib.suppress(OSError):
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def fetch(port: int, path: str, timeout: float = 120) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- answers -------------------------------------------------------------------------------


def differences(mine, theirs, path: str = "", found: list | None = None) -> list[str]:
    """Where two JSON values differ (links compared without scheme and host; floats by value)."""
    found = [] if found is None else found
    if len(found) >= 5:
        return found
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in list(dict.fromkeys([*mine, *theirs])):
            if key not in mine or key not in theirs:
                found.append(f"{path}.{key}: only in {'raw' if key not in mine else 'registry'}")
            else:
                differences(mine[key], theirs[key], f"{path}.{key}", found)
    elif isinstance(mine, list) and isinstance(theirs, list):
        if len(mine) != len(theirs):
            found.append(f"{path}: {len(mine)} items vs {len(theirs)}")
        for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            differences(a, b, f"{path}[{index}]", found)
    elif path in (".next", ".previous") and isinstance(mine, str) and isinstance(theirs, str):
        if urlsplit(mine)[2:] != urlsplit(theirs)[2:]:
            found.append(f"{path}: {mine!r} vs {theirs!r}")
    elif isinstance(mine, bool) or isinstance(theirs, bool):
        if mine is not theirs:
            found.append(f"{path}: {mine!r} vs {theirs!r}")
    elif isinstance(mine, float | int) and isinstance(theirs, float | int):
        if abs(mine - theirs) > 1e-9 * max(1.0, abs(mine)):
            found.append(f"{path}: {mine!r} vs {theirs!r}")
    elif mine != theirs:
        found.append(f"{path}: {str(mine)[:80]!r} vs {str(theirs)[:80]!r}")
    return found


def check_workload(name: str, paths: list[str], registry: Server, raw: Server) -> dict:
    """Compare the registry's answers with the raw floor's; time sequential requests of each."""
    sample = paths[:20] if name == "W2" else paths[:1]
    outcome: dict = {"registry_ok": True, "differences": []}
    for path in sample:
        status, _, body = fetch(registry.port, path)
        raw_status, _, raw_body = fetch(raw.port, path)
        if raw_status != 200:
            raise RuntimeError(f"raw floor answered {raw_status} to {path}: {raw_body[:300]!r}")
        if status != 200:
            outcome.update(
                registry_ok=False,
                registry_status=status,
                registry_error=body[:300].decode(errors="replace"),
            )
            return outcome
        try:
            mine = json.loads(body)
        except ValueError:
            outcome.update(registry_ok=False, registry_status=f"{status}, body is not JSON")
            return outcome
        theirs = json.loads(raw_body)
        if name == "W3" and isinstance(mine, dict) and isinstance(mine.get("buckets"), list):
            # Bucket order is not part of the contract; compare as sets of buckets.
            mine = {**mine, "buckets": sorted(mine["buckets"], key=json.dumps)}
            theirs = {**theirs, "buckets": sorted(theirs["buckets"], key=json.dumps)}
        outcome["differences"] += [f"{path}: {d}" for d in differences(mine, theirs)]
        if isinstance(theirs, dict) and "count" in theirs:
            outcome["count"] = theirs["count"]
            outcome["registry_count"] = mine.get("count") if isinstance(mine, dict) else None
        if name == "W3":
            outcome["total"], outcome["registry_total"] = theirs.get("total"), mine.get("total")
    for target in (registry, raw):
        times = []
        for path in (paths * 10)[:10]:
            began = time.perf_counter()
            fetch(target.port, path)
            times.append((time.perf_counter() - began) * 1000)
        outcome[f"{target.name}_sequential_ms"] = round(statistics.median(times), 2)
    return outcome


# --- load ----------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(port: int, paths_file: Path, lua: Path, args) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout=60s",
        "--latency",
        "-s",
        str(lua),
        f"http://127.0.0.1:{port}",
        "--",
        str(paths_file),
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 120, check=True
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])}
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{percentile}_ms"] = round(_ms(match[1]), 2) if match else None
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["non_2xx"] = int(errors[1]) if errors else 0
    result["socket_errors"] = sum(int(n) for n in socket.groups()) if socket else 0
    result["requests"] = int(re.search(r"(\d+) requests in", output)[1])
    return result


def export_once(server: Server, path: str) -> dict:
    """Stream one CSV export, timing it and sampling the workers' RSS every 20 ms."""
    peak = {"rss_mb": 0.0}
    done = threading.Event()
    pids = server.worker_pids()

    def sample():
        while not done.is_set():
            for pid in pids:
                peak["rss_mb"] = max(peak["rss_mb"], rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    size = lines = 0
    status = None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=900) as body:
            status = body.status
            while chunk := body.read(1 << 20):
                size += len(chunk)
                lines += chunk.count(b"\n")
    except urllib.error.HTTPError as error:
        status = error.code
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "bytes": size,
        "rows": max(lines - 1, 0),  # synthetic cells hold no line breaks: one line per row
        "rows_per_s": round(max(lines - 1, 0) / seconds, 1) if seconds else None,
        "peak_rss_mb": round(peak["rss_mb"], 1),
        "worker_vmhwm_mb": round(max((rss_mb(p, "VmHWM") for p in pids), default=0), 1),
    }


def check_export(path: str, registry: Server, raw: Server, rows: int = 1000) -> dict:
    """Header and first rows of both exports, compared cell by cell (numbers and JSON by value)."""

    def head(port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=900) as body:
            if body.status != 200:
                return body.status, []
            reader = csv.reader(io.TextIOWrapper(body, encoding="utf-8", newline=""))
            return 200, [row for _, row in zip(range(rows + 1), reader, strict=False)]

    def cell(value: str):
        if value == "":
            return None
        if value[:1] in "[{":
            with contextlib.suppress(ValueError):
                return json.loads(value)
        with contextlib.suppress(ValueError):
            return float(value)
        return value

    try:
        status, mine = head(registry.port)
    except urllib.error.HTTPError as error:
        return {"registry_ok": False, "registry_status": error.code}
    if status != 200 or not mine:
        return {"registry_ok": False, "registry_status": status}
    _, theirs = head(raw.port)
    found = []
    if mine[0] != theirs[0]:
        found.append(f"header: {mine[0]} vs {theirs[0]}")
    else:
        for number, (a, b) in enumerate(zip(mine[1:], theirs[1:], strict=False), start=1):
            cells = [
                f"{column}: {x!r:.60} vs {y!r:.60}"
                for column, x, y in zip(mine[0], a, b, strict=False)
                if cell(x) != cell(y)
            ]
            if cells:
                found.append(f"row {number}: {'; '.join(cells[:3])}")
            if len(found) >= 5:
                break
    return {"registry_ok": True, "differences": found}


# --- report --------------------------------------------------------------------------------


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def summarise(runs: dict, checks: dict) -> dict:
    summary = {}
    for workload in GOALS:
        registry = runs.get((workload, "registry"), [])
        raw = runs.get((workload, "raw"), [])
        if workload == "CSV":
            entry = {
                "registry_rows_per_s": median([r["rows_per_s"] for r in registry]),
                "raw_rows_per_s": median([r["rows_per_s"] for r in raw]),
                "registry_seconds": median([r["seconds"] for r in registry]),
                "raw_seconds": median([r["seconds"] for r in raw]),
                "registry_peak_rss_mb": max((r["peak_rss_mb"] for r in registry), default=None),
                "raw_peak_rss_mb": max((r["peak_rss_mb"] for r in raw), default=None),
                "registry_rows": median([r["rows"] for r in registry]),
                "raw_rows": median([r["rows"] for r in raw]),
            }
            mine, theirs = entry["registry_rows_per_s"], entry["raw_rows_per_s"]
        else:
            entry = {
                f"{target}_{key}": median([r[key] for r in runs.get((workload, target), [])])
                for target in ("registry", "raw")
                for key in ("rps", "p50_ms", "p99_ms")
            }
            entry["registry_errors"] = sum(r["non_2xx"] + r["socket_errors"] for r in registry)
            entry["raw_errors"] = sum(r["non_2xx"] + r["socket_errors"] for r in raw)
            mine, theirs = entry["registry_rps"], entry["raw_rps"]
        entry["ratio"] = round(mine / theirs, 3) if mine and theirs else None
        entry["round_ratios"] = [
            round(a[key] / b[key], 3)
            for a, b in zip(registry, raw, strict=False)
            for key in (["rows_per_s"] if workload == "CSV" else ["rps"])
            if a[key] and b[key]
        ]
        goal = GOALS[workload][0]
        met = entry["ratio"] is not None and entry["ratio"] >= goal
        if workload == "W3":
            sequential = checks.get("W3", {}).get("registry_sequential_ms")
            met = met and sequential is not None and sequential < W3_MAX_MS
        if workload == "CSV":
            rss = entry["registry_peak_rss_mb"]
            met = met and rss is not None and rss < CSV_MAX_RSS_MB
            if entry["registry_rows"] != entry["raw_rows"]:
                met = False
        check = checks.get(workload, {})
        if not check.get("registry_ok", False) or check.get("differences"):
            met = False
        entry["goal"], entry["met"] = goal, met
        summary[workload] = entry
    return summary


def print_table(summary: dict, checks: dict) -> None:
    print()
    header = (
        f"{'load':4} {'registry req/s':>14} {'p50 ms':>8} {'p99 ms':>8} | "
        f"{'raw req/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>6} {'goal':>5}  verdict"
    )
    print(header)
    print("-" * len(header))
    for workload, entry in summary.items():
        check = checks.get(workload, {})
        if workload == "CSV":
            line = (
                f"{'CSV':4} {_fmt(entry['registry_rows_per_s']):>14} {'rows/s':>8} "
                f"{_fmt(entry['registry_peak_rss_mb']):>6}MB | "
                f"{_fmt(entry['raw_rows_per_s']):>10} {'rows/s':>8} {'(COPY)':>8} | "
            )
        else:
            line = (
                f"{workload:4} {_fmt(entry['registry_rps']):>14} "
                f"{_fmt(entry['registry_p50_ms']):>8} {_fmt(entry['registry_p99_ms']):>8} | "
                f"{_fmt(entry['raw_rps']):>10} {_fmt(entry['raw_p50_ms']):>8} "
                f"{_fmt(entry['raw_p99_ms']):>8} | "
            )
        verdict = "met" if entry["met"] else "NOT met"
        if not check.get("registry_ok", True):
            verdict = f"registry unavailable (HTTP {check.get('registry_status')})"
        elif check.get("differences"):
            verdict += f"; ANSWERS DIFFER ({len(check['differences'])})"
        print(f"{line}{_fmt(entry['ratio']):>6} {entry['goal']:>5}  {verdict}")
    w3 = checks.get("W3", {})
    if w3.get("registry_sequential_ms") is not None:
        print(
            f"\nW3 one request at a time: registry {w3['registry_sequential_ms']} ms, "
            f"raw floor {w3.get('raw_sequential_ms')} ms (goal < {W3_MAX_MS} ms)"
        )
    for workload, check in checks.items():
        for difference in check.get("differences", [])[:5]:
            print(f"  {workload} differs: {difference}")
        if not check.get("registry_ok", True):
            print(
                f"  {workload}: registry {check.get('registry_status')}: "
                f"{check.get('registry_error', '')[:200]}"
            )


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def machine_facts(database_url_: str) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(database_url_, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'effective_cache_size', 'jit', "
                "'max_parallel_workers_per_gather', 'random_page_cost')"
            ).fetchall()
        )
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": version,
        "postgresql_settings": settings,
        "wrk": wrk_version.splitlines()[0] if wrk_version else None,
    }


# --- main ----------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50,000 incidents, 5 s runs")
    parser.add_argument("--count", type=int, help="incidents (default 1,000,000; quick 50,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=10_000, help="generate_incidents --batch")
    parser.add_argument("--database", help="default reg_bench (quick: reg_bench_quick)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--skip-load", action="store_true", help="use the database as it is")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--csv-rounds", type=int, help="rounds of the CSV export (default --rounds)"
    )
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 20; quick 5)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of unrecorded load before each recorded run"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--registry-port", type=int, default=8101)
    parser.add_argument("--raw-port", type=int, default=8102)
    parser.add_argument(
        "--registry-app",
        default="config.wsgi:application",
        help="WSGI app of the registry (default config.wsgi:application)",
    )
    parser.add_argument(
        "--workloads", default="W1,W2,W3,W4,W5,CSV", help="comma-separated subset to run"
    )
    args = parser.parse_args()
    args.count = args.count or (50_000 if args.quick else 1_000_000)
    args.database = args.database or ("reg_bench_quick" if args.quick else "reg_bench")
    args.duration = args.duration or (5 if args.quick else 20)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    args.csv_rounds = args.rounds if args.csv_rounds is None else args.csv_rounds
    return args


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get update && apt-get install -y wrk")
    url = database_url(args.database)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("API_THROTTLE", "DEBUG"))}
    env = {
        **base_env,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_ANON": "",
        "API_THROTTLE_USER": "",
        "API_THROTTLE_EXPORT": "",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
    }
    facts = {"skipped": True} if args.skip_load else prepare_dataset(args, env)
    paths, chosen = choose_paths(url, args.seed)
    machine = machine_facts(url)
    log(
        f"W1/W5 filter: kind={chosen['w1_kind']} region={chosen['w1_region']} "
        f"({chosen['w1_matches']:,} published matches in {W1_WINDOW[0]}..{W1_WINDOW[1]})"
    )

    workdir = Path(tempfile.mkdtemp(prefix="reg-bench-"))
    registry = Server("registry", args.registry_app, args.registry_port, env, workdir)
    raw = Server(
        "raw",
        "bench.raw_floor:application",
        args.raw_port,
        {**env, "RAW_DATABASE_URL": url},
        workdir,
    )
    lua = workdir / "paths.lua"
    lua.write_text(WRK_LUA)
    runs: dict = {}
    checks: dict = {}
    try:
        for server in (registry, raw):
            server.start()
        for server in (registry, raw):
            server.wait_ready()
        log(f"registry on :{registry.port}, raw floor on :{raw.port} (logs in {workdir})")

        load = [w for w in args.workloads if w in paths]
        for workload in load:
            checks[workload] = check_workload(workload, paths[workload], registry, raw)
            check = checks[workload]
            state = (
                f"registry HTTP {check.get('registry_status')}"
                if not check["registry_ok"]
                else ("same answers" if not check["differences"] else "ANSWERS DIFFER")
            )
            log(f"{workload}: {state}; count {check.get('count', check.get('total'))}")
        paths_files = {}
        for workload in load:
            paths_files[workload] = workdir / f"{workload}.paths"
            paths_files[workload].write_text("\n".join(paths[workload]) + "\n")
        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
        for round_number in range(args.rounds):
            order = (registry, raw) if round_number % 2 == 0 else (raw, registry)
            for workload in load:
                for server in order:
                    if server is registry and not checks[workload]["registry_ok"]:
                        continue
                    # Warm before every recorded run, not once at the start: the run before
                    # (W3's raw floor scans the incident table) leaves PostgreSQL's buffers
                    # holding other pages, and whichever server came next paid for it in its
                    # p99 (W4: 200-470 ms after W3's floor, 70-95 ms otherwise).
                    if args.warmup:
                        run_wrk(server.port, paths_files[workload], lua, warm)
                    result = run_wrk(server.port, paths_files[workload], lua, args)
                    runs.setdefault((workload, server.name), []).append(result)
                    log(
                        f"round {round_number + 1} {workload} {server.name:8} "
                        f"{result['rps']:9.1f} req/s  p50 {result['p50_ms']} ms  "
                        f"p99 {result['p99_ms']} ms"
                        + (
                            f"  errors {result['non_2xx'] + result['socket_errors']}"
                            if result["non_2xx"] or result["socket_errors"]
                            else ""
                        )
                    )
        if "CSV" in args.workloads:
            export_path = "/api/v1/incidents/export/?format=csv"
            checks["CSV"] = check_export(export_path, registry, raw)
            log(f"CSV: {checks['CSV']}")
            for round_number in range(args.csv_rounds):
                order = (registry, raw) if round_number % 2 == 0 else (raw, registry)
                for server in order:
                    if server is registry and not checks["CSV"]["registry_ok"]:
                        continue
                    result = export_once(server, export_path)
                    runs.setdefault(("CSV", server.name), []).append(result)
                    log(f"round {round_number + 1} CSV {server.name:8} {result}")
    finally:
        for server in (registry, raw):
            server.stop()

    summary = summarise(runs, checks)
    summary = {k: v for k, v in summary.items() if k in args.workloads}
    print_table(summary, checks)
    record = {
        "arguments": {k: v for k, v in vars(args).items()},
        "machine": machine,
        "dataset": {**facts, **chosen},
        "paths": {k: v[:3] for k, v in paths.items()},
        "checks": checks,
        "runs": {f"{w}/{t}": r for (w, t), r in runs.items()},
        "summary": summary,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{'quick' if args.quick else 'full'}.json"
    out.write_text(json.dumps(record, indent=2, default=str))
    log(f"results written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
