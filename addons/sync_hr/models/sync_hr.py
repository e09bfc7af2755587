# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The HR workflows' jobs: the employee pull (watermark, then the compensation changed since
its own cursor), the re-read of employees named by webhooks, and the nightly id reconciliation.

Compensation values never travel in a job payload: jobs carry employee ids and re-read the
compensation history from the platform."""

import json
import logging

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import SyncError

from .. import hr

_logger = logging.getLogger(__name__)
MASK = "***"


class SyncHr(models.AbstractModel):
    _name = "sync.hr"
    _description = "HR workflows (vendor-neutral)"

    @api.model
    def _schedule(self, backend):
        Job = self.env["sync.job"]
        Job._enqueue(backend, "hr_pull", identity_key="hr:pull")
        Job._enqueue(backend, "hr_leave", identity_key="hr:leave")

    # ------------------------------------------------------------------ jobs
    @api.model
    def _job_hr_pull(self, job):
        """Employees changed since the watermark (page by page), then the compensation rows
        changed since the compensation cursor."""
        backend = job.backend_id
        result = backend._pull(
            hr.EMPLOYEES,
            job=job,
            dry_run=job.dry_run,
            apply_page=lambda page: self._apply_employees(backend, page, job),
        )
        if not job.dry_run:
            result["cost_rates"] = self._pull_compensation(backend, job)
        return result

    @api.model
    def _job_hr_import(self, jobs):
        """Webhook re-read: the employees' current state and compensation history, by id.  An
        id the platform no longer returns is an employee removed there: terminated here."""
        job = jobs[:1]
        backend = job.backend_id
        ids = list(dict.fromkeys(str(i) for j in jobs for i in j.payload["ids"]))
        adapter = backend._get_adapter()
        records = adapter.read_batch(hr.EMPLOYEES, ids)
        found = {r["id"] for r in records}
        records += [
            {"id": i, "updated_at": None, "archived": True, "data": {}}
            for i in ids
            if i not in found
        ]
        stats = self._apply_employees(backend, records, job)
        rows, _latest = adapter.compensation(employee_ids=ids)
        stats["cost_rates"] = self._apply_compensation(backend, rows, job)
        stats["jobs"] = len(jobs)
        return stats

    @api.model
    def _job_hr_reconcile(self, job):
        """Nightly: every employee id of the platform against the employees bound here.  A
        bound employee the platform no longer has is reported (one exception each), never
        kept silently nor deleted."""
        backend = job.backend_id
        remote = set(backend._get_adapter().employee_ids())
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search([("backend_id", "=", backend.id), ("res_model", "=", "hr.employee")])
        )
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        missing = bindings.filtered(lambda b: b.external_id not in remote)
        for binding in missing:
            employee = Employee.browse(binding.res_id).exists()
            name = employee.name if employee else f"#{binding.res_id}"
            self.env["sync.exception"].sudo()._open(
                backend,
                SyncError(
                    f"{name} (employee {binding.external_id} of {backend.name}) is no longer "
                    "in the HR platform: archive the employee, or link another record.",
                    category="conflict",
                    pattern="employee removed from the HR platform",
                    res_model="hr.employee",
                    res_id=employee.id if employee else None,
                    remote_object=hr.EMPLOYEES,
                    external_id=binding.external_id,
                ),
                job_id=job.id,
            )
        return {"remote": len(remote), "bound": len(bindings), "removed": len(missing)}

    # ------------------------------------------------------------------ compensation
    @api.model
    def _pull_compensation(self, backend, job=None):
        wm = backend._watermark(hr.COMPENSATION)
        since = wm.cursor_stamp
        rows, latest = backend._get_adapter().compensation(since=since)
        count = self._apply_compensation(backend, rows, job)
        values = {"last_run_at": fields.Datetime.now(), "last_count": count}
        if latest:
            values["cursor_stamp"] = latest
        wm.write(values)
        return count

    @api.model
    def _apply_compensation(self, backend, rows_by_employee, job=None):
        """Compensation rows -> cost rate history (one row each, updated in place; the new
        ones made in one create) and the employee's ``hourly_cost`` = the rate in force today
        (one write per value); timesheets dated from the earliest changed row on are costed
        again (one search for all)."""
        Rate = self.env["sync.hr.cost.rate"].sudo()
        employees = self._bound_employees(backend, rows_by_employee)
        existing = {
            (rate.employee_id.id, rate.external_id): rate
            for rate in Rate.search([("employee_id", "in", [e.id for e in employees.values()])])
        }
        currencies = self._currencies(
            {row.get("currency") for rows in rows_by_employee.values() for row in rows}
        )
        audits, to_create, changed_from, count, calendars = [], [], {}, 0, {}
        for remote_id, rows in rows_by_employee.items():
            employee = employees.get(remote_id)
            for row in rows if employee else ():
                values = self._rate_values(backend, employee, row, currencies, calendars)
                if not values:
                    self._unconvertible_rate(backend, employee, remote_id, row)
                    continue
                rate = existing.get((employee.id, values["external_id"]))
                if rate and all(_same(rate, k, v) for k, v in values.items()):
                    continue
                if rate:
                    before = {k: _value(rate, k) for k in values}
                    rate.write(values)
                    audits.append(
                        self._audit_values(
                            backend, job, rate, values["external_id"], before, values
                        )
                    )
                else:
                    to_create.append(values)
                count += 1
                day = values["date_from"]
                changed_from[employee] = min(changed_from.get(employee) or day, day)
        for values, rate in zip(to_create, Rate.create(to_create), strict=True):
            audits.append(self._audit_values(backend, job, rate, rate.external_id, {}, values))
        self.env["sync.audit"].sudo().create([a for a in audits if a])
        if changed_from:
            self._set_hourly_costs(list(changed_from))
            self._recost_timesheets(changed_from)
        return count

    @api.model
    def _set_hourly_costs(self, employees):
        """Each employee's hourly cost = its rate in force today; one write per value."""
        Rate = self.env["sync.hr.cost.rate"].sudo()
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        today = fields.Date.context_today(self)
        rates = Rate._rates_of(Employee.browse([e.id for e in employees]))
        groups = {}
        for employee in employees:
            cost = hr.rate_in_force(rates.get(employee.id, ()), today) or 0.0
            if employee.hourly_cost != cost:
                groups.setdefault(cost, []).append(employee.id)
        for cost, ids in groups.items():
            Employee.browse(ids).write({"hourly_cost": cost})

    @api.model
    def _currencies(self, codes):
        """{code: res.currency} of the compensation rows' currency codes, one query."""
        codes = {(c or "").upper() for c in codes} - {""}
        found = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(codes))])
        )
        return {c.name: c for c in found}

    @api.model
    def _unconvertible_rate(self, backend, employee, remote_id, row):
        """A compensation row that gives no hourly cost (no date, no amount, a period the
        layer does not know): one exception keeping the row, whose pay values sync_core masks
        (the backend's sensitive keys).  Not linked to the job: it stays open until fixed."""
        self.env["sync.exception"].sudo()._open(
            backend,
            SyncError(
                f"a compensation row of {employee.name} (from {row.get('date_from') or '?'}, "
                f"paid per {row.get('period') or 'an unknown period'}) gives no hourly cost: "
                "fix it in the HR platform, or set the employee's cost by hand.",
                category="validation",
                pattern="compensation row not convertible",
                res_model="hr.employee",
                res_id=employee.id,
                remote_object=hr.COMPENSATION,
                external_id=str(row.get("id") or remote_id),
            ),
            payload_text=json.dumps(row, indent=2, sort_keys=True, default=str),
        )

    @api.model
    def _audit_values(self, backend, job, record, external_id, before, after):
        """The audit row (values; None when nothing changed) of a change the HR sync applied;
        the values of the model's payroll-adjacent fields (`_sync_sensitive_fields`) are never
        written in clear."""
        sensitive = set(getattr(record, "_sync_sensitive_fields", ()))
        changes = {
            name: [before.get(name), value]
            for name, value in after.items()
            if before.get(name) != value
        }
        for name in sensitive & set(changes):
            changes[name] = [MASK if changes[name][0] is not None else None, MASK]
        if not changes:
            return None
        return {
            "backend_id": backend.id,
            "job_id": job.id if job else False,
            "correlation_id": job.correlation_id if job else False,
            "external_id": external_id,
            "res_model": record._name,
            "res_id": record.id,
            "operation": "write" if before else "create",
            "changes": json.loads(json.dumps(changes, default=str)),
        }

    @api.model
    def _rate_values(self, backend, employee, row, currencies, calendars=None):
        day = hr.parse_date(row.get("date_from"))
        currency = (
            currencies.get((row.get("currency") or "").upper()) or employee.company_id.currency_id
        )
        Rate = self.env["sync.hr.cost.rate"].sudo()
        hourly = Rate._hourly_from(
            row.get("amount"), row.get("period"), currency, employee, day, calendars
        )
        if not day or hourly is None:
            return None
        return {
            "employee_id": employee.id,
            "backend_id": backend.id,
            "external_id": str(row.get("id") or day),
            "date_from": day,
            "amount": float(row.get("amount") or 0.0),
            "period": row.get("period") if row.get("period") in hr.PER_YEAR else "hour",
            "currency_id": currency.id,
            "hourly_cost": hourly,
        }

    @api.model
    def _recost_timesheets(self, changed_from):
        """{employee: date}: their timesheets from that date on costed again (one search)."""
        lines = (
            self.env["account.analytic.line"]
            .sudo()
            .search(
                [
                    ("employee_id", "in", [e.id for e in changed_from]),
                    ("project_id", "!=", False),
                    ("date", ">=", min(changed_from.values())),
                ]
            )
        )
        since = {e.id: day for e, day in changed_from.items()}
        lines = lines.filtered(lambda line: line.date >= since[line.employee_id.id])
        if lines:
            lines._timesheet_postprocess({"employee_id": True})

    @api.model
    def _bound_employees(self, backend, remote_ids):
        bindings = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(backend, "hr.employee", list(remote_ids), hr.EMPLOYEES)
        )
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        return {
            rid: Employee.browse(b.res_id)
            for rid, b in bindings.items()
            if Employee.browse(b.res_id).exists()
        }


def _value(record, name):
    current = record[name]
    return current.id if isinstance(current, models.BaseModel) else current


def _same(record, name, value):
    return _value(record, name) == value
