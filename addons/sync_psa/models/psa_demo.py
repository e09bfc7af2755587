# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a PSA connector's sandbox demo (`make demo`) needs on the Odoo side, written once,
whatever its vendor: the sandbox backend with the PSA's default mappings and its connection
tested, a customer's confirmed order of a timesheet-billed service whose project a remote
project binds to (by name + customer), and the consultant who is an employee."""

from odoo import api, models

# The demo's consultant who is an Odoo employee (the PSA fakes' demo seeds log his time).
DEMO_EMPLOYEE = ("Mitchell Admin", "admin@yourcompany.example.com")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _psa_demo_backend(self, values, employee=DEMO_EMPLOYEE):
        """The sandbox PSA backend of `values` (``kind``, ``name``, ``base_url``, credentials):
        the sandbox of that kind and URL when there is one, else a new one; with the PSA's
        default mappings, its connection tested (its status and account on the form) and the
        consultant of the demo seeds (`employee`: name, work e-mail) an employee (the other
        consultant is not, and her hours wait for one).  The connector then schedules its
        first sync."""
        backend = self._demo_backend(values)
        self.env["sync.psa"]._create_default_mappings(backend)
        backend.action_test_connection()
        self._psa_demo_employee(*employee)
        return backend

    @api.model
    def _psa_demo_order(self, customer_name, project_name, product_name, price):
        """The customer's confirmed order of a timesheet-billed service (`product_name` at
        `price` an hour); its project is renamed `project_name`.  Nothing when that project
        exists."""
        Project = self.env["project.project"]
        if Project.search_count([("name", "=", project_name)]):
            return Project.browse()
        Partner = self.env["res.partner"]
        customer = Partner.search(
            [("name", "=", customer_name), ("parent_id", "=", False)], limit=1
        )
        customer = customer or Partner.create({"name": customer_name, "is_company": True})
        service = self.env["product.product"].create(
            {
                "name": product_name,
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "project_only",
                "list_price": price,
                "uom_id": self.env.ref("uom.product_uom_hour").id,
            }
        )
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": service.id})]}
        )
        order.action_confirm()
        order.order_line.project_id.name = project_name
        return order.order_line.project_id

    @api.model
    def _psa_demo_employee(self, name, email):
        """The employee of work e-mail `email` (archived ones count), created when missing."""
        Employee = self.env["hr.employee"].with_context(active_test=False)
        return Employee.search([("work_email", "=ilike", email)], limit=1) or Employee.create(
            {"name": name, "work_email": email}
        )
