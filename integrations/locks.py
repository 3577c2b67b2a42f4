"""Locks held across a call to a provider, outside any transaction.

A row lock lives in a transaction, and a transaction must not span a provider call that may
rotate a refresh token (a rollback would lose it). These locks are not tied to one: a
PostgreSQL session-level advisory lock (released by PostgreSQL if the worker dies and its
connection closes), or, on SQLite, a file lock under VAR_DIR.
"""

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection as db_connection


@contextmanager
def file_lock(name: str) -> Iterator[None]:
    lock_dir = Path(settings.VAR_DIR) / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def connection_lock(purpose: str, connection_id: int) -> Iterator[None]:
    """One holder at a time per (purpose, connection), across processes."""
    if db_connection.vendor != "postgresql":
        with file_lock(f"{purpose}-{connection_id}"):
            yield
        return
    space = zlib.crc32(purpose.encode()) & 0x7FFFFFFF
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [space, connection_id])
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, connection_id])
