"""Serve the Jira Cloud + Tempo fake in the foreground.

``python addons/sync_jira/fake --port 8993 --seed demo`` (Jira at the root, Tempo under /4).
"""

import logging
import os
import sys
from datetime import date, timedelta

_logger = logging.getLogger("jira_tempo_fake")

# Sandbox credentials of the fake (not secrets); the demo's Jira project is on the Tempo
# account of the demo customer, and the Odoo project of the same name and customer binds to it.
DEMO = {
    "email": "odoo-sync@example.com",
    "api_token": "jira-demo",
    "tempo_token": "tempo-demo",
    "customer": "Acme Robotics",
    "project": "Acme Robotics - Jira delivery",
    # the consultant who is an Odoo employee (the demo set-up creates him when missing)
    "employee": ("Mitchell Admin", "admin@yourcompany.example.com"),
}


def seed_demo(fake):
    """Last week of two consultants: Mitchell's week approved (billable and non-billable
    seconds), Priya's approved too but her e-mail is hidden (she waits for an employee), this
    week's time still open."""
    account = fake.add_account("ACME", "Acme Robotics support", DEMO["customer"])
    project = fake.add_project("ACME", DEMO["project"], account=account)
    issue = fake.add_issue(project, "Robot cell programming")
    fake.add_issue(project, "Go-live", labels=["milestone"], done=True)
    mitchell = fake.add_user("Mitchell Admin", "admin@yourcompany.example.com")
    priya = fake.add_user("Priya Consultant", "priya.consultant@example.com", visible=False)
    last_week = date.today() - timedelta(days=date.today().weekday() + 7)
    fake.log(issue, mitchell, 4 * 3600, last_week, description="Site survey")
    fake.log(issue, mitchell, 6 * 3600, last_week + timedelta(days=1), billable=5 * 3600,
             description="Programming (1 h internal)")  # fmt: skip
    fake.log(issue, priya, 3 * 3600, last_week + timedelta(days=2), description="Safety review")
    fake.log(issue, mitchell, 2 * 3600, date.today(), description="Commissioning (open week)")
    fake.approve(mitchell, last_week)
    fake.approve(priya, last_week)


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import JiraTempoFake

    def make(_args):
        return JiraTempoFake(DEMO["email"], DEMO["api_token"], DEMO["tempo_token"])

    banner = ("Jira Cloud + Tempo fake on {base_url}",)
    fake_main(argv, 8993, (), make, seed_demo, lambda *_: banner,
              _logger, prog="jira-tempo-fake", description=__doc__.splitlines()[0])  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
