# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.sync_core.models.sync_mapping import NO_EXPORT

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestProjects(PsaCase):
    def workspaces_titled(self, title):
        return [w for w in self.fake.data["workspaces"].values() if w["title"] == title]

    def test_order_project_pushed_as_workspace_with_a_reference(self):
        (workspace,) = self.workspaces_titled(self.project.name)
        self.assertEqual(workspace["id"], self.workspace_id)
        (ref,) = self.fake.references_of("workspaces", workspace["id"])
        self.assertEqual(
            (ref["service_model"], ref["service_model_ref"]),
            ("project.project", str(self.project.id)),
        )

    def test_project_pushed_exactly_once_under_retries(self):
        # Kantata creates the workspace but the answer is lost: the retry finds it by its
        # external reference instead of creating a twin
        posts = len(self.fake.calls("POST", "/workspaces"))
        self.fake.fail_next(503, method="POST", path="/workspaces", after_apply=True)
        project = self.env["project.project"].create({"name": "Warehouse retrofit"})
        self.run_jobs()
        job = self.env["sync.job"].search(
            [("kind", "=", "export"), ("res_id", "=", project.id), ("res_model", "=",
             "project.project")]
        )  # fmt: skip
        self.assertEqual(job.state, "pending", "retried later")
        job.eta = job.create_date - timedelta(days=1)
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.workspaces_titled("Warehouse retrofit")), 1)
        self.assertEqual(len(self.fake.calls("POST", "/workspaces")), posts + 1)
        binding = self.binding_of(project.id, "project.project")
        self.assertEqual(binding.external_id, self.workspaces_titled("Warehouse retrofit")[0]["id"])
        # a rename goes out as an update of the same workspace
        project.name = "Warehouse retrofit phase 1"
        self.run_jobs()
        self.assertEqual(
            self.fake.data["workspaces"][binding.external_id]["title"],
            "Warehouse retrofit phase 1",
        )
        self.assertEqual(len(self.fake.calls("POST", "/workspaces")), posts + 1)

    def test_status_and_budget_come_back_and_existing_workspaces_bind_by_name(self):
        self.fake.update(
            "workspaces",
            self.workspace_id,
            status={"color": "yellow", "key": 320, "message": "At risk"},
            price_in_cents=1250000,
            budget_used_in_cents=300000,
            currency="EUR",
        )
        existing = (
            self.env["project.project"]
            .with_context(**{NO_EXPORT: True})
            .create({"name": "Existing Engagement"})
        )
        remote = self.fake.add_workspace("existing  engagement", price_in_cents=500000)
        self.pull_workspaces()
        self.assertEqual(self.project.psa_status, "At risk")
        self.assertEqual(self.project.psa_budget_cents, 1250000)
        self.assertEqual(self.project.psa_budget, 12500.0)
        self.assertEqual(self.project.psa_budget_used_cents, 300000)
        self.assertEqual(self.project.psa_currency, "EUR")
        binding = self.binding_of(remote["id"], "project.project", external=True)
        self.assertEqual(binding.res_id, existing.id, "bound by name, not duplicated")
        self.assertEqual(existing.psa_budget_cents, 500000)

    def test_workspace_with_an_odoo_reference_binds_to_that_project(self):
        renamed = (
            self.env["project.project"]
            .with_context(**{NO_EXPORT: True})
            .create({"name": "Internal name"})
        )
        remote = self.fake.add_workspace("Customer-facing name")
        self.fake._external_reference(
            {
                "external_reference": {
                    "service_name": "Odoo",
                    "service_model": "project.project",
                    "service_model_ref": str(renamed.id),
                    "subject_id": remote["id"],
                    "subject_type": "Workspace",
                }
            }
        )
        projects_before = self.env["project.project"].search_count([])
        self.pull_workspaces()
        binding = self.binding_of(remote["id"], "project.project", external=True)
        self.assertEqual(binding.res_id, renamed.id)
        self.assertEqual(self.env["project.project"].search_count([]), projects_before)
        self.assertEqual(renamed.name, "Internal name", "Odoo owns the name")

    def pull_workspaces(self):
        self.enqueue("pull", {"object": "projects"}, "pull:projects")
        self.run_jobs()

    def test_existing_workspaces_bind_by_name_and_customer(self):
        Project = self.env["project.project"].with_context(**{NO_EXPORT: True})
        globex = self.env["res.partner"].create({"name": "Globex", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Hank", "parent_id": globex.id})
        acme_site = Project.create({"name": "Website", "partner_id": self.customer.id})
        globex_site = Project.create({"name": "Website", "partner_id": contact.id})
        for_globex = self.fake.add_workspace("website ", client="globex")
        for_initech = self.fake.add_workspace("Website", client="Initech")
        self.pull_workspaces()
        binding = self.binding_of(for_globex["id"], "project.project", external=True)
        self.assertEqual(binding.res_id, globex_site.id, "same name and the client's company")
        initech = self.binding_of(for_initech["id"], "project.project", external=True)
        self.assertTrue(initech.res_id, "another customer: a new project, bound")
        self.assertNotIn(initech.res_id, (acme_site | globex_site).ids, "another customer")
        self.assertFalse(self.binding_of(acme_site.id, "project.project"))

    def test_unmatched_workspaces_become_projects_with_their_customer(self):
        globex = self.env["res.partner"].create({"name": "Globex  Corp", "is_company": True})
        self.env["res.partner"].create({"name": "Globex Corp", "parent_id": globex.id})
        known = self.fake.add_workspace("Data platform", client="globex corp", price_in_cents=900)
        unknown = self.fake.add_workspace("ERP rollout", client="Initech")
        no_client = self.fake.add_workspace("Internal tooling")
        partners = self.env["res.partner"].search_count([])
        self.pull_workspaces()
        self.assertFalse(self.exceptions(remote_object="projects"), "nothing refused")
        Project = self.env["project.project"]
        for remote, name in ((known, "Data platform"), (unknown, "ERP rollout"),
                             (no_client, "Internal tooling")):  # fmt: skip
            binding = self.binding_of(remote["id"], "project.project", external=True)
            project = Project.browse(binding.res_id)
            self.assertEqual(project.name, name)
            self.assertTrue(project.alias_id, "the ORM made the project's mail alias")
        data_platform = Project.browse(
            self.binding_of(known["id"], "project.project", external=True).res_id
        )
        self.assertEqual(data_platform.partner_id, globex, "the company, not its contact")
        self.assertEqual(data_platform.psa_budget_cents, 900)
        erp = Project.browse(
            self.binding_of(unknown["id"], "project.project", external=True).res_id
        )
        self.assertEqual(erp.partner_id.name, "Initech")
        self.assertTrue(erp.partner_id.is_company)
        self.assertEqual(self.env["res.partner"].search_count([]), partners + 1, "Initech only")
        tooling = self.binding_of(no_client["id"], "project.project", external=True)
        self.assertFalse(Project.browse(tooling.res_id).partner_id)
        # a second pull changes nothing: every workspace is bound to its project
        projects = Project.search_count([])
        self.fake.update("workspaces", unknown["id"], price_in_cents=5000)
        self.pull_workspaces()
        self.assertEqual(Project.search_count([]), projects)
        self.assertEqual(erp.psa_budget_cents, 5000)
        self.assertEqual(erp.partner_id.name, "Initech")

    def test_time_on_an_unknown_workspace_creates_its_project(self):
        remote = self.fake.add_workspace("Support retainer", client="Acme Robotics")
        entry = self.fake.add_time_entry(remote["id"], self.alice_user["id"], 90)
        self.pull()
        line = self.line_of(entry)
        self.assertEqual(line.unit_amount, 1.5)
        self.assertEqual(line.project_id.name, "Support retainer")
        self.assertEqual(line.project_id.partner_id, self.customer)
        binding = self.binding_of(remote["id"], "project.project", external=True)
        self.assertEqual(binding.res_id, line.project_id.id)
