# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Employees of the HR platform -> hr.employee: bound by id, else matched by work email, else
created; department and work location made as needed; manager resolved now or when it arrives;
a termination archives the employee (never deletes) and reports the work still waiting.

A page is applied set-wise: departments and locations resolved or made once for the page, the
new employees of a batch made by one ``create(vals_list)``, their bindings and audit rows made
in one call each, the managers set after the page (one write per manager).  A batch runs under
a savepoint; when it fails, each half is tried again (bisect) until the bad record is alone:
that one becomes an exception keeping its raw input, the rest of the page is applied."""

import json
import logging
from collections import defaultdict

from odoo import api, models

from odoo.addons.sync_core.exceptions import SyncError
from odoo.addons.sync_core.mapping import field_applies
from odoo.addons.sync_core.models.sync_mapping import no_export_context

from .. import hr
from .sync_hr import _value

_logger = logging.getLogger(__name__)


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
        employees.update(self._match_by_email(backend, page, employees, Employee))
        live = [r["data"] for r in page if not r.get("archived")]
        state = {
            "Employee": Employee,
            "job": job,
            "employees": employees,
            "bindings": self.env["sync.binding"]
            .sudo()
            ._for_external_ids(backend, "hr.employee", ids, hr.EMPLOYEES),
            "departments": self._departments(backend, {d.get("department") for d in live}),
            "locations": self._locations(backend, {d.get("location") for d in live}),
            "managers": [],  # (employee, manager's remote id): set after the page
        }
        stats = {"created": 0, "updated": 0, "terminated": 0, "failed": 0}
        self._apply_employee_batch(backend, page, state, stats)
        self._set_managers(backend, state["managers"], employees, Employee)
        self._resolve_managers(backend)
        return stats

    @api.model
    def _apply_employee_batch(self, backend, records, state, stats):
        """`records` applied under one savepoint; when that fails, each half again, down to
        the one bad record, reported with its raw input (the others are applied)."""
        if not records:
            return
        try:
            with self.env.cr.savepoint():
                counts, new, bindings, managers = self._apply_employee_set(backend, records, state)
        except Exception as exc:  # noqa: BLE001 - a bad record, not a failed page
            if len(records) > 1:
                half = len(records) // 2
                self._apply_employee_batch(backend, records[:half], state, stats)
                self._apply_employee_batch(backend, records[half:], state, stats)
                return
            stats["failed"] += 1
            self._employee_refused(backend, records[0], exc)
            return
        state["employees"].update(new)
        state["bindings"].update(bindings)
        state["managers"] += managers
        for key, count in counts.items():
            stats[key] += count

    @api.model
    def _apply_employee_set(self, backend, records, state):
        """(counts, new employees, new bindings, managers to set) of `records`: updates and
        terminations one by one (what changed), creations in one create(vals_list)."""
        employees, job = state["employees"], state["job"]
        counts = {"created": 0, "updated": 0, "terminated": 0}
        audits, managers, to_create = [], [], []
        manager_owned = bool(self._hr_owned(backend, {"parent_id": True}))
        for rec in records:
            data, employee = rec["data"], employees.get(rec["id"])
            if rec.get("archived") or data.get("status") == "terminated":
                if employee and employee.active:
                    self._terminate(backend, rec, employee)
                    audits.append(
                        self._audit_values(
                            backend, job, employee, rec["id"], {"active": True}, {"active": False}
                        )
                    )
                counts["terminated"] += 1
                continue
            values = self._employee_values(backend, data, state["departments"], state["locations"])
            if not employee:
                values.setdefault("company_id", backend.company_id.id)
                to_create.append((rec, values))
                continue
            values = self._hr_owned(backend, values)
            if not employee.active:
                values["active"] = True
            before = {k: _value(employee, k) for k in values}
            changed = {k: v for k, v in values.items() if before[k] != v}
            if changed:
                employee.write(changed)
                audits.append(
                    self._audit_values(backend, job, employee, rec["id"], before, changed)
                )
            counts["updated"] += 1
            if manager_owned:
                managers.append((employee, data.get("manager_id")))
        new = self._create_employees(backend, to_create, employees, state["Employee"])
        for rec, values in to_create:
            audits.append(self._audit_values(backend, job, new[rec["id"]], rec["id"], {}, values))
        counts["created"] = len(new)
        bindings = self._bind_employees(backend, records, {**employees, **new}, state["bindings"])
        self.env["sync.audit"].sudo().create([a for a in audits if a])
        return counts, new, bindings, managers

    @api.model
    def _create_employees(self, backend, to_create, employees, Employee):
        """{remote id: new employee} of `to_create` [(record, values)], managers first: one
        create(vals_list) per level of the hierarchy within the batch, each employee made
        with its manager when the manager is known by then, else with the manager's remote id
        (set as manager when it arrives).  A loop of managers is made without them."""
        wanted = {rec["data"].get("manager_id") for rec, _values in to_create} - {None, ""}
        batch = {rec["id"] for rec, _values in to_create}
        known = {**self._bound_employees(backend, wanted - batch - set(employees)), **employees}
        new, pending = {}, list(to_create)
        while pending:
            ready, later = [], []
            for item in pending:
                (ready if _manager_made(item[0], known, batch) else later).append(item)
            ready, pending = (ready, later) if ready else (later, [])
            for rec, values in ready:
                ref = rec["data"].get("manager_id")
                if known.get(ref) and ref != rec["id"]:
                    values["parent_id"] = known[ref].id
                elif ref:
                    values["sync_hr_manager_ref"] = ref
            # create() pops what it moves: it gets copies
            created = Employee.create([dict(values) for _rec, values in ready])
            made = {rec["id"]: employee for (rec, _v), employee in zip(ready, created, strict=True)}
            new.update(made)
            known.update(made)
        return new

    @api.model
    def _employee_refused(self, backend, rec, exc):
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
    def _bind_employees(self, backend, records, employees, bindings):
        """Bind the new or matched employees of `records` (one create); a binding left on a
        deleted employee moves.  Returns the new bindings by remote id."""
        Binding = self.env["sync.binding"].sudo()
        values = {}
        for rec in records:
            employee = employees.get(rec["id"])
            binding = bindings.get(rec["id"])
            if not employee:
                continue
            if not binding:
                values[rec["id"]] = Binding._bind_values(
                    backend,
                    employee,
                    rec["id"],
                    hr.EMPLOYEES,
                    remote_updated_at=rec.get("updated_at"),
                )
            elif binding.res_id != employee.id or not binding.active:
                binding.write({"res_id": employee.id, "active": True})
        created = Binding.create(list(values.values()))
        return dict(zip(values, created, strict=True))

    @api.model
    def _employee_values(self, backend, data, departments, locations):
        values = {"name": hr.person_name(data) or data.get("work_email") or "?"}
        for key, field in (("work_email", "work_email"), ("job_title", "job_title")):
            if key in data:
                values[field] = data[key] or False
        if "department" in data:
            values["department_id"] = departments.get((data["department"] or "").strip(), False)
        if data.get("employment_status"):
            values["employee_type"] = hr.employee_type(data["employment_status"])
        if "location" in data:
            values["work_location_id"] = locations.get((data["location"] or "").strip(), False)
        return values

    @api.model
    def _set_managers(self, backend, pairs, employees, Employee):
        """`pairs` [(employee, manager's remote id or None)]: the manager when it is known
        here, else its id remembered until it arrives; one write per manager."""
        refs = {ref for _employee, ref in pairs if ref and ref not in employees}
        known = {**self._bound_employees(backend, refs), **employees} if refs else employees
        groups = defaultdict(list)  # values to write -> employee ids
        for employee, ref in pairs:
            manager = known.get(ref) if ref else None
            if not ref:
                if employee.parent_id or employee.sync_hr_manager_ref:
                    groups[(False, False)].append(employee.id)
            elif manager and manager != employee:
                if employee.parent_id != manager or employee.sync_hr_manager_ref:
                    groups[(manager.id, False)].append(employee.id)
            elif employee.sync_hr_manager_ref != ref:
                groups[(employee.parent_id.id, ref)].append(employee.id)
        self._write_managers(backend, Employee, groups)

    @api.model
    def _write_managers(self, backend, Employee, groups):
        """{(parent id, manager ref): employee ids}: one write a group under a savepoint; a
        group refused (e.g. a loop of managers) is written one by one, a refused employee
        reported (the rest of the employee is applied)."""
        for (parent_id, ref), ids in groups.items():
            values = {"parent_id": parent_id, "sync_hr_manager_ref": ref}
            try:
                with self.env.cr.savepoint():
                    Employee.browse(ids).write(values)
                continue
            except Exception as exc:  # noqa: BLE001 - written one by one below
                _logger.info("managers of %s employees written one by one: %s", len(ids), exc)
            for emp_id in ids:
                try:
                    with self.env.cr.savepoint():
                        Employee.browse(emp_id).write(values)
                except Exception as exc:  # noqa: BLE001 - one bad manager, not a failed page
                    self._manager_refused(backend, Employee.browse(emp_id), exc)

    @api.model
    def _manager_refused(self, backend, employee, exc):
        self.env["sync.exception"].sudo()._open(
            backend,
            SyncError(
                f"the manager of {employee.name} could not be set: {exc}",
                category="validation",
                pattern=f"manager refused: {type(exc).__name__}",
                res_model="hr.employee",
                res_id=employee.id,
            ),
            remote_object=hr.EMPLOYEES,
        )

    @api.model
    def _resolve_managers(self, backend):
        """Employees waiting for a manager that has arrived (this page or an earlier one)."""
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        waiting = Employee.search([("sync_hr_manager_ref", "!=", False)])
        if not waiting:
            return
        managers = self._bound_employees(backend, set(waiting.mapped("sync_hr_manager_ref")))
        groups = defaultdict(list)
        for employee in waiting:
            manager = managers.get(employee.sync_hr_manager_ref)
            if manager and manager != employee:
                groups[(manager.id, False)].append(employee.id)
        self._write_managers(backend, Employee, groups)

    @api.model
    def _match_by_email(self, backend, page, employees, Employee):
        """Unbound records -> the one employee (not bound to this backend) with their work
        email (case ignored), e.g. made earlier by hand or by another sync; one query."""
        emails = {
            r["data"]["work_email"].strip().lower(): r["id"]
            for r in page
            if r["id"] not in employees
            and not r.get("archived")
            and isinstance(r["data"].get("work_email"), str)
            and r["data"]["work_email"].strip()
        }
        if not emails:
            return {}
        Employee.flush_model(["work_email", "company_id"])
        self.env.cr.execute(
            "SELECT id, lower(work_email) FROM hr_employee WHERE lower(work_email) = ANY(%s)"
            " AND (company_id = %s OR company_id IS NULL)",
            [list(emails), backend.company_id.id],
        )
        candidates = defaultdict(list)
        for emp_id, email in self.env.cr.fetchall():
            candidates[email].append(emp_id)
        bound = (
            self.env["sync.binding"]
            .sudo()
            ._for_records(backend, Employee.browse([i for ids in candidates.values() for i in ids]))
        )
        return {
            remote_id: Employee.browse(matches[0])
            for email, remote_id in emails.items()
            if len(matches := candidates.get(email, [])) == 1 and matches[0] not in bound
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


def _manager_made(rec, known, batch):
    """Whether `rec` can be made now: no manager, or one known, or one not in the batch."""
    ref = rec["data"].get("manager_id")
    return not ref or ref in known or ref not in batch or ref == rec["id"]
