"""The contract of a PSA adapter (plain Python, no ORM): what ``sync.psa`` asks of a PSA.

A PSA connector (an addon beside sync_psa) ships one subclass of :class:`PsaAdapter` (e.g.
sync_psa_kantata's ``KantataAdapter``) and maps the canonical object names to its own.
Besides the engine's adapter interface (``test_connection``,
``iter_changes(object, since)`` for watermark pulls, ``read_batch(object, ids)``,
``write_batch(object, items)`` for the outbox; see sync_core's ``adapter.BaseAdapter``), it
implements the methods below.  Every record it yields or returns is an engine record
``{"id", "updated_at", "archived", "data"}`` whose ``data`` is a canonical shape of ``psa.py``
(time entry, expense, workspace, milestone, person): the workflows never read a vendor's field
names.  Object names are the canonical ones of ``psa.py`` (``psa.TIME``, ``psa.EXPENSES``,
``psa.PROJECTS``, ``psa.MILESTONES``, ``psa.PEOPLE``).
"""

from odoo.addons.sync_core.adapter import BaseAdapter


class PsaAdapter(BaseAdapter):
    """Base class of the PSA adapters; each method names one part of the contract."""

    def event_retention(self):
        """How long the PSA keeps its change feed (a ``timedelta``), or None when it has no
        feed.  A feed cursor older than this (less a safety margin) has a gap: the filtered
        lists are pulled instead, with a sweep that finds deletions."""
        return None

    def iter_events(self, created_after, objects):
        """The change feed after `created_after` (a naive UTC datetime, or None for all it
        keeps), in pages: each page a list of changes ``{"event_id", "created_at", "object",
        "id", "deleted"}`` for the canonical `objects`.  Events may repeat and come out of
        order (the caller stores each ``event_id`` once and re-reads the records by id); an
        approval event of a submission (a timesheet, an expense report) becomes one change per
        record it holds (``submission_records``)."""
        raise NotImplementedError

    def submission_records(self, prefix, submission_ids):
        """{submission id: [record id]}: the records of approval submissions of one kind
        (`prefix`, the PSA's name of the submission kind), read by id."""
        raise NotImplementedError

    def iter_approvals(self, object_name, date_from, date_to, page_size=None):
        """The approval sweep's reading of `object_name` (``psa.TIME``, ``psa.EXPENSES``)
        between two dates, whatever the records' ``updated_at`` (approving need not stamp a
        record): pages of engine records, approved or not as the PSA says now."""
        raise NotImplementedError

    def iter_approved_time(self, date_from, date_to, page_size=None):
        """Approved time entries performed between two dates, in pages (reconciliation)."""
        raise NotImplementedError

    def iter_expenses_between(self, date_from, date_to, page_size=None):
        """Expenses dated between two dates, approved or not, in pages (reconciliation keeps
        the approved ones)."""
        raise NotImplementedError

    def write_reference(self, object_name, external_id, model, ref, message=None, status=None):
        """Mark the PSA record (`object_name`, `external_id`) with the Odoo record it became
        (`model`, `ref`), with an optional message (e.g. the invoice number) and status
        (``imported``, ``invoiced``); create or update.  Returns the reference's id."""
        raise NotImplementedError

    def find_by_reference(self, object_name, model, ref):
        """The id of the PSA record marked with the Odoo record (`model`, `ref`), or None: a
        create retried after a lost answer finds its record instead of making a twin."""
        raise NotImplementedError

    def cost_rates(self):
        """{person id: (cost per hour in minor units, currency code)} of the cost rates in
        use (fills an employee's empty hourly cost)."""
        raise NotImplementedError

    def write_time_off(self, person_id, day, hours, ref=None):
        """Record `hours` of approved leave of the PSA person `person_id` on `day` (a date), so
        the PSA's resource planning sees it, marked with `ref` (the Odoo leave's id: how the
        sync later knows the entry is its own); returns the PSA's id of the entry.  The default,
        NotImplementedError, means this PSA takes no time off: the caller records it as not
        supported."""
        raise NotImplementedError

    def find_time_off(self, person_id, date_from, date_to, ref=None):
        """{day (a date): PSA id} of the time-off entries of `person_id` between two dates;
        with `ref`, only those `write_time_off` marked with it.  A push retried after a failure
        (or a lost answer) finds the days it already wrote instead of writing them twice, and
        tells them from the entries made in the PSA by hand (never ours to change).  The
        default, NotImplementedError, means the PSA cannot be asked: the caller writes every
        day (a retry may then repeat the days written)."""
        raise NotImplementedError

    def delete_time_off(self, entry_id):
        """Remove a time-off entry `write_time_off` made (the leave was withdrawn); an entry
        the PSA no longer has is not an error."""
        raise NotImplementedError

    def _submission_changes(self, object_name, prefix, events):
        """Changes of approval submissions of one kind (`prefix`; each change's ``id`` a
        submission's) -> one change of `object_name` per record its submission holds
        (``submission_records``, read by id), event id ``<event>:<record>``: approving or
        rejecting a submission re-reads its records."""
        if not events:
            return []
        members = self.submission_records(prefix, {e["id"] for e in events})
        return [
            {**event, "event_id": f"{event['event_id']}:{record_id}", "object": object_name,
             "id": record_id, "deleted": False}
            for event in events
            for record_id in members.get(event["id"], [])
        ]  # fmt: skip
