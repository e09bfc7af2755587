# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce Bulk API 2.0 query exports (plain Python, no ORM): a query job whose CSV
result pages are read one at a time and yielded in the engine's pages, resumable from the
last page applied (``export_state``) while Salesforce keeps the job."""

import csv
import hashlib
import io
import logging
import time
from datetime import UTC, datetime, timedelta

from simple_salesforce.bulk2 import Operation
from simple_salesforce.exceptions import SalesforceError

from odoo.addons.sync_core.exceptions import RemoteUnavailableError, RetryableSyncError
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import read_each

from .salesforce_errors import _error_code

_logger = logging.getLogger(__name__)

# Seconds before each inline retry of an idempotent Bulk 2.0 read (a job's status, a result page
# by its locator) that failed transiently, before the attempt fails (the next attempt continues
# the export from its last applied page: see `export_state`)
BULK_READ_RETRIES = (0.5, 1.0)
# Salesforce keeps a Bulk 2.0 query job and its results 7 days; an export saved longer ago is
# not asked for (a new one is started), nor one saved by another query
BULK_RESULTS_KEPT = timedelta(days=7)


class BulkJobGone(RetryableSyncError):
    """A Bulk 2.0 query job that Salesforce no longer has (404 ``NOT_FOUND``, 400
    ``INVALIDJOB``: deleted, or its results expired): the export is started again."""


def _bulk_gone(exc):
    """Whether a simple-salesforce error says the Bulk job (or its results) is gone."""
    code, _message = _error_code(exc)
    status = getattr(exc, "status", 0)
    return status == 404 or (status == 400 and code in ("INVALIDJOB", "INVALIDLOCATOR"))


class BulkExportMixin:
    """The Bulk 2.0 part of `SalesforceAdapter` (its ``sf`` client, ``_call``, ``_record``,
    ``check_budget``, ``config`` and ``page_size``)."""

    def _bulk_client(self, object_name):
        bulk = getattr(self.sf.bulk2, object_name)._client
        # simple-salesforce waits up to 24 h for a job: a worker is not held that long
        bulk.DEFAULT_WAIT_TIMEOUT_SECONDS = self.config.get("bulk_wait") or 600
        return bulk

    def bulk_pages(self, object_name, soql, page_size=None):
        """A Bulk 2.0 query job, its CSV results read one result page (``maxRecords`` rows,
        ``Sforce-Locator`` until "null") at a time and yielded in pages of `page_size`: the
        whole CSV is never held in memory.  Before each page, ``export_state`` says where
        the export goes on once that page is applied."""
        page_size = page_size or self.page_size
        self.ordered = False
        job = self._call(lambda: self._bulk_client(object_name).create_job(Operation.query, soql))
        job_id = job["id"]
        self._read_again(
            lambda: self._call(
                lambda: self._bulk_client(object_name).wait_for_job(
                    job_id, True, self.config.get("bulk_poll", 0.2)
                )
            )
        )
        created = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        yield from self._bulk_results(object_name, job_id, soql, page_size, created=created)

    def _bulk_results(self, object_name, job_id, soql, page_size, locator="", skip=0, created=None):
        """The result pages of a complete query job from `locator` ("" = the first page), the
        first `skip` rows of that page left out (applied by an earlier attempt).  `created`:
        when the job was made (its results expire BULK_RESULTS_KEPT later)."""
        max_records = self.config.get("bulk_page_size") or 10000
        saved = {"job": job_id, "query": _digest(soql), "created": created}
        if locator is None:  # every page was applied: nothing left to read
            return
        # where the export stands before its next page (a failure before the first page of a
        # new export: the next attempt reads that job rather than making another)
        self.export_state = {**saved, "locator": locator, "skip": skip}
        while True:
            result = None

            def read(loc=locator):
                nonlocal result

                def get():
                    try:
                        return self._bulk_client(object_name).get_query_results(
                            job_id, loc, max_records
                        )
                    except SalesforceError as exc:
                        if _bulk_gone(exc):
                            raise BulkJobGone(
                                f"Salesforce no longer has the Bulk query job {job_id} "
                                f"({_error_code(exc)[0] or exc.status}): the export starts again",
                                pattern="Bulk job gone",
                            ) from exc
                        raise

                result = self._call(get)
                return self._result_rows(result)

            rows = self._read_again(read)
            following = result["locator"] or None  # None: this is the last page
            for start in range(skip, len(rows), page_size):
                end = start + page_size
                # once this page is applied, the export goes on at the next result page or,
                # within this one, after its rows applied so far
                self.export_state = (
                    {**saved, "locator": following, "skip": 0}
                    if end >= len(rows)
                    else {**saved, "locator": locator, "skip": end}
                )
                yield rows[start:end]
            skip = 0
            locator = following
            # drop this result page before the next one is read: one page in memory at a time
            result = rows = None
            if not locator:
                return
            self.check_budget()

    def _bulk_job_to_continue(self, object_name, state, soql):
        """Whether the saved export `state` can go on: the same query, saved less than
        BULK_RESULTS_KEPT ago, and Salesforce still has its job, complete.  Otherwise (404
        ``NOT_FOUND``, 400 ``INVALIDJOB``, another state) a new export is started (logged)."""
        job_id = state.get("job")
        created = parse_datetime(state.get("created")) or None
        now = datetime.now(UTC).replace(tzinfo=None)
        if not job_id or state.get("query") != _digest(soql):
            return False
        if state.get("locator", "") is None:  # every page applied: nothing left to ask
            return True
        if not created or created < now - BULK_RESULTS_KEPT:
            _logger.info("Salesforce Bulk job %s is older than its results: new export", job_id)
            return False

        def get():
            try:
                return self._bulk_client(object_name).get_job(job_id, True)
            except SalesforceError as exc:
                if _bulk_gone(exc):
                    return None
                raise

        info = self._read_again(lambda: self._call(get))
        if not info or info.get("state") != "JobComplete":
            _logger.info(
                "Salesforce Bulk job %s cannot be continued (%s): new export",
                job_id,
                (info or {}).get("state") or "gone",
            )
            return False
        return True

    @staticmethod
    def _read_again(read):
        """Run an idempotent read; a transient failure (5xx, timeout, reset connection, a
        body cut short) is retried inline after each of BULK_READ_RETRIES, then raised.  A
        rate limit, or a Retry-After longer than the wait, is raised at once (the engine
        blocks the channel)."""
        for wait in (*BULK_READ_RETRIES, None):
            try:
                return read()
            except RemoteUnavailableError as exc:
                if wait is None or (exc.retry_after or 0) > wait:
                    raise
                _logger.info("Salesforce Bulk read failed (%s): read again in %s s", exc, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _result_rows(self, result):
        """The records of one Bulk 2.0 result page, all of them or an error to retry: a CSV
        cut short (a transfer that ended early) parses as fewer rows, or a last row missing
        columns, which would be applied as records with empty fields and the rest never read
        (the export's watermark moves past them)."""
        expected = result.get("number_of_records")
        try:
            reader = csv.DictReader(io.StringIO(result["records"]), strict=True)
            rows = [row for row in reader if None not in row.values() and None not in row]
        except csv.Error as exc:
            raise RemoteUnavailableError(
                f"Salesforce sent a Bulk result page that is not CSV: {exc}",
                pattern="truncated Bulk result",
            ) from exc
        if expected is not None and len(rows) != expected:
            raise RemoteUnavailableError(
                f"Salesforce sent {len(rows)} complete rows of the {expected} its Bulk result "
                "page announced (Sforce-NumberOfRecords): the transfer was cut short",
                pattern="truncated Bulk result",
            )
        return read_each(rows, lambda row: self._record(row, csv_row=True))


def _digest(soql):
    """A short fingerprint of a query: an export is continued only for the same query."""
    return hashlib.sha256(soql.encode()).hexdigest()[:16]
