# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Jira Cloud + Tempo backend kind: credentials, adapter, record links, registration as a
PSA and the sandbox demo.  What every PSA backend does is sync_psa's (``psa_backend``)."""

from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.secret_fields import SecretChar

from .. import jira_adapter

MANAGER = "sync_core.sync_core_group_manager"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = fields.Selection(
        selection_add=[("jira", "Jira Cloud + Tempo (PSA)")], ondelete={"jira": "cascade"}
    )
    jira_email = fields.Char(
        string="Jira user e-mail", help="The Atlassian account the API token belongs to."
    )
    jira_api_token = SecretChar(
        groups=MANAGER, copy=False, help="Atlassian API token (Basic auth with the e-mail)."
    )
    tempo_url = fields.Char(string="Tempo API", default=jira_adapter.TEMPO_URL)
    tempo_api_token = SecretChar(
        groups=MANAGER, copy=False, help="Tempo > Settings > API integration: a bearer token."
    )
    jira_milestone_label = fields.Char(
        string="Milestone label",
        default="milestone",
        help="Jira issues with this label are milestones: done in Jira, reached in Odoo.",
    )
    jira_sweep_hours = fields.Integer(
        string="Approval sweep every (hours)",
        default=4,
        help="Tempo approvals stamp no worklog: the worklogs of the last 35 days are read again "
        "with their periods' approvals this often (one approval read per person and period).",
    )

    def _psa_sweep_every(self):
        """Tempo approves whole periods without stamping their worklogs and lists no approval
        changes: the approval sweep runs every ``jira_sweep_hours`` (not daily)."""
        if self.kind == "jira" and self.jira_sweep_hours:
            return timedelta(hours=self.jira_sweep_hours)
        return super()._psa_sweep_every()

    @api.model_create_multi
    def create(self, vals_list):
        """Tempo has no change feed: a Jira backend pulls its filtered lists (and the daily
        approval sweep) unless told otherwise."""
        for vals in vals_list:
            if vals.get("kind") == "jira":
                vals.setdefault("psa_event_feed", False)
        return super().create(vals_list)

    # ------------------------------------------------------------------ adapter
    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "jira":
            me = self.sudo()
            config.update(
                jira_email=me.jira_email or "",
                jira_token=me.jira_api_token or "",
                tempo_url=me.tempo_url or jira_adapter.TEMPO_URL,
                tempo_token=me.tempo_api_token or "",
                milestone_label=me.jira_milestone_label or "milestone",
            )
        return config

    def _get_adapter(self):
        if self.kind == "jira":
            self.ensure_one()
            adapter = jira_adapter.JiraTempoAdapter(self._adapter_config())
            adapter.page_size = min(self.page_size or 200, jira_adapter.TEMPO_MAX)
            return adapter
        return super()._get_adapter()

    # ------------------------------------------------------------------ PSA registration
    @api.model
    def _psa_kinds(self):
        return (*super()._psa_kinds(), "jira")

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_jira"):
            self._jira_demo_setup(fake_urls["sync_jira"])
        return res

    def _jira_demo_setup(self, base_url):
        """Sandbox Jira + Tempo backend on its fake (``python addons/sync_jira/fake --port
        8993 --seed demo``): the fake's demo project (Tempo account of Acme Robotics) whose
        approved week becomes timesheets on the order line of the demo customer's project."""
        from ..fake.__main__ import DEMO  # the fake's credentials, not a secret

        url = base_url.rstrip("/")
        backend = self._psa_demo_backend(
            {
                "name": "Jira + Tempo sandbox",
                "kind": "jira",
                "base_url": url,
                "tempo_url": f"{url}/4",
                "jira_email": DEMO["email"],
                "jira_api_token": DEMO["api_token"],
                "tempo_api_token": DEMO["tempo_token"],
            }
        )
        self._jira_demo_order(DEMO["customer"], DEMO["project"])
        self.env["sync.psa"]._schedule(backend)
        return backend

    def _jira_demo_order(self, customer_name, project_name):
        """The demo customer's confirmed order of a timesheet-billed service; its project is
        renamed after the Jira project, which then binds to it by name + customer."""
        Project = self.env["project.project"]
        if Project.search_count([("name", "=", project_name)]):
            return
        Partner = self.env["res.partner"]
        customer = Partner.search(
            [("name", "=", customer_name), ("parent_id", "=", False)], limit=1
        )
        customer = customer or Partner.create({"name": customer_name, "is_company": True})
        service = self.env["product.product"].create(
            {
                "name": "Jira delivery (timesheets)",
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "project_only",
                "list_price": 110.0,
                "uom_id": self.env.ref("uom.product_uom_hour").id,
            }
        )
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": service.id})]}
        )
        order.action_confirm()
        order.order_line.project_id.name = project_name
