"""Serve the HubSpot fake in the foreground.

``python addons/sync_hubspot/fake --port 8990 --token pat-demo --seed demo``
(or ``python -m fake`` from ``addons/sync_hubspot``).
"""

import logging
import os
import sys

_logger = logging.getLogger("hubspot_fake")

# Demo portal: (companies), (contacts, company index), one won deal with two SKU line items.
DEMO_COMPANIES = (
    {"name": "Acme Robotics", "domain": "acme-robotics.example", "city": "Brussels",
     "country": "Belgium", "phone": "+32 2 555 01 00"},
    {"name": "Globex Logistics", "domain": "globex.example", "city": "Antwerp",
     "country": "Belgium", "phone": "+32 3 555 02 00"},
    {"name": "Initech Services", "domain": "initech.example", "city": "Lyon",
     "country": "France", "phone": "+33 4 55 03 00 00"},
)  # fmt: skip
DEMO_CONTACTS = (
    ({"firstname": "Alice", "lastname": "Martin", "email": "alice@acme-robotics.example",
      "jobtitle": "Operations Manager"}, 0),
    ({"firstname": "Carla", "lastname": "Janssens", "email": "carla@acme-robotics.example",
      "jobtitle": "Buyer"}, 0),
    ({"firstname": "Bob", "lastname": "Peeters", "email": "bob@globex.example",
      "jobtitle": "CTO"}, 1),
)  # fmt: skip
DEMO_DEAL = {
    "dealname": "Acme Robotics - Warehouse automation",
    "dealstage": "closedwon",
    "pipeline": "default",
    "amount": "12500.00",
    "closedate": "2024-05-01T10:00:00.000Z",
    "deal_currency_code": "EUR",
}
DEMO_LINE_ITEMS = (
    {"name": "Robot arm RA-200", "hs_sku": "RA-200", "quantity": "2", "price": "5000.00"},
    {"name": "Installation service", "hs_sku": "SRV-INSTALL", "quantity": "20", "price": "125.00"},
)


# A second won deal whose line item has a SKU Odoo does not sell: the demo shows it in the
# exception queue (missing reference), for a finance user to resolve.
DEMO_DEAL_PROBLEM = {
    "dealname": "Globex Logistics - Security audit",
    "dealstage": "closedwon",
    "pipeline": "default",
    "amount": "4000.00",
    "closedate": "2024-05-03T10:00:00.000Z",
    "deal_currency_code": "EUR",
}
DEMO_LINE_ITEM_PROBLEM = {
    "name": "Security audit",
    "hs_sku": "SRV-AUDIT",
    "quantity": "1",
    "price": "4000.00",
}


def seed_demo(fake):
    """Fill ``fake`` with the demo portal; return the id of the deal that flows cleanly."""
    companies = [fake.add("companies", values) for values in DEMO_COMPANIES]
    contacts = [
        fake.add("contacts", values, associations=[("companies", companies[index])])
        for values, index in DEMO_CONTACTS
    ]
    deal = fake.add(
        "deals",
        DEMO_DEAL,
        associations=[("companies", companies[0]), ("contacts", contacts[0])],
    )
    for values in DEMO_LINE_ITEMS:
        fake.add("line_items", values, associations=[("deals", deal)])
    problem = fake.add(
        "deals",
        DEMO_DEAL_PROBLEM,
        associations=[("companies", companies[1]), ("contacts", contacts[2])],
    )
    fake.add("line_items", DEMO_LINE_ITEM_PROBLEM, associations=[("deals", problem)])
    fake.pop_events()
    return deal


OPTIONS = (("--token", "pat-demo", "private app access token"), ("--client-id", "fake-client-id"),
           ("--client-secret", "fake-client-secret"), ("--portal-id", 62515))  # fmt: skip


def _banner(args, fake):
    return (
        f"HubSpot fake on {{base_url}} (portal {args.portal_id})",
        f"private app token: {args.token}",
        f"OAuth refresh token: {fake.issue_tokens()['refresh_token']}",
    )


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import HubSpotFake

    def make(args):
        names = ("token", "portal_id", "client_id", "client_secret")
        return HubSpotFake(**{name: getattr(args, name) for name in names})

    fake_main(argv, 8990, OPTIONS, make, seed_demo, _banner, _logger,
              prog="hubspot-fake", description=__doc__.splitlines()[0])  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
