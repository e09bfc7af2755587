# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Projects and milestones: workspaces bound to projects (external reference, name + customer),
tasks, milestones, default mappings."""

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.sync_core.exceptions import (
    ConflictError,
)
from odoo.addons.sync_core.mapping import line_command
from odoo.addons.sync_core.models.sync_mapping import no_export_context

from .. import psa
from .account_analytic_line import PSA_WRITE
from .sync_psa import _norm


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    @api.model
    def _apply_milestones(self, backend, records, job, adapter):
        """A milestone completed in the PSA marks the Odoo milestone of the same name on the
        workspace's project reached, so a milestone-billed order line becomes invoiceable;
        un-completing it after its order line was invoiced is a finance exception (nothing
        changes).  PSA milestones without an Odoo twin are skipped: billing terms are Odoo's."""
        stats = {"reached": 0, "unreached": 0, "unchanged": 0, "skipped": 0, "conflicts": 0}
        records = [r for r in records if (r.get("data") or {}).get("milestone")]
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(
            backend, "project.milestone", [r["id"] for r in records], psa.MILESTONES
        )
        projects = self._projects(
            backend, {r["data"]["project_ref"] for r in records}, adapter, job
        )
        Milestone = self.env["project.milestone"].with_context(
            **{PSA_WRITE: True, **no_export_context(backend), "tracking_disable": True}
        )
        for rec in records:
            data = rec["data"]
            binding = bindings.get(rec["id"])
            milestone = Milestone.browse(binding.res_id if binding else []).exists()
            project = projects.get(data["project_ref"])
            if not milestone and project:
                name = " ".join(data["name"].lower().split())
                candidates = Milestone.search([("project_id", "=", project.id)]).filtered(
                    lambda m, n=name: " ".join((m.name or "").lower().split()) == n
                )
                milestone = candidates[:1]
                if milestone:
                    Binding._bind(backend, milestone, rec["id"], psa.MILESTONES)
            if not milestone:
                stats["skipped"] += 1
                continue
            reached = bool(data["completed"]) and not rec.get("archived")
            if milestone.is_reached == reached:
                stats["unchanged"] += 1
                continue
            line = milestone.sudo().sale_line_id
            if not reached and line and line.qty_invoiced > 0:
                invoice = line.invoice_lines.move_id.filtered(lambda m: m.state == "posted")[:1]
                exc = ConflictError(
                    f"{backend.name} milestone {rec['id']} ({milestone.name}) was re-opened in "
                    f"the PSA after its order line {line.display_name} was invoiced"
                    f"{' on ' + invoice.name if invoice else ''}: the milestone stays reached "
                    "in Odoo; issue a credit note, or complete it again in the PSA",
                    pattern="milestone re-opened in the PSA after invoicing",
                    res_model=invoice._name if invoice else "sale.order.line",
                    res_id=invoice.id if invoice else line.id,
                )
                self._record_exception(backend, psa.MILESTONES, rec, exc)
                stats["conflicts"] += 1
                continue
            milestone.is_reached = reached
            stats["reached" if reached else "unreached"] += 1
        return stats

    @api.model
    def _tasks(self, backend, records, projects):
        """{task ref: project.task id} of the page's time: the bound task, else the task of
        the same name in the entry's project, else a new task there (then bound)."""
        Binding = self.env["sync.binding"].sudo()
        wanted = {}
        for rec in records:
            data = rec["data"]
            project = projects.get(data["project_ref"])
            if data.get("task_ref") and project:
                wanted[data["task_ref"]] = (project, data.get("task_name") or "")
        if not wanted:
            return {}
        bindings = Binding._for_external_ids(backend, "project.task", wanted, psa.MILESTONES)
        Task = self.env["project.task"].with_context(
            **{**no_export_context(backend), "tracking_disable": True, "mail_create_nolog": True}
        )
        existing = set(Task.browse([b.res_id for b in bindings.values()]).exists().ids)
        found = {ref: b.res_id for ref, b in bindings.items() if b.active and b.res_id in existing}
        new = []
        for ref, (project, name) in wanted.items():
            if ref in found:
                continue
            key = " ".join(name.lower().split())
            task = Task.search([("project_id", "=", project.id)]).filtered(
                lambda t, k=key: k and " ".join((t.name or "").lower().split()) == k
            )[:1]
            if task and Binding._for_records(backend, task):
                task = Task.browse()
            if not task:
                task = Task.create({"name": name or f"PSA task {ref}", "project_id": project.id})
            found[ref] = task.id
            new.append(Binding._bind_values(backend, task, ref, psa.MILESTONES))
        Binding.create(new)
        return found

    @api.model
    def _bind_referenced_projects(self, backend, records):
        """Unbound PSA projects bind to an existing, free Odoo project: the one their external
        reference names (written by an earlier push, or by another integration), else the one
        project with the same name (ignoring case and spaces) and the same customer (the
        project's customer vs the workspace's client company; no client matches a project
        without customer).  Two candidates: none is chosen (a new project is created)."""
        Binding = self.env["sync.binding"].sudo()
        bound = Binding._for_external_ids(
            backend, "project.project", [r["id"] for r in records], psa.PROJECTS
        )
        wanted = {}
        by_name = {}
        for rec in records:
            if rec["id"] in bound or rec.get("archived"):
                continue
            data = rec.get("data") or {}
            refs = [r for r in data.get("odoo_refs") or [] if r.isdigit()]
            if len(refs) == 1:
                wanted[rec["id"]] = int(refs[0])
            elif not refs and _norm(data.get("name")):
                by_name[rec["id"]] = (_norm(data.get("name")), _norm(data.get("client")))
        Project = self.env["project.project"]
        projects = Project.browse(list(wanted.values())).exists()
        if by_name:
            names = {name for name, _client in by_name.values()}
            candidates = self._projects_named(names)
            keyed = {}
            for project in candidates:
                customer = project.partner_id.commercial_partner_id.name
                keyed.setdefault((_norm(project.name), _norm(customer)), []).append(project.id)
            for ext_id, key in by_name.items():
                if len(keyed.get(key, [])) == 1:
                    wanted[ext_id] = keyed[key][0]
            projects |= Project.browse([wanted[e] for e in by_name if e in wanted])
        if not wanted:
            return 0
        taken = set(Binding._for_records(backend, projects))
        new, used = [], set()
        for ext_id, project_id in wanted.items():
            if project_id not in projects.ids or project_id in taken or project_id in used:
                continue
            used.add(project_id)
            new.append(
                Binding._bind_values(backend, projects.browse(project_id), ext_id, psa.PROJECTS)
            )
        Binding.create(new)
        return len(new)

    @api.model
    def _prepare_workspaces(self, backend, records):
        """Before a page of PSA projects goes through the workspace mapping: bind those that
        match an existing project (``_bind_referenced_projects``), then name the customer of
        those that will become new projects (``_resolve_clients``)."""
        bound = self._bind_referenced_projects(backend, records)
        self._resolve_clients(backend, records)
        return bound

    @api.model
    def _resolve_clients(self, backend, records):
        """Unbound PSA projects with a client get ``data["customer_id"]``: the Odoo company of
        that name (case and spaces ignored; a customer first when several), else a new company
        partner of that name, so the project the mapping creates has the customer the name +
        customer match rule reads.  Several equal candidates: no customer is guessed."""
        Binding = self.env["sync.binding"].sudo()
        bound = Binding._for_external_ids(
            backend, "project.project", [r["id"] for r in records], psa.PROJECTS
        )
        wanted = {}
        for rec in records:
            data = rec.get("data")
            if rec["id"] in bound or rec.get("archived") or not isinstance(data, dict):
                continue
            client = " ".join(str(data.get("client") or "").split())
            if client:
                wanted.setdefault(_norm(client), (client, []))[1].append(data)
        if not wanted:
            return 0
        Partner = self.env["res.partner"].with_context(
            **{**no_export_context(backend), "tracking_disable": True, "mail_create_nolog": True}
        )
        Partner.flush_model(["name", "parent_id"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE parent_id IS NULL"
                " AND lower(regexp_replace(trim(name), '\\s+', ' ', 'g')) = ANY(%s)",
                sorted(wanted),
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        candidates = {}
        for partner in Partner.search([("id", "in", ids)], order="id"):
            candidates.setdefault(_norm(partner.name), []).append(partner)
        for key, (name, datas) in wanted.items():
            found = candidates.get(key, [])
            if len(found) > 1:
                found = [p for p in found if p.is_company] or found
            if len(found) > 1:
                found = [p for p in found if p.customer_rank] or found
            if not found:
                found = [Partner.create({"name": name, "is_company": True})]
            if len(found) == 1:
                for data in datas:
                    data["customer_id"] = found[0].id
        return len(wanted)

    @api.model
    def _projects_named(self, names):
        """Projects whose name is one of `names` (normalised: lower case, single spaces)."""
        if not names:
            return self.env["project.project"]
        Project = self.env["project.project"]
        Project.flush_model(["name"])
        column = Project._field_to_sql(Project._table, "name")
        self.env.cr.execute(
            SQL(
                "SELECT id FROM project_project"
                " WHERE lower(regexp_replace(trim(%s), '\\s+', ' ', 'g')) = ANY(%s)",
                column,
                sorted(names),
            )
        )
        return Project.search([("id", "in", [row[0] for row in self.env.cr.fetchall()])])

    @api.model
    def _projects(self, backend, refs, adapter, job):
        """{project ref: project.project}: bound projects; unknown workspaces are read and
        applied through the backend's workspace mapping (match rule, else a new project)."""
        refs = {r for r in refs if r}
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(backend, "project.project", refs, psa.PROJECTS)
        missing = sorted(r for r in refs if r not in bindings or not bindings[r].active)
        if missing:
            mapping = self.env["sync.mapping"].search(
                [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)], limit=1
            )
            if mapping:
                self._reread_projects(backend, missing, job, adapter)
                bindings = Binding._for_external_ids(backend, "project.project", refs, psa.PROJECTS)
        projects = self.env["project.project"].browse(
            [b.res_id for b in bindings.values() if b.active]
        )
        existing = {p.id: p for p in projects.exists()}
        return {
            ref: existing[b.res_id]
            for ref, b in bindings.items()
            if b.active and b.res_id in existing
        }

    @api.model
    def _reread_projects(self, backend, ids, job, adapter):
        """PSA projects read by id (a page's unknown projects, a change of the feed or a
        webhook) applied as a pull applies them: ``_prepare_workspaces`` binds those that
        match an existing project and names the customer of the others, then the workspace
        mapping applies them.  Ids the PSA does not return are reported; their projects are
        left as they are.  No workspace mapping: nothing is read."""
        mapping = self.env["sync.mapping"].search(
            [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)], limit=1
        )
        if not mapping:
            return {"skipped": "no projects mapping"}
        records = adapter.read_batch(psa.PROJECTS, ids)
        self._prepare_workspaces(backend, records)
        stats = mapping._apply_page(records, job=job)
        if notes := mapping._deletion_outcome(records, ids):
            stats["remote_deletions"] = notes
        stats["not_found"] = len(set(ids) - {r.get("id") for r in records})
        return stats

    @api.model
    def _create_default_mappings(self, backends):
        """Projects <-> workspaces: pushed through the outbox (name; the Odoo id marks the
        workspace so a retried create finds it), status and budget pulled back; existing
        workspaces bind to existing projects by reference, or by name + customer
        (``_bind_referenced_projects``), not by name alone."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in backends:
            if Mapping.search_count(
                [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)]
            ):
                continue
            created |= Mapping.create(
                {
                    "name": f"{backend.name}: projects",
                    "backend_id": backend.id,
                    "remote_object": psa.PROJECTS,
                    "res_model": "project.project",
                    "delete_policy": "binding",
                    "export_create": True,
                    "export_domain": "[('allow_timesheets', '=', True)]",
                    "line_ids": [
                        line_command("name", "name", owner="odoo", direction="both"),
                        line_command("customer_id", "partner_id", "identity", owner="odoo"),
                        line_command("_odoo_ref", "id", owner="odoo", direction="export"),
                        line_command("status", "psa_status"),
                        line_command("budget_cents", "psa_budget_cents", "int"),
                        line_command("budget_used_cents", "psa_budget_used_cents", "int"),
                        line_command("currency", "psa_currency"),
                    ],
                }
            )
        return created
