"""Expected SQL errors stay out of the log, per thread.

Some statements are expected to fail now and then: a unique index decides a race between two
deliveries or two enqueues (UniqueViolation, caught under a savepoint).  Odoo's `sql_db` logs
every failed statement as a "bad query" ERROR first.  Odoo's `mute_logger` swaps the handlers
of the logger for the whole process: two threads (HTTP requests, cron threads) that enter and
leave it out of order unmute it while the other one expects its error (an ERROR an operator
would chase), or leave it muted for good.  `expected_sql_errors()` drops only the current
thread's "bad query" records, and only while that thread is inside it."""

import logging
import threading
from contextlib import contextmanager

_state = threading.local()


class _ExpectedSqlErrors(logging.Filter):
    sync_expected_sql_errors = True

    def filter(self, record):
        return not (getattr(_state, "depth", 0) and str(record.msg).startswith("bad query"))


_sql_logger = logging.getLogger("odoo.sql_db")
if not any(getattr(f, "sync_expected_sql_errors", False) for f in _sql_logger.filters):
    _sql_logger.addFilter(_ExpectedSqlErrors())


@contextmanager
def expected_sql_errors():
    """The statements this thread runs inside are expected to fail sometimes: their failure
    is not logged as a bad query (the caller handles the exception)."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
