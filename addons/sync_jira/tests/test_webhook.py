# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Jira admin webhooks posted to the engine's inbox: signed with the webhook secret
(``X-Hub-Signature: sha256=<hex HMAC of the body>``) or, without a secret, unsigned; an
event only names what is read again from the fake."""

import json
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.signatures import hmac_hex
from odoo.addons.sync_psa import psa

from .common import JiraCase

SECRET = "jira-webhook-secret-1234"


@tagged("-at_install", "post_install")
class TestJiraWebhook(JiraCase, HttpCase):
    def body(self, event, obj, oid, **extra):
        """A Jira Cloud webhook body (the shape of developer.atlassian.com's examples)."""
        return json.dumps(
            {"timestamp": int(time.time() * 1000), "webhookEvent": event,
             obj: {"id": oid, "key": f"K-{oid}", **extra}}
        ).encode()  # fmt: skip

    def post(self, body, signature=None, delivery="d-1", secret=SECRET):
        headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery}
        if signature is None and secret:
            signature = f"sha256={hmac_hex(secret, body)}"
        if signature:
            headers["X-Hub-Signature"] = signature
        url = f"{self.base_url()}/sync/jira/{self.backend.webhook_token}"
        return self.url_open(url, data=body, headers=headers)

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_signed_event_stored_once_and_queues_a_reread(self):
        self.backend.webhook_secret = SECRET
        body = self.body("jira:issue_updated", "issue", self.issue)
        res = self.post(body)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(self.post(body).status_code, 200, "a redelivery")
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.delivery_count, 2)
        self.assertEqual((event.object_name, event.external_id), (psa.MILESTONES, self.issue))
        self.assertEqual(event.job_id.kind_id.code, "psa_import")

    def test_forged_or_unsigned_refused_when_a_secret_is_set(self):
        self.backend.webhook_secret = SECRET
        body = self.body("jira:issue_updated", "issue", self.issue)
        res = self.post(body, signature=f"sha256={hmac_hex('guessed-secret', body)}")
        self.assertEqual(res.status_code, 401)
        self.assertEqual(res.json()["reason"], "bad signature")
        res = self.post(body, secret=None)
        self.assertEqual(res.status_code, 401)
        self.assertIn("X-Hub-Signature", res.json()["reason"])
        self.assertFalse(self.events())

    def test_unsigned_issue_event_rereads_the_milestone_not_the_body(self):
        milestone = self.env["project.milestone"].create(
            {"name": "Go-live", "project_id": self.project.id}
        )
        issue = self.fake.add_issue(self.jira_project, "Go-live", labels=["milestone"], done=True)
        # no secret on the backend: accepted unsigned; the body's claims are not read
        body = self.body("jira:issue_updated", "issue", issue, fields={"summary": "Injected"})
        self.assertEqual(self.post(body, secret=None).status_code, 200)
        self.run_jobs()
        self.assertTrue(milestone.is_reached)
        self.assertEqual(milestone.name, "Go-live")

    def test_deleted_project_is_a_remote_deletion(self):
        projects = self.env["sync.psa"]._projects(
            self.backend, {self.jira_project}, self.backend._get_adapter(), None
        )
        self.assertEqual(projects[self.jira_project], self.project)
        del self.fake.projects[self.jira_project]
        body = self.body("project_deleted", "project", int(self.jira_project))
        self.assertEqual(self.post(body, secret=None).status_code, 200)
        job = self.events().job_id
        self.assertEqual(job.kind_id.code, "psa_import")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertIn(f"projects {self.jira_project} is not returned by Jira test", job.result)
        self.assertTrue(self.project.exists())

    def test_created_project_binds_the_existing_one_of_that_name_and_customer(self):
        """A new Jira project by webhook goes through the pull's project preparation: the
        Odoo project of its name and of its Tempo account's customer is bound, not doubled."""
        Project = self.env["project.project"]
        existing = Project.create({"name": "Beta  rollout", "partner_id": self.customer.id})
        Project.create({"name": "Beta rollout"})  # same name, no customer: not this one
        jira_id = self.fake.add_project("BETA", "Beta Rollout", account="ACME")
        body = self.body("project_created", "project", int(jira_id))
        self.assertEqual(self.post(body, secret=None).status_code, 200)
        job = self.events().job_id
        self.assertEqual(job.kind_id.code, "psa_import")
        count = Project.search_count([])
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(Project.search_count([]), count, "no second project")
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", jira_id)]
        )
        self.assertEqual((binding.res_model, binding.res_id), ("project.project", existing.id))

    def test_other_events_ignored_malformed_rejected(self):
        self.assertEqual(self.post(self.body("comment_created", "comment", "7"), secret=None)
                         .status_code, 200)  # fmt: skip
        self.assertFalse(self.events().job_id)
        res = self.post(b'{"issue": {"id": "1"}}', secret=None, delivery="d-2")
        self.assertEqual(res.status_code, 400)
