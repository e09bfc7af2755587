# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Time off of the HR platform -> hr.leave: an approved request becomes validated time off of
the mapped type (per backend), a cancelled, denied or deleted one withdraws it."""

import json
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import SyncError
from odoo.addons.sync_core.models.sync_mapping import no_export_context

from .. import hr


class SyncHr(models.AbstractModel):
    _inherit = "sync.hr"

    @api.model
    def _job_hr_leave(self, job):
        backend = job.backend_id
        adapter = backend._get_adapter()
        today = fields.Date.context_today(self)
        records = adapter.time_off(
            today - timedelta(days=backend.hr_leave_days_back or 90), today + timedelta(days=365)
        )
        records, _unreadable = backend._set_aside_unreadable(records, hr.TIME_OFF, job)
        types = self._leave_types(backend, adapter, records)
        employees = self._bound_employees(backend, {r["data"].get("employee_id") for r in records})
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(backend, "hr.leave", [r["id"] for r in records])
        stats = {"validated": 0, "withdrawn": 0, "unchanged": 0, "failed": 0}
        for rec in records:
            try:
                with self.env.cr.savepoint():
                    key = self._apply_leave(backend, rec, types, employees, bindings)
                    stats[key] += 1
            except SyncError as exc:
                stats["failed"] += 1
                self.env["sync.exception"].sudo()._open(
                    backend,
                    exc,
                    external_id=rec["id"],
                    remote_object=hr.TIME_OFF,
                    payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
                )
            except Exception as exc:  # noqa: BLE001 - one refused request, not a failed run
                stats["failed"] += 1
                self.env["sync.exception"].sudo()._open(
                    backend,
                    SyncError(
                        f"time off {rec['id']} was refused by Odoo: {exc}",
                        category="validation",
                        pattern=f"time off refused: {type(exc).__name__}",
                    ),
                    external_id=rec["id"],
                    remote_object=hr.TIME_OFF,
                    payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
                )
        return stats

    @api.model
    def _apply_leave(self, backend, rec, types, employees, bindings):
        data = rec["data"]
        binding = bindings.get(rec["id"])
        Leave = (
            self.env["hr.leave"]
            .sudo()
            .with_context(
                leave_fast_create=True,
                tracking_disable=True,
                **no_export_context(backend, self.env.context),
            )
        )
        leave = Leave.browse(binding.res_id).exists() if binding else Leave
        live = not rec.get("archived") and data.get("status") in hr.LIVE_TIME_OFF
        if not live:
            if leave and leave.state not in ("cancel", "refuse"):
                leave._force_cancel(
                    self.env._("%(status)s in %(hr)s", status=data.get("status") or "deleted",
                               hr=backend.name),
                    notify_responsibles=False,
                )  # fmt: skip
                self._leave_followed(backend, leave)
                return "withdrawn"
            return "unchanged"
        if leave and leave.state == "validate":
            dates = (
                hr.parse_date(data["date_from"]),
                hr.parse_date(data["date_to"] or data["date_from"]),
            )
            if dates == (leave.request_date_from, leave.request_date_to):
                return "unchanged"
            # the approved request was amended: the old leave gives way to the new dates
            leave._force_cancel(
                self.env._("dates changed in %(hr)s", hr=backend.name), notify_responsibles=False
            )
            self._leave_followed(backend, leave)
        employee = employees.get(data.get("employee_id"))
        if not employee:
            raise SyncError(
                f"approved time off {rec['id']} waits for employee {data.get('employee_id')}, "
                "who is not in Odoo yet: pull the employees, then retry.",
                category="missing_reference",
                pattern="time off of an unknown employee",
            )
        leave_type = types.get(data.get("type_id"))
        if not leave_type:
            raise SyncError(
                f"time-off type '{data.get('type_name') or data.get('type_id')}' of {backend.name} "
                "has no Odoo time-off type: set it in the backend's time-off types, then retry.",
                category="missing_reference",
                pattern=f"time-off type {data.get('type_id')} not mapped",
            )
        leave = Leave.create(
            {
                "employee_id": employee.id,
                "holiday_status_id": leave_type.id,
                "request_date_from": hr.parse_date(data["date_from"]),
                "request_date_to": hr.parse_date(data["date_to"] or data["date_from"]),
                "private_name": (data.get("note") or data.get("type_name") or "")[:200] or False,
            }
        )
        if leave.state != "validate":
            leave._action_validate(check_state=False)
        if binding:
            binding.write({"res_id": leave.id, "active": True})
        else:
            self.env["sync.binding"]._bind(backend, leave, rec["id"], hr.TIME_OFF)
        self._leave_followed(backend, leave)
        return "validated"

    @api.model
    def _leave_followed(self, backend, leave):
        """Hook: `leave` was validated or withdrawn from the HR platform `backend`; other
        syncs follow it (sync_hr_psa pushes it to the PSAs that take time off)."""
        return None

    @api.model
    def _leave_types(self, backend, adapter, records):
        """{remote type id: hr.leave.type}: the backend's table; a type seen for the first time
        is added to it, matched by name with an Odoo type when one has that name."""
        rows = {r.remote_id: r for r in backend.hr_leave_type_ids}
        wanted = {r["data"].get("type_id") for r in records} - set(rows) - {None, ""}
        if wanted:
            names = adapter.time_off_types()
            LeaveType = self.env["hr.leave.type"].sudo()
            for type_id in wanted:
                name = names.get(type_id) or type_id
                match = LeaveType.search([("name", "=ilike", name)], limit=1)
                rows[type_id] = (
                    self.env["sync.hr.leave.type"]
                    .sudo()
                    .create(
                        {
                            "backend_id": backend.id,
                            "remote_id": type_id,
                            "name": name,
                            "leave_type_id": match.id,
                        }
                    )
                )
        return {k: r.leave_type_id for k, r in rows.items() if r.leave_type_id}
