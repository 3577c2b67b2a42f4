"""What every benchmark shares: a fresh database, the app under gunicorn, Celery workers as
separate processes, worker memory, and the output (a table, then one line of JSON).

PostgreSQL and Redis come from outside: run a bench under scripts/with-services.sh, which
exports DATABASE_URL and REDIS_URL. A Stack makes its own database from DATABASE_URL, empties
Redis (the throwaway one), points every process at bench.settings, and stops whatever it
started, even on Ctrl-C or an error: each process runs in its own process group, is sent
SIGTERM, and is killed if it has not gone after a few seconds.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / "var" / "bench"
STOP_SECONDS = 10
CONN_MAX_AGE = 60  # seconds, as docker-compose.yml's DATABASE_URL


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the table and the JSON line."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parser(description: str) -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description=description)
    cli.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="the small version (also BENCH_QUICK=1)",
    )
    return cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float | None:
    """The q-th percentile (1..100, inclusive method) of `values`; None when there are none."""
    values = list(values)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


# --- processes ----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: SIGTERM when the bench process dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{name}.log", "wb") as output:
        return subprocess.Popen(  # noqa: S603 (our own executables)
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM to the process group; SIGKILL if it is still there after `timeout`."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def tail(name: str, lines: int = 30) -> str:
    path = LOGS / f"{name}.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        current = pids[index]
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        pids.extend(int(child) for child in children)
        index += 1
    return pids


def _kib(path: str, field: str) -> int:
    """A "Field:   123 kB" line of a /proc file (status, smaps_rollup), in KiB."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their descendants now alive."""
    ticks = 0
    for root in pids:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """Samples the memory of process trees (a worker and its pool children) every `interval`
    seconds: the peak of their summed RSS, of their summed PSS (shared pages split between
    the processes sharing them: what they really take together), and each one's own peak."""

    def __init__(self, pids: list[int], interval: float = 0.25):
        super().__init__(daemon=True)
        self.roots, self.interval = pids, interval
        self.peak_rss_kib = self.peak_pss_kib = 0
        self.peak_process_kib: dict[int, int] = {}
        self._done = threading.Event()

    def sample(self) -> None:
        rss = pss = 0
        for root in self.roots:
            for pid in process_tree(root):
                rss += _kib(f"/proc/{pid}/status", "VmRSS")
                pss += _kib(f"/proc/{pid}/smaps_rollup", "Pss")
                hwm = _kib(f"/proc/{pid}/status", "VmHWM")
                self.peak_process_kib[pid] = max(self.peak_process_kib.get(pid, 0), hwm)
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.peak_pss_kib = max(self.peak_pss_kib, pss)

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def finish(self) -> dict[str, float]:
        self.sample()
        self._done.set()
        self.join()
        return {
            "worker_peak_rss_mib": round(self.peak_rss_kib / 1024, 1),
            "worker_peak_pss_mib": round(self.peak_pss_kib / 1024, 1),
            "worker_max_process_rss_mib": round(max(self.peak_process_kib.values()) / 1024, 1),
            "worker_processes": len(self.peak_process_kib),
        }


# --- the stack ----------------------------------------------------------------------------


