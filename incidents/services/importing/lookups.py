"""Fetching a batch's rows by key on PostgreSQL: index lookups, never whole-table scans.

A batch looks up 2,000 external ids or cited urls. For so many keys the planner often prefers
reading the table whole (hash joins, parallel sequential scans), which costs what the registry
holds, for every batch: an import of N incidents would read the tables N/2,000 times. Index
lookups cost what the batch holds, whatever the registry's size. Inside `key_lookups()` the
planner has no other way.
"""

from contextlib import contextmanager

from django.db import connection

_SETTINGS = ("enable_hashjoin", "enable_mergejoin", "enable_seqscan")


@contextmanager
def key_lookups():
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for setting in _SETTINGS:
            cursor.execute(f"SET LOCAL {setting} = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for setting in _SETTINGS:
                cursor.execute(f"SET LOCAL {setting} = on")
