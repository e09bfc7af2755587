"""Serve the Dataverse (Dynamics 365) fake in the foreground.

``python addons/sync_dynamics/fake --port 8995 --seed demo`` (or ``python -m fake`` from
``addons/sync_dynamics``).  The Entra ID authority is ``http://127.0.0.1:PORT`` with tenant
``contoso``; the application's client id and secret are printed at start.
"""

import logging
import os
import sys

_logger = logging.getLogger("dataverse_fake")

# (account, its contact, opportunity: name, statecode, lines [(product number, qty, price)])
DEMO_ROWS = (
    ({"name": "Alpine Robotics", "websiteurl": "alpine-robotics.example",
      "telephone1": "+41 44 555 01 00", "address1_city": "Zurich",
      "address1_country": "Switzerland"},
     {"fullname": "Mara Keller", "emailaddress1": "mara@alpine-robotics.example",
      "jobtitle": "COO"},
     ("Alpine Dynamics rollout", 1, [("D365-ROLLOUT", 8, 1100.0)])),
    ({"name": "Baltic Freight", "websiteurl": "baltic-freight.example",
      "telephone1": "+372 555 0200", "address1_city": "Tallinn", "address1_country": "Estonia"},
     {"fullname": "Jaan Tamm", "emailaddress1": "jaan@baltic-freight.example",
      "jobtitle": "IT lead"},
     ("Baltic field service pilot", 0, [("D365-ROLLOUT", 3, 1100.0)])),
)  # fmt: skip


def seed_demo(fake):
    """Accounts with a contact and an opportunity each: the first won (an order and a
    project in Odoo), the second open (mirrored when the backend says so)."""
    product = fake.add("products", {"productnumber": "D365-ROLLOUT", "name": "Rollout workshop"})
    for account_values, contact_values, (name, state, lines) in DEMO_ROWS:
        account = fake.add("accounts", account_values)
        fake.add("contacts", {**contact_values, "_parentcustomerid_value": account})
        opportunity = fake.add("opportunities", {
            "name": name, "statecode": state, "statuscode": 3 if state == 1 else 1,
            "stepname": "3-Propose", "estimatedvalue": sum(q * p for _s, q, p in lines),
            "estimatedclosedate": "2026-12-18", "_parentaccountid_value": account,
            "_transactioncurrencyid_value": fake.currencies["USD"],
            "_owningbusinessunit_value": fake.unit_id,
        })  # fmt: skip
        for _sku, quantity, price in lines:
            fake.add("opportunityproducts", {
                "_opportunityid_value": opportunity, "_productid_value": product,
                "quantity": quantity, "priceperunit": price, "manualdiscountamount": 0.0,
            })  # fmt: skip


OPTIONS = (("--tenant", "contoso"), ("--client-id", "demo-app-id"),
           ("--client-secret", "demo-app-secret"))  # fmt: skip


def _banner(args, fake):
    return (
        f"Dataverse fake on {{base_url}} (organization {fake.org_id})",
        f"Entra ID authority {{base_url}}/{args.tenant}, client {args.client_id}",
    )


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import DataverseFake

    fake_main(argv, 8995, OPTIONS, lambda a: DataverseFake(a.tenant, a.client_id, a.client_secret),
              seed_demo, _banner, _logger, prog="dataverse-fake",
              description=__doc__.splitlines()[0])  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
