# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every HR backend does, whatever its vendor: a connector registers its kind as an HR
platform (``KIND_ROLES[kind] = "hr"``, sync_core); such backends pull employees, compensation
and time off on the pull cron, re-read employees named by webhooks and reconcile their ids
nightly."""

from odoo import api, fields, models

from odoo.addons.sync_core.models.sync_backend_health import ROLE_FLAGS

from .. import hr

ROLE_FLAGS["is_hr"] = "hr"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    is_hr = fields.Boolean(string="HR platform", compute="_compute_role_flags")
    hr_leave_type_ids = fields.One2many("sync.hr.leave.type", "backend_id", string="Time-off types")
    hr_leave_days_back = fields.Integer(
        string="Time off read back (days)",
        default=90,
        help="Time-off requests are read from this many days ago to a year ahead.",
    )

    hr_odoo_owned_field_ids = fields.Many2many(
        "ir.model.fields",
        "sync_backend_hr_odoo_owned_field_rel",
        string="Employee fields Odoo owns",
        domain=[("model", "=", "hr.employee")],
        groups="sync_core.sync_core_group_manager",
        help="Employee fields the HR platform fills when it creates an employee but never "
        "overwrites afterwards (e.g. the job title kept in Odoo). Every other field it sends "
        "is owned by the HR platform.",
    )

    def _health_objects(self):
        objects = super()._health_objects()
        if self._plays("hr"):
            objects[hr.EMPLOYEES] = "Employees"
        return objects

    def _golive_pulls(self):
        """The employee pull (its own job; a go-live preview rehearses it)."""
        pulls = super()._golive_pulls()
        if self._plays("hr") and hr.EMPLOYEES not in {pull["object"] for pull in pulls}:
            pulls.append(
                {"object": hr.EMPLOYEES, "kind": "hr_pull", "payload": {}, "identity": "hr:pull"}
            )
        return pulls

    def _webhook_job_values(self, event):
        """An employee changed in the HR platform -> a batched re-read of it by id (its
        compensation too): the event's own values are never applied (nor kept in the job)."""
        if self._plays("hr"):
            return {
                "kind": "hr_import",
                "identity_key": f"hr:import:{event['external_id']}",
                "batch_key": "hr:import",
                "payload": {"ids": [event["external_id"]]},
            }
        return super()._webhook_job_values(event)

    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        for backend in self.search([("kind", "in", self._role_kinds("hr"))]):
            if backend._pull_due(hr.EMPLOYEES):
                self.env["sync.hr"]._schedule(backend)
        return res

    @api.model
    def _cron_hr_reconcile(self):
        for backend in self.search([("kind", "in", self._role_kinds("hr"))]):
            self.env["sync.job"]._enqueue(backend, "hr_reconcile", identity_key="hr:reconcile")

    def action_hr_sync(self):
        for backend in self.filtered(lambda b: b._plays("hr")):
            self.env["sync.hr"]._schedule(backend)
        return True

    def action_hr_reconcile(self):
        for backend in self.filtered(lambda b: b._plays("hr")):
            self.env["sync.job"]._enqueue(backend, "hr_reconcile", identity_key="hr:reconcile")
        return True

    @api.model
    def _demo_step(self, step):
        res = super()._demo_step(step)
        if step == "sync":
            for backend in self.search(
                [("kind", "in", self._role_kinds("hr")), ("sandbox", "=", True)]
            ):
                self.env["sync.hr"]._schedule(backend)
        return res
