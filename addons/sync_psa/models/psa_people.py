# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""People: PSA users -> employees by work email (cost rates), and the parking lot of records
waiting for an employee or a project."""

import json

from odoo import api, fields, models
from odoo.fields import Domain

from .. import psa
from .sync_psa import _id_key


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    @api.model
    def _job_psa_people(self, job):
        """PSA people -> employees: bind each person to the one employee with their work email,
        and give a bound employee without an hourly cost the PSA's cost rate in use (converted
        to the company currency).  Departments and managers stay Odoo's (not synced)."""
        backend = job.backend_id
        adapter = backend._get_adapter()
        rates = adapter.cost_rates()
        stats = {"bound": 0, "costed": 0}

        def apply_page(page):
            persons = [r["data"] for r in page if not r["data"].get("disabled")]
            employees = self._employees(backend, persons)
            stats["bound"] += len(employees)
            for person_id, employee in employees.items():
                cents, code = rates.get(person_id, (0, ""))
                currency = self._currency(code)
                if not cents or not currency or employee.hourly_cost:
                    continue
                company = employee.company_id or backend.company_id
                employee.sudo().hourly_cost = currency._convert(
                    psa.amount(cents, currency.decimal_places),
                    company.currency_id,
                    company,
                    fields.Date.context_today(self),
                )
                stats["costed"] += 1
            return {}

        result = backend._pull(psa.PEOPLE, job=job, dry_run=job.dry_run, apply_page=apply_page)
        result.update(stats)
        return result

    @api.model
    def _employees(self, backend, persons):
        """{person id: hr.employee}: the bound employee, else the one employee whose work
        email is the person's (then bound, so a later email change keeps the link)."""
        Binding = self.env["sync.binding"].sudo()
        Employee = self.env["hr.employee"].sudo().with_context(active_test=True)
        persons = {p["id"]: p for p in persons if p.get("id")}
        found = {}
        bindings = Binding._for_external_ids(backend, "hr.employee", persons, psa.PEOPLE)
        for person_id, binding in bindings.items():
            employee = Employee.browse(binding.res_id).exists() if binding.active else None
            if employee:
                found[person_id] = employee
        by_email = {}
        for person_id, person in persons.items():
            if person_id not in found and person.get("email") and person_id not in bindings:
                by_email.setdefault(person["email"].lower(), []).append(person_id)
        if by_email:
            domain = Domain.OR([Domain("work_email", "=ilike", email) for email in by_email])
            domain &= Domain("company_id", "in", [backend.company_id.id, False])
            candidates = {}
            for employee in Employee.search(domain):
                candidates.setdefault((employee.work_email or "").strip().lower(), []).append(
                    employee
                )
            bound = set(
                Binding.search(
                    [
                        ("backend_id", "=", backend.id),
                        ("res_model", "=", "hr.employee"),
                        ("res_id", "in", [e.id for es in candidates.values() for e in es]),
                    ]
                ).mapped("res_id")
            )
            new = []
            for email, person_ids in by_email.items():
                matches = candidates.get(email, [])
                if len(matches) != 1 or matches[0].id in bound or len(person_ids) != 1:
                    continue
                found[person_ids[0]] = matches[0]
                new.append(Binding._bind_values(backend, matches[0], person_ids[0], psa.PEOPLE))
            Binding.create(new)
            self._release_waiting(backend, [vals["external_id"] for vals in new])
        return found

    @api.model
    def _release_waiting(self, backend, person_ids):
        """Records parked for people who just got their employee are imported now (their
        parking job runs again), without waiting for someone to press Retry."""
        if not person_ids:
            return
        identities = [
            f"psa:wait:{object_name}:user:{person_id}"
            for object_name in psa.IMPORTED
            for person_id in person_ids
        ]
        self.env["sync.job"].sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("identity_key", "in", identities),
                ("state", "=", "failed"),
            ]
        ).action_requeue()

    @api.model
    def _wait(self, waiting, object_name, rec, employee, project):
        data = rec["data"]
        person = data["person"]
        if not employee:
            cause = f"user:{person['id']}"
            who = person.get("name") or person["id"]
            email = person.get("email") or "(no email in the PSA)"
            entry = waiting.setdefault(
                cause,
                {
                    "records": [],
                    "external_id": person["id"],
                    "remote_object": psa.PEOPLE,
                    "res_model": "hr.employee",
                    "pattern": f"employee missing for {email}",
                    "head": f"{who} <{email}> has no Odoo employee (no employee has the work "
                    f"email {email})",
                    "fix": "link an employee (or set its work email), then retry",
                },
            )
        else:
            cause = f"project:{data['project_ref']}"
            entry = waiting.setdefault(
                cause,
                {
                    "records": [],
                    "external_id": data["project_ref"],
                    "remote_object": psa.PROJECTS,
                    "res_model": "project.project",
                    "pattern": "project missing for a PSA workspace",
                    "head": f"PSA project {data['project_ref']} is not linked to an Odoo project",
                    "fix": "link a project, then retry",
                },
            )
        entry["records"].append(rec)

    @api.model
    def _waiting_notes(self, object_name, waiting):
        """{record id: ("error", why)} of the records that wait for an employee or a project
        (a dry run's notes: they are parked, not imported)."""
        return {
            rec["id"]: ("error", self._waiting_message(object_name, {**info, "records": [rec]}))
            for info in waiting.values()
            for rec in info["records"]
        }

    @api.model
    def _waiting_message(self, object_name, info):
        return (
            f"{info['head']}: {psa.waiting_summary(object_name, info['records'])} waiting to "
            f"be imported; {info['fix']}."
        )

    @api.model
    def _park(self, backend, object_name, waiting):
        """One job per missing reference holds the waiting records: it fails with one
        exception naming the person (or project) and what waits; linking the record and
        retrying imports them.  New waiting records join the same job (re-run to refresh the
        exception's figures)."""
        Job = self.env["sync.job"].sudo()
        count = 0
        for cause, info in waiting.items():
            ids = [r["id"] for r in info["records"]]
            count += len(ids)
            identity = f"psa:wait:{object_name}:{cause}"
            job = Job.search(
                [
                    ("backend_id", "=", backend.id),
                    ("kind", "=", "psa_import"),
                    ("identity_key", "=", identity),
                    ("state", "in", ("pending", "failed")),
                ],
                order="id desc",
                limit=1,
            )
            if job:
                merged = sorted(set(job.payload["ids"]) | set(ids), key=_id_key)
                if merged != job.payload["ids"]:
                    job.payload = {**job.payload, "ids": merged}
                    # the exception's retry runs its payload: keep it the job's
                    job.exception_ids.filtered(
                        lambda e: e.state == "open"
                    ).payload_text = json.dumps(job.payload, indent=2, sort_keys=True, default=str)
                    if job.state == "failed":
                        job.action_requeue()
                continue
            Job._enqueue(
                backend,
                "psa_import",
                payload={"object": object_name, "ids": sorted(ids, key=_id_key), "waiting": cause},
                identity_key=identity,
                res_model=info["res_model"],
                name=f"{backend.name}: {info['head']}"[:200],
            )
        return count
