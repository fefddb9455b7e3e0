"""One thread for an import's database work, so PostgreSQL writes a batch while Python checks the next.

The import is one transaction on one connection. While the caller's thread validates batch k
(Python), this thread runs batch k-1's statements on the same connection (Django's wrapper is
shared with the thread as `LiveServerThread` shares it), and PostgreSQL works on the second
core. Tasks run one at a time in submission order, and the caller touches the database only
through them while the thread runs, so the connection is never used by two threads at once.
Disabled (SQLite, a single batch), a task runs at once in the caller's thread.
"""

from concurrent.futures import Future, ThreadPoolExecutor

from django.db import DEFAULT_DB_ALIAS, connections


class DatabaseThread:
    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.executor = None
        self.shared = None

    def __enter__(self) -> "DatabaseThread":
        if self.enabled:
            self.shared = connections[DEFAULT_DB_ALIAS]
            self.shared.inc_thread_sharing()
            self.executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="import-db", initializer=self._adopt
            )
        return self

    def _adopt(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self.shared

    def submit(self, function, /, *args, **kwargs) -> Future:
        """Run `function` after every task submitted before it; its result or error in a Future."""
        if self.executor is not None:
            return self.executor.submit(function, *args, **kwargs)
        future = Future()
        try:
            future.set_result(function(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the caller, as the thread does
            future.set_exception(error)
        return future

    def __exit__(self, *exc_info) -> None:
        # Wait for the running task even when the caller failed: the transaction must not be
        # rolled back (or committed) under a statement still running on the connection.
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.shared.dec_thread_sharing()
            self.executor = None
