"""Serve the Salesforce fake in the foreground.

``python addons/sync_salesforce/fake --port 8991 --seed demo`` (or ``python -m fake`` from
``addons/sync_salesforce``).  Log in with the password flow (username, password and security
token printed at start) or the client credentials flow, on login URL ``http://127.0.0.1:PORT``.
"""

import logging
import os
import sys

_logger = logging.getLogger("salesforce_fake")

DEMO_ACCOUNTS = (
    {"Name": "Umbrella Industrial", "Website": "umbrella-industrial.example",
     "Phone": "+32 2 555 11 00", "BillingCity": "Ghent", "BillingCountry": "Belgium"},
    {"Name": "Stark Components", "Website": "stark-components.example",
     "Phone": "+49 30 5550 2200", "BillingCity": "Berlin", "BillingCountry": "Germany"},
)  # fmt: skip
DEMO_CONTACTS = (
    ({"FirstName": "Dana", "LastName": "Vermeulen", "Email": "dana@umbrella-industrial.example",
      "Title": "Plant Manager"}, 0),
    ({"FirstName": "Erik", "LastName": "Schmidt", "Email": "erik@stark-components.example",
      "Title": "Purchasing"}, 1),
)  # fmt: skip

# Product2 records: the first one's code is created in Odoo by the demo set-up, the second
# one is unknown to Odoo (its won opportunity waits on a missing-product exception).
DEMO_PRODUCTS = (
    {"Name": "CRM rollout consulting (day)", "ProductCode": "SF-CONSULT", "Family": "Services"},
    {"Name": "Admin training (day)", "ProductCode": "SF-TRAINING", "Family": "Services"},
)
# (opportunity, account index, [(product index, quantity, unit price, discount %)])
DEMO_OPPORTUNITIES = (
    ({"Name": "Umbrella CRM rollout", "StageName": "Closed Won", "CloseDate": "2026-11-20"},
     0, [(0, 10, 1200.0, 0.0)]),
    ({"Name": "Stark admin training", "StageName": "Closed Won", "CloseDate": "2026-11-25"},
     1, [(1, 3, 900.0, 10.0)]),
    ({"Name": "Stark phase 2", "StageName": "Prospecting", "CloseDate": "2027-03-31"},
     1, [(0, 20, 1200.0, 0.0)]),
)  # fmt: skip


def seed_demo(fake, currency="USD"):
    """Fill ``fake`` with the demo org's accounts, contacts, products and opportunities with
    their line items; return the account ids."""
    accounts = [fake.add("Account", values) for values in DEMO_ACCOUNTS]
    for values, index in DEMO_CONTACTS:
        fake.add("Contact", {**values, "AccountId": accounts[index]})
    products = [fake.add("Product2", {**p, "CurrencyIsoCode": currency}) for p in DEMO_PRODUCTS]
    for values, index, lines in DEMO_OPPORTUNITIES:
        opportunity = fake.add(
            "Opportunity", {**values, "AccountId": accounts[index], "CurrencyIsoCode": currency}
        )
        for product, quantity, price, discount in lines:
            fake.add(
                "OpportunityLineItem",
                {"OpportunityId": opportunity, "Product2Id": products[product],
                 "Quantity": quantity, "UnitPrice": price, "Discount": discount,
                 "CurrencyIsoCode": currency},
            )  # fmt: skip
    return accounts


# the fake's keyword arguments, each with its flag (--security-token) and default
CREDENTIALS = {"username": "integration@example.com", "password": "demo-password",
               "security_token": "DEMOTOKEN", "consumer_key": "fake-consumer-key",
               "consumer_secret": "fake-consumer-secret"}  # fmt: skip
OPTIONS = (*((f"--{name.replace('_', '-')}", value) for name, value in CREDENTIALS.items()),
           ("--accounts", 0, "generated accounts to add (benchmarks)"))  # fmt: skip


def _add_accounts(fake, args):
    for i in range(args.accounts):
        fake.add("Account", {"Name": f"Account {i:07d}", "Website": f"a{i}.example"})


def _banner(args, fake):
    return (
        f"Salesforce fake on {{base_url}} (org {fake.org_id})",
        f"user {args.username}, security token {args.security_token}",
    )


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import fake_main

    from .server import SalesforceFake

    def make(args):
        return SalesforceFake(**{name: getattr(args, name) for name in CREDENTIALS})

    fake_main(argv, 8991, OPTIONS, make, seed_demo, _banner, _logger, then=_add_accounts,
              prog="salesforce-fake", description=__doc__.splitlines()[0])  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
