# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Leave the HR platform approved -> time off in the PSAs that take it (resource planning).

A leave validated or withdrawn by the HR sync enqueues, on each PSA backend whose user is bound
to the employee, one `psa_time_off` job (on the PSA's channel: its rate limits, its retries).
The job reads the leave as it is then: validated and not yet pushed -> one entry per working
day of the employee's calendar (`PsaAdapter.write_time_off`), each marked with the leave (the
PSA's external reference), the entries' ids kept in a binding of the leave; withdrawn and
pushed -> those entries deleted, and only those.

Only what we wrote is ours: a day the PSA already has an entry of the leave's marker (a retried
push, a lost answer) keeps that entry; a day with an entry WITHOUT the marker (a resource
planner's own time off) is left alone: nothing is added to it (the PSA would merge our hours
into the planner's entry) and it is never deleted.  A PSA whose adapter does not implement
`write_time_off` is recorded as not supported in the job's result."""

from datetime import timedelta

from odoo import api, models

from odoo.addons.sync_psa import psa

TIME_OFF = "time_off"


class SyncHr(models.AbstractModel):
    _inherit = "sync.hr"

    @api.model
    def _leave_followed(self, backend, leave):
        res = super()._leave_followed(backend, leave)
        Backend = self.env["sync.backend"].sudo()
        people = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "hr.employee"),
                    ("res_id", "=", leave.employee_id.id),
                    ("remote_object", "=", psa.PEOPLE),
                    ("backend_id.kind", "in", list(Backend._psa_kinds())),
                    ("backend_id.active", "=", True),
                ]
            )
        )
        for psa_backend in people.backend_id:
            self.env["sync.job"]._enqueue(
                psa_backend,
                "psa_time_off",
                payload={"leave_id": leave.id},
                identity_key=f"psa:time_off:{leave.id}",
            )
        return res

    @api.model
    def _job_psa_time_off(self, job):
        backend = job.backend_id
        leave = self.env["hr.leave"].sudo().browse(job.payload["leave_id"]).exists()
        Binding = self.env["sync.binding"].sudo()
        pushed = Binding.search(
            [("backend_id", "=", backend.id), ("res_model", "=", "hr.leave"),
             ("res_id", "=", leave.id), ("remote_object", "=", TIME_OFF)]
        )  # fmt: skip
        live = bool(leave) and leave.state == "validate"
        if live == bool(pushed):
            return {"unchanged": 1}
        adapter = backend._get_adapter()
        try:
            if not live:
                for entry_id in pushed.external_id.split(","):
                    adapter.delete_time_off(entry_id)
                pushed.unlink()
                return {"withdrawn": 1}
            person = Binding.search(
                [("backend_id", "=", backend.id), ("res_model", "=", "hr.employee"),
                 ("res_id", "=", leave.employee_id.id), ("remote_object", "=", psa.PEOPLE)],
                limit=1,
            )  # fmt: skip
            if not person:
                return {"unchanged": 1, "reason": "employee not bound to a PSA user"}
            ids, kept = self._push_time_off(
                adapter, person.external_id, self._time_off_days(leave), leave.id
            )
        except NotImplementedError:
            return {"unsupported": f"{backend.name} takes no time off"}
        if ids:
            Binding._bind(backend, leave, ",".join(ids), TIME_OFF)
        result = {"pushed": 1, "days": len(ids)}
        if kept:
            # the planner's own entries on those days stand for the leave there
            result["kept_planner_days"] = [day.isoformat() for day in kept]
        return result

    @api.model
    def _push_time_off(self, adapter, person_id, days, ref):
        """(ids of the entries of `days` ([(date, hours)]), days left to the PSA's own entries).

        A day with an entry marked with `ref` (this leave: an earlier, failed run of the push,
        its ids rolled back with its transaction, or an answer lost on the way) keeps that
        entry; a day with an unmarked entry (made in the PSA by hand) is left as it is and not
        counted as ours; any other day gets a new entry marked with `ref`."""
        if not days:
            return [], []
        try:
            every = adapter.find_time_off(person_id, days[0][0], days[-1][0])
            ours = adapter.find_time_off(person_id, days[0][0], days[-1][0], ref=ref)
        except NotImplementedError:
            every = ours = {}
        ids, kept = [], []
        for day, hours in days:
            if day in ours:
                ids.append(ours[day])
            elif day in every:
                kept.append(day)
            else:
                ids.append(adapter.write_time_off(person_id, day, hours, ref=ref))
        return ids, kept

    @api.model
    def _time_off_days(self, leave):
        """[(date, hours)]: the leave's days the employee's calendar works, each with the
        leave's hours spread evenly (the calendar's hours per day when Odoo has none)."""
        employee = leave.employee_id
        calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
        weekdays = {int(a.dayofweek) for a in calendar.attendance_ids} if calendar else set()
        day, days = leave.request_date_from, []
        while day <= leave.request_date_to:
            if not weekdays or day.weekday() in weekdays:
                days.append(day)
            day += timedelta(days=1)
        if not days:
            return []
        total = leave.number_of_hours or (calendar.hours_per_day if calendar else 8.0) * len(days)
        return [(day, round(total / len(days), 2)) for day in days]
