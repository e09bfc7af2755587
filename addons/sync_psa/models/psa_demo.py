# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sandbox demo's PSA backend (`make demo`), whatever its vendor: each PSA connector's
`_demo_setup` calls `_psa_demo_backend` with its kind, URL and fake credentials."""

from odoo import api, models

# The demo's consultant who is an Odoo employee (the PSA fakes' demo seeds log his time).
DEMO_EMPLOYEE = ("Mitchell Admin", "admin@yourcompany.example.com")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _psa_demo_backend(self, values):
        """The sandbox PSA backend of `values` (``kind``, ``name``, ``base_url``, credentials):
        the sandbox of that kind and URL when there is one, else a new one; with the PSA's
        default mappings, its connection tested (its status and account on the form) and the
        consultant of the demo seeds an employee (by work e-mail; the other consultant is not,
        and her hours wait for one).  The connector then schedules its first sync."""
        Backend = self.env["sync.backend"]
        domain = [("kind", "=", values["kind"]), ("base_url", "=", values["base_url"])]
        backend = Backend.search([*domain, ("sandbox", "=", True)], limit=1)
        backend = backend or Backend.create({**values, "sandbox": True})
        self.env["sync.psa"]._create_default_mappings(backend)
        backend.action_test_connection()
        Employee = self.env["hr.employee"].with_context(active_test=False)
        if not Employee.search_count([("work_email", "=ilike", DEMO_EMPLOYEE[1])], limit=1):
            Employee.create({"name": DEMO_EMPLOYEE[0], "work_email": DEMO_EMPLOYEE[1]})
        return backend
