# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Jira Cloud + Tempo backend kind: credentials, adapter, record links, registration as a
PSA and the sandbox demo.  What every PSA backend does is sync_psa's (``psa_backend``)."""

from datetime import timedelta
from functools import partial

from odoo import api, fields, models

from odoo.addons.sync_core.models.sync_backend import ADAPTERS, kind_option
from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS
from odoo.addons.sync_core.models.sync_backend_health import KIND_ROLES
from odoo.addons.sync_core.secret_fields import SecretChar

from .. import jira_adapter

MANAGER = "sync_core.sync_core_group_manager"
ADAPTERS["jira"] = (jira_adapter.JiraTempoAdapter, jira_adapter.TEMPO_MAX)
DEMO_SETUPS["sync_jira"] = "_jira_demo_setup"
KIND_ROLES["jira"] = "psa"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("jira", "Jira Cloud + Tempo (PSA)")
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
    # Tempo's OAuth 2.0 app (Tempo > Settings > OAuth 2.0 applications); its access token is
    # kept in tempo_api_token.  Without a client id, Tempo stays on its API token.
    tempo_client_id = fields.Char(string="Tempo OAuth client id", groups=MANAGER, copy=False)
    tempo_client_secret = SecretChar(string="Tempo OAuth client secret", groups=MANAGER, copy=False)
    tempo_refresh_token = SecretChar(groups=MANAGER, copy=False)
    tempo_token_expires_at = fields.Datetime(readonly=True, copy=False)
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

    @api.model
    def _kind_defaults(self, kind):
        """Tempo has no change feed: a Jira backend pulls its filtered lists and sweeps."""
        return {"psa_event_feed": False} if kind == "jira" else super()._kind_defaults(kind)

    # ------------------------------------------------------------------ adapter
    def _oauth_providers(self):
        """Atlassian 3LO, then Tempo's app when it has a client id (sync_core's Connect)."""
        if self.kind != "jira":
            return super()._oauth_providers()
        tempo = ("tempo",) if self.sudo().tempo_client_id else ()
        return {key: jira_adapter.OAUTH[key] for key in ("atlassian", *tempo)}

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind != "jira":
            return config
        me = self.sudo()
        config.update(
            jira_email=me.jira_email or "",
            jira_token=me.jira_api_token or "",
            tempo_url=me.tempo_url or jira_adapter.TEMPO_URL,
            tempo_token=me.tempo_api_token or "",
            milestone_label=me.jira_milestone_label or "milestone",
        )
        if me.auth_mode == "oauth":
            config.update(
                jira_server=f"{me._oauth_url(jira_adapter.GATEWAY)}/ex/jira/{me.oauth_resource_id}",
                jira_bearer=me._oauth_token("atlassian"),
                jira_refresh=partial(me._oauth_token, "atlassian", force=True),
            )
            if me.tempo_client_id:
                config["tempo_token"] = me._oauth_token("tempo")
                config["refresh"] = partial(me._oauth_token, "tempo", force=True)
        return config

    # ------------------------------------------------------------------ demo
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
            },
            employee=DEMO["employee"],
        )
        self._psa_demo_order(DEMO["customer"], DEMO["project"], "Jira delivery (timesheets)", 110)
        self.env["sync.psa"]._schedule(backend)
        return backend
