# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every PSA backend does, whatever its vendor: a connector registers its backend kind as
a PSA (``KIND_ROLES[kind] = "psa"``, sync_core); such backends pull projects through the PSA's
project preparation, read time and expenses in larger transactions, re-read the records of
their change feed, are scheduled by the pull cron (`sync.psa._schedule`) and show what their
sync made (bindings, imported hours, expenses)."""

from odoo import api, fields, models

from odoo.addons.sync_core.models.sync_backend_health import ROLE_FLAGS

from .. import psa
from .sync_psa import SWEEP_EVERY, TARGETS

ROLE_FLAGS["is_psa"] = "psa"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    psa_event_feed = fields.Boolean(
        string="Use the change feed",
        default=True,
        help="Read the PSA's change feed (the days it keeps) as the fast path; the filtered "
        "lists are the fallback when the feed has a gap.",
    )
    psa_expense_product_id = fields.Many2one(
        "product.product",
        string="Default expense product",
        domain=[("can_be_expensed", "=", True)],
        help="Expense category used when no expensable product is named after the PSA's "
        "category.",
    )
    is_psa = fields.Boolean(string="PSA", compute="_compute_role_flags")
    psa_binding_count = fields.Integer(string="Bindings", compute="_compute_psa_counts")
    psa_timesheet_hours = fields.Float(string="Timesheet hours", compute="_compute_psa_counts")
    psa_expense_count = fields.Integer(string="Expenses", compute="_compute_psa_counts")

    def _psa_sweep_every(self):
        """How often the approval sweep reads the last days again (a timedelta): daily, unless
        the PSA approves without stamping its records more often than that (a connector says)."""
        return SWEEP_EVERY

    def _compute_psa_counts(self):
        """What the PSA sync made in Odoo: bindings, imported timesheet hours and expenses."""
        psa_backends = self.filtered(lambda b: b._plays("psa") and b.id)
        (self - psa_backends).update(
            {"psa_binding_count": 0, "psa_timesheet_hours": 0.0, "psa_expense_count": 0}
        )
        if not psa_backends:
            return
        domain = [("backend_id", "in", psa_backends.ids)]
        bindings = dict(
            self.env["sync.binding"].sudo()._read_group(domain, ["backend_id"], ["__count"])
        )
        domain = [("psa_backend_id", "in", psa_backends.ids)]
        hours = dict(
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(domain, ["psa_backend_id"], ["unit_amount:sum"])
        )
        expenses = dict(
            self.env["hr.expense"].sudo()._read_group(domain, ["psa_backend_id"], ["__count"])
        )
        for backend in psa_backends:
            backend.psa_binding_count = bindings.get(backend, 0)
            backend.psa_timesheet_hours = hours.get(backend, 0.0)
            backend.psa_expense_count = expenses.get(backend, 0)

    def action_psa_open_bindings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_core.sync_binding_action")
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"group_by": ["remote_object"]}
        return action

    def action_psa_open_timesheets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Timesheets from %(psa)s", psa=self.name),
            "res_model": "account.analytic.line",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("hr_timesheet.hr_timesheet_line_tree").id, "list"),
                (False, "form"),
            ],
            "domain": [("psa_backend_id", "=", self.id)],
        }

    def action_psa_open_expenses(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Expenses from %(psa)s", psa=self.name),
            "res_model": "hr.expense",
            "view_mode": "list,form",
            "domain": [("psa_backend_id", "=", self.id)],
        }

    @api.model
    def _psa_kinds(self):
        """The backend kinds that are PSAs: each PSA connector registers its kind as "psa" in
        sync_core's `KIND_ROLES`."""
        return self._role_kinds("psa")

    def _system_role(self):
        return "psa" if self._plays("psa") else super()._system_role()

    def _health_objects(self):
        """Its mappings, and the time and expenses the PSA layer pulls itself."""
        objects = super()._health_objects()
        if self._plays("psa"):
            objects.update(self.env["sync.psa"]._health_objects())
        return objects

    # ------------------------------------------------------------------ change feed
    def _webhook_job_values(self, event):
        """A change of the PSA's feed -> a batched re-read of the record's current state."""
        if self._plays("psa"):
            values = self.env["sync.psa"]._import_job_values(
                event["object_name"], event["external_id"], backend=self
            )
            if values:
                return values
        return super()._webhook_job_values(event)

    # ------------------------------------------------------------------ pulls
    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        """PSA projects (workspaces): bind those that match an existing project (external
        reference, name + customer) and name the customer of the others first, then apply the
        page through the workspace mapping (a new project for each unbound workspace)."""
        if self._plays("psa") and object_name == psa.PROJECTS and apply_page is None:
            mapping = self.env["sync.mapping"]._for(self, object_name)

            def apply_page(page):
                self.env["sync.psa"]._prepare_workspaces(self, page)
                return mapping._apply_page(page, job=job, dry_run=dry_run)

        return super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)

    def _golive_pulls(self):
        """Besides the lists the scheduler pulls (feed or not): time, expenses, milestones and
        people, each through its own job (a go-live preview rehearses them)."""
        pulls = super()._golive_pulls()
        if not self._plays("psa"):
            return pulls
        seen = {pull["object"] for pull in pulls}
        pulls += [
            {
                "object": obj,
                "kind": "psa_pull",
                "payload": {"object": obj},
                "identity": f"pull:{obj}",
            }
            for obj in psa.IMPORTED
            if obj not in seen
        ]
        if psa.PEOPLE not in seen:
            pulls.append(
                {
                    "object": psa.PEOPLE,
                    "kind": "psa_people",
                    "payload": {},
                    "identity": "psa:people",
                }
            )
        return pulls

    def _rehearsal_keyed(self, object_name):
        keyed = super()._rehearsal_keyed(object_name)
        target = TARGETS.get(object_name) if self._plays("psa") else None
        if target:
            keyed[target["model"]] = (target["id_field"], [("psa_backend_id", "=", self.id)])
        return keyed

    def _pull_pages_per_commit(self, object_name):
        if self._plays("psa") and object_name in (psa.TIME, psa.EXPENSES):
            return self.env["sync.psa"]._pages_per_commit()
        return super()._pull_pages_per_commit(object_name)

    # ------------------------------------------------------------------ schedule
    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        for backend in self.search([("kind", "in", self._psa_kinds())]):
            self.env["sync.psa"]._schedule(backend, scheduled=True)
        return res

    def action_psa_sync(self):
        for backend in self.filtered(lambda b: b._plays("psa")):
            self.env["sync.psa"]._schedule(backend)
        return True

    def action_psa_create_default_mappings(self):
        self.env["sync.psa"]._create_default_mappings(self)
        return True

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_step(self, step):
        """Demo "sync": the sandbox PSA reads what was logged on the workspaces the set-up's
        projects became (approved time, expenses, people), as its next scheduled sync would."""
        res = super()._demo_step(step)
        if step == "sync":
            for backend in self.search([("kind", "in", self._psa_kinds()), ("sandbox", "=", True)]):
                self.env["sync.psa"]._schedule(backend)
        return res
