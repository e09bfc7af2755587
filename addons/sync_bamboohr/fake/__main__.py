"""Serve the BambooHR fake in the foreground.

``python addons/sync_bamboohr/fake --port 8996 --company fakeco --key bamboo-demo --seed demo``
"""

import logging
import os
import sys
from datetime import date, timedelta

_logger = logging.getLogger("bamboohr_fake")


def seed_demo(fake):
    """A department with its manager (who arrives after his report), a cost rate history
    (a yearly salary, then a rise), and an approved vacation next month."""
    report = fake.add_employee(
        "Nora", "Analyst", "nora.analyst@example.com",
        job_title="Analyst", department="Delivery", location="Brussels",
    )  # fmt: skip
    # the work e-mail of Odoo's demo employee Marc Demo: the HR sync links him by work e-mail
    # (and takes over his HR-owned fields) instead of making a second Marc Demo
    manager = fake.add_employee(
        "Marc", "Demo", "mark.brown23@example.com",
        job_title="Head of Delivery", department="Delivery", location="Brussels",
    )  # fmt: skip
    fake.update_employee(report["id"], supervisorEId=manager["id"])
    year = date.today().year
    fake.add_compensation(report["id"], f"{year}-01-01", 83200, paid_per="Year", currency="EUR")
    fake.add_compensation(manager["id"], f"{year}-01-01", 75.0, paid_per="Hour", currency="EUR")
    start = date.today().replace(day=1) + timedelta(days=40)
    fake.add_time_off(report["id"], start.isoformat(), (start + timedelta(days=2)).isoformat())


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import BambooHRFake

    fake_main(argv, 8996, (("--company", "fakeco"), ("--key", "bamboo-demo")),
              lambda args: BambooHRFake(company=args.company, api_key=args.key), seed_demo,
              lambda args, _fake: ("BambooHR fake on {base_url}/api/gateway.php/" + args.company,),
              _logger, seed="none", description=__doc__)  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
