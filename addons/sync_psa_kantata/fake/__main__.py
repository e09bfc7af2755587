"""Serve the Kantata OX fake in the foreground.

``python addons/sync_psa_kantata/fake --port 8992 --token kantata-demo --seed demo``
(or ``python -m fake`` from ``addons/sync_psa_kantata``).
"""

import logging
import os
import sys

_logger = logging.getLogger("kantata_fake")

# The demo's won HubSpot deal ("Acme Robotics - Warehouse automation") creates a project in
# Odoo; the outbox pushes it to Kantata as a workspace, and the consultants start logging time
# on it: approved and unapproved time, and one approved expense.  Mitchell Admin is an Odoo
# employee (work email); Priya is not, so her hours wait in one "employee missing" exception.
# The bill rate is the price per hour of the deal's installation service (125.00 EUR), so the
# demo's reconciliation ties out but for Priya's hours.
DEMO_CUSTOMER = "Acme Robotics"
DEMO_PEOPLE = (
    ("Mitchell Admin", "admin@yourcompany.example.com"),
    ("Priya Consultant", "priya.consultant@example.com"),
)
DEMO_TIME = (
    (240, True, 0, "Site survey"),
    (480, True, 0, "Robot cell programming"),
    (90, False, 0, "Commissioning (awaiting approval)"),
    (300, True, 1, "Safety review"),
)


def seed_time(fake, workspace, users):
    for minutes, approved, who, notes in DEMO_TIME:
        fake.add_time_entry(
            workspace["id"], users[who]["id"], minutes, approved=approved, notes=notes,
            currency="EUR", rate_in_cents=12500, cost_rate_in_cents=6500,
        )  # fmt: skip
    fake.add_expense(
        workspace["id"], users[0]["id"], 18450, notes="Train to Brussels", currency="EUR"
    )


def seed_demo(fake):
    """Demo people; time is logged on the first workspace pushed for the demo customer."""
    users = [fake.add_user(name, email) for name, email in DEMO_PEOPLE]
    for user in users:  # their cost per hour (an employee without one gets it)
        fake.set_cost_rate(user["id"], 6500, currency="EUR")
    seeded = []

    def on_created(fake, workspace):
        if workspace["title"].startswith(DEMO_CUSTOMER) and not seeded:
            seeded.append(workspace["id"])
            seed_time(fake, workspace, users)

    fake.on_workspace_created.append(on_created)
    return users


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import KantataFake

    fake_main(argv, 8992, (("--token", "kantata-demo", "OAuth bearer token"),),
              lambda args: KantataFake(token=args.token), seed_demo,
              lambda args, _fake: ("Kantata OX fake on {base_url}", f"bearer token {args.token}"),
              _logger, prog="kantata-fake", description=__doc__.splitlines()[0])  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