class Stack:
    """A fresh database with the app migrated, the app under gunicorn on a free loopback
    port (the sandbox is part of it), and Celery workers on demand. Django is set up in this
    process too, on the same database, for building data and reading results."""

    def __init__(self, name: str, *, web_workers: int = 0, web_threads: int = 1):
        self.name = name
        self.web_workers, self.web_threads = web_workers, web_threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self._worker_names: list[str] = []
        self._base_database_url = ""
        self._database = f"bench_{name}"

    # -- setup and teardown

    def __enter__(self) -> Stack:
        missing = [v for v in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(v)]
        if missing or not os.environ["DATABASE_URL"].startswith("postgres"):
            sys.exit(
                "Run the benchmarks with PostgreSQL and Redis, e.g. "
                "bash scripts/with-services.sh .venv/bin/python -m bench.push --quick"
            )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _setup(self) -> None:
        self._base_database_url = os.environ["DATABASE_URL"]
        self._create_database()
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DATABASE_URL=self._database_url(),
            DEBUG="0",
            SECRET_KEY="bench-secret-key-not-for-production",
            FIELD_ENCRYPTION_KEYS="bench-salt",
            SANDBOX_ENABLED="1",
            SANDBOX_BASE_URL=self.url,
            PYTHONUNBUFFERED="1",
        )
        import django

        django.setup()
        logging.getLogger("httpx").setLevel(logging.WARNING)
        from django.core.management import call_command

        log(f"{self.name}: migrating a fresh database")
        call_command("migrate", verbosity=0, interactive=False)
        self.redis().flushdb()
        if self.web_workers:
            self.start_server()

    def __exit__(self, *exc_info) -> None:
        self.stop_workers()
        if self.server is not None:
            stop(self.server)
            self.server = None
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        self._drop_database()

    def _database_url(self) -> str:
        """The bench's database, with persistent connections as production has them
        (docker-compose.yml)."""
        parts = urlsplit(self._base_database_url)
        query = (
            parts.query
            if "conn_max_age" in parts.query
            else "&".join(q for q in (parts.query, f"conn_max_age={CONN_MAX_AGE}") if q)
        )
        return urlunsplit(parts._replace(path=f"/{self._database}", query=query))

    def _admin(self, sql: str) -> None:
        import psycopg

        server = urlsplit(self._base_database_url)._replace(query="").geturl()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql)

    def _create_database(self) -> None:
        self._drop_database()
        self._admin(f'CREATE DATABASE "{self._database}"')

    def _drop_database(self) -> None:
        if self._base_database_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')

    @staticmethod
    def analyze() -> None:
        """Planner statistics after a bulk load, as autovacuum would gather them."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **extra}

    @staticmethod
    def redis():
        import redis

        return redis.Redis.from_url(os.environ["REDIS_URL"])

    # -- the web server

    def start_server(self, **env: str) -> None:
        args = [
            str(BIN / "gunicorn"),
            "torqueflow.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.web_workers),
            "--threads",
            str(self.web_threads),
            "--timeout",
            "120",
        ]
        log(f"{self.name}: gunicorn, {self.web_workers} workers, on {self.url}")
        self.server = spawn(f"{self.name}-gunicorn", args, self.env(**env))
        self._wait(self._server_ready, "gunicorn", f"{self.name}-gunicorn", self.server)

    def _server_ready(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.url}/bench/ping/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    # -- Celery workers

    def start_workers(
        self, count: int, concurrency: int, *, pool: str = "prefork", **env: str
    ) -> list[subprocess.Popen]:
        """`count` worker processes, started at once: each with `concurrency` children
        (prefork) or threads (threads)."""
        host = socket.gethostname()
        log(f"{self.name}: {count} Celery workers x {concurrency} ({pool})")
        for index in range(count):
            name = f"bench{index}@{host}"
            args = [
                str(BIN / "celery"),
                "-A",
                "torqueflow",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--hostname",
                name,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "info",
            ]
            self.workers.append(spawn(f"{self.name}-worker{index}", args, self.env(**env)))
            self._worker_names.append(name)
        for index, worker in enumerate(self.workers):
            self._wait(self._workers_ready, "Celery workers", f"{self.name}-worker{index}", worker)
        return self.workers

    def _workers_ready(self) -> bool:
        from torqueflow.celery import app

        replies = app.control.ping(destination=self._worker_names, timeout=1.0)
        return len(replies) == len(self._worker_names)

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop(worker)
        self.workers, self._worker_names = [], []

    def _wait(self, ready, what: str, log_name: str, process, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited; its log ends:\n{tail(log_name)}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} not ready in {timeout:.0f}s; its log ends:\n{tail(log_name)}")


# --- output -------------------------------------------------------------------------------


def table(title: str, headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(cells[0]), rule, *(line(r) for r in cells[1:])])


def emit(bench: str, text: str, figures: dict) -> None:
    """The table, then the same figures as one line of JSON: the very last line."""
    print(text)
    print(json.dumps({"bench": bench, **figures}), flush=True)
