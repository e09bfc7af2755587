"""The contract of an HR adapter (plain Python, no ORM): what ``sync.hr`` asks of an HR platform.

An HR connector ships one subclass of :class:`HrAdapter`.  Besides the engine's adapter interface
(``test_connection``; ``iter_changes(hr.EMPLOYEES, since, after)`` for the watermark pull, pages
in (updated_at, id) order, a deleted employee as an ``archived`` record; ``read_batch(
hr.EMPLOYEES, ids)``), it implements the methods below.  Records are engine records whose
``data`` is a canonical shape of ``hr.py``: the workflows never read a vendor's field names.
"""

from odoo.addons.sync_core.adapter import BaseAdapter


class HrAdapter(BaseAdapter):
    """Base class of the HR adapters; each method names one part of the contract."""

    def compensation(self, employee_ids=None, since=None):
        """``({employee id: [compensation rows]}, latest)``: the whole history of each employee
        named (`employee_ids`), or of every employee whose compensation changed since `since`
        (a naive UTC datetime; None for all), read in as few requests as the platform allows.
        `latest` is the platform's stamp to ask from next time (or None)."""
        raise NotImplementedError

    def time_off(self, date_from, date_to):
        """Engine records of the time-off requests overlapping the two dates, whatever their
        status (``data`` is the canonical time off)."""
        raise NotImplementedError

    def time_off_types(self):
        """{type id: name} of the platform's time-off types."""
        raise NotImplementedError

    def employee_ids(self):
        """The ids of every employee the platform has (nightly reconciliation)."""
        raise NotImplementedError
