# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Employees of the HR platform -> hr.employee: bound by id, else matched by work email, else
created; department and work location made as needed; manager resolved now or when it arrives;
a termination archives the employee (never deletes) and reports the work still waiting."""

import json

from odoo import api, models
from odoo.fields import Domain

from odoo.addons.sync_core.exceptions import SyncError
from odoo.addons.sync_core.mapping import field_applies
from odoo.addons.sync_core.models.sync_mapping import no_export_context

from .. import hr
from .sync_hr import _value


class SyncHr(models.AbstractModel):
    _inherit = "sync.hr"

    @api.model
    def _apply_employees(self, backend, page, job=None):
        page, _unreadable = backend._set_aside_unreadable(page, hr.EMPLOYEES, job)
        Employee = (
            self.env["hr.employee"]
            .sudo()
            .with_context(active_test=False, **no_export_context(backend, self.env.context))
        )
        ids = [r["id"] for r in page]
        employees = self._bound_employees(backend, ids)
        bindings = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(backend, "hr.employee", ids, hr.EMPLOYEES)
        )
        employees.update(self._match_by_email(backend, page, employees, Employee))
        live = [r["data"] for r in page if not r.get("archived")]
        departments = self._departments(backend, {d.get("department") for d in live})
        locations = self._locations(backend, {d.get("location") for d in live})
        stats = {"created": 0, "updated": 0, "terminated": 0, "failed": 0}
        for rec in page:
            try:
                with self.env.cr.savepoint():
                    key = self._apply_employee(
                        backend, rec, employees, Employee, departments, locations, job
                    )
                    self._bind_employee(backend, rec, employees.get(rec["id"]), bindings)
                    stats[key] += 1
            except Exception as exc:  # noqa: BLE001 - one bad record, not a failed page
                stats["failed"] += 1
                self.env["sync.exception"].sudo()._open(
                    backend,
                    exc
                    if isinstance(exc, SyncError)
                    else SyncError(
                        f"employee {rec['id']} could not be applied: {exc}",
                        category="validation",
                        pattern=f"employee refused: {type(exc).__name__}",
                    ),
                    external_id=rec["id"],
                    remote_object=hr.EMPLOYEES,
                    res_model="hr.employee",
                    payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
                )
        self._resolve_managers(backend)
        return stats

    @api.model
    def _apply_employee(self, backend, rec, employees, Employee, departments, locations, job=None):
        data = rec["data"]
        employee = employees.get(rec["id"])
        if rec.get("archived") or data.get("status") == "terminated":
            if employee and employee.active:
                self._terminate(backend, rec, employee)
                self._audit(backend, job, employee, rec["id"], {"active": True}, {"active": False})
            return "terminated"
        values = self._employee_values(backend, data, departments, locations)
        if employee:
            values = self._hr_owned(backend, values)
            if not employee.active:
                values["active"] = True
            before = {k: _value(employee, k) for k in values}
            changed = {k: v for k, v in values.items() if before[k] != v}
            if changed:
                employee.write(changed)
                self._audit(backend, job, employee, rec["id"], before, changed)
            key = "updated"
        else:
            values.setdefault("company_id", backend.company_id.id)
            employee = Employee.create(dict(values))  # create() pops what it moves
            employees[rec["id"]] = employee
            self._audit(backend, job, employee, rec["id"], {}, values)
            key = "created"
        if key == "created" or self._hr_owned(backend, {"parent_id": True}):
            self._set_manager(backend, employee, data.get("manager_id"), employees)
        return key

    @api.model
    def _hr_owned(self, backend, values):
        """The values of an existing employee the HR platform owns: sync_core's ownership rule
        (`field_applies`), a field being Odoo's when the backend lists it as Odoo-owned (then
        the platform fills it on creation only)."""
        owned = set(backend.sudo().hr_odoo_owned_field_ids.mapped("name"))
        return {
            name: value
            for name, value in values.items()
            if field_applies("odoo" if name in owned else "remote", False, None, None)
        }

    @api.model
    def _bind_employee(self, backend, rec, employee, bindings):
        """Bind a new or matched employee; a binding left on a deleted employee moves."""
        if not employee:
            return
        binding = bindings.get(rec["id"])
        if not binding:
            bindings[rec["id"]] = self.env["sync.binding"]._bind(
                backend, employee, rec["id"], hr.EMPLOYEES, remote_updated_at=rec.get("updated_at")
            )
        elif binding.res_id != employee.id or not binding.active:
            binding.write({"res_id": employee.id, "active": True})

    @api.model
    def _employee_values(self, backend, data, departments, locations):
        values = {"name": hr.person_name(data) or data.get("work_email") or "?"}
        for key, field in (("work_email", "work_email"), ("job_title", "job_title")):
            if key in data:
                values[field] = data[key] or False
        if "department" in data:
            values["department_id"] = departments.get(data["department"] or "", False)
        if data.get("employment_status"):
            values["employee_type"] = hr.employee_type(data["employment_status"])
        if "location" in data:
            values["work_location_id"] = locations.get(data["location"] or "", False)
        return values

    @api.model
    def _set_manager(self, backend, employee, manager_ref, employees):
        """The manager now when it is known here, else remembered until it arrives."""
        if not manager_ref:
            if employee.parent_id or employee.sync_hr_manager_ref:
                employee.write({"parent_id": False, "sync_hr_manager_ref": False})
            return
        manager = employees.get(manager_ref) or self._bound_employees(backend, [manager_ref]).get(
            manager_ref
        )
        if manager and manager != employee:
            if employee.parent_id != manager or employee.sync_hr_manager_ref:
                employee.write({"parent_id": manager.id, "sync_hr_manager_ref": False})
        elif employee.sync_hr_manager_ref != manager_ref:
            employee.sync_hr_manager_ref = manager_ref

    @api.model
    def _resolve_managers(self, backend):
        """Employees waiting for a manager that has arrived (this page or an earlier one)."""
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        waiting = Employee.search([("sync_hr_manager_ref", "!=", False)])
        if not waiting:
            return
        managers = self._bound_employees(backend, set(waiting.mapped("sync_hr_manager_ref")))
        for employee in waiting:
            manager = managers.get(employee.sync_hr_manager_ref)
            if manager and manager != employee:
                employee.write({"parent_id": manager.id, "sync_hr_manager_ref": False})

    @api.model
    def _match_by_email(self, backend, page, employees, Employee):
        """Unbound records -> the one employee (not bound to this backend) with their work
        email, e.g. made earlier by hand or by another sync."""
        emails = {
            r["data"]["work_email"].strip().lower(): r["id"]
            for r in page
            if r["id"] not in employees and not r.get("archived") and r["data"].get("work_email")
        }
        if not emails:
            return {}
        candidates = {}
        domain = Domain.OR([Domain("work_email", "=ilike", email) for email in emails])
        domain &= Domain("company_id", "in", [backend.company_id.id, False])
        for employee in Employee.search(domain):
            candidates.setdefault((employee.work_email or "").lower(), []).append(employee)
        bound = (
            self.env["sync.binding"]
            .sudo()
            ._for_records(
                backend, Employee.browse([e.id for es in candidates.values() for e in es])
            )
        )
        return {
            remote_id: matches[0]
            for email, remote_id in emails.items()
            if len(matches := candidates.get(email, [])) == 1 and matches[0].id not in bound
        }

    @api.model
    def _departments(self, backend, names):
        names = {n.strip() for n in names if n and n.strip()}
        Department = self.env["hr.department"].sudo()
        company = backend.company_id
        found = {}
        for dep in Department.search(
            [("name", "in", list(names)), ("company_id", "in", [company.id, False])]
        ):
            found.setdefault(dep.name, dep.id)
        for name in names - set(found):
            found[name] = Department.create({"name": name, "company_id": company.id}).id
        return found

    @api.model
    def _locations(self, backend, names):
        names = {n.strip() for n in names if n and n.strip()}
        Location = self.env["hr.work.location"].sudo()
        company = backend.company_id
        found = {}
        for loc in Location.search(
            [("name", "in", list(names)), ("company_id", "in", [company.id, False])]
        ):
            found.setdefault(loc.name, loc.id)
        for name in names - set(found):
            found[name] = Location.create(
                {"name": name, "company_id": company.id, "address_id": company.partner_id.id}
            ).id
        return found

    # ------------------------------------------------------------------ termination
    @api.model
    def _terminate(self, backend, rec, employee):
        """Archive (timesheets and leave stay) and report what still waits for the employee
        in the other syncs (failed or pending jobs naming one of their remote ids)."""
        employee.write({"active": False})
        waiting = self._work_waiting(employee)
        if not waiting:
            return
        lines = "; ".join(waiting[:20])
        self.env["sync.exception"].sudo()._open(
            backend,
            SyncError(
                f"{employee.name} left ({backend.name} says the employee is terminated), but "
                f"work is still waiting for them: {lines}. Import or reassign it, then resolve.",
                category="conflict",
                pattern="terminated employee with work waiting",
                res_model="hr.employee",
                res_id=employee.id,
                remote_object=hr.EMPLOYEES,
                external_id=rec["id"],
            ),
        )

    @api.model
    def _work_waiting(self, employee):
        """What other syncs still hold for `employee`, in words: their jobs not done whose
        identity names one of the employee's remote ids (e.g. a PSA's approved time parked
        for its person), and the open exceptions about the employee.  Generic: no vendor, no
        PSA model is read."""
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        refs = Binding.search([("res_model", "=", "hr.employee"), ("res_id", "=", employee.id)])
        out = []
        Job = self.env["sync.job"].sudo()
        for ref in refs:
            jobs = Job.search(
                [
                    ("backend_id", "=", ref.backend_id.id),
                    ("state", "in", ("pending", "failed")),
                    ("identity_key", "=like", f"%:{ref.external_id}"),
                ]
            )
            out += [f"{job.backend_id.name}: {job.name}" for job in jobs]
        about = ["&", ("res_model", "=", "hr.employee"), ("res_id", "=", employee.id)]
        if employee.work_email:
            # records parked for a person not linked yet name the person's e-mail
            about = ["|", *about, ("name", "ilike", employee.work_email)]
        exceptions = self.env["sync.exception"].sudo().search([("state", "=", "open"), *about])
        out += [f"{e.backend_id.name}: {e.name}" for e in exceptions]
        return out
