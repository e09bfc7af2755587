"""Serve the Salesforce fake in the foreground.

``python addons/sync_salesforce/fake --port 8991 --seed demo`` (or ``python -m fake`` from
``addons/sync_salesforce``).  Log in with the password flow (username, password and security
token printed at start) or the client credentials flow, on login URL ``http://127.0.0.1:PORT``.
"""

import argparse
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


def main(argv=None):
    from odoo.addons.sync_core.fake.serving import serve_until_interrupted

    from .server import SalesforceFake

    parser = argparse.ArgumentParser(prog="salesforce-fake", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8991)
    parser.add_argument("--username", default="integration@example.com")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--security-token", default="DEMOTOKEN")
    parser.add_argument("--consumer-key", default="fake-consumer-key")
    parser.add_argument("--consumer-secret", default="fake-consumer-secret")
    parser.add_argument("--seed", choices=("demo", "none"), default="demo")
    parser.add_argument(
        "--accounts", type=int, default=0, help="generated accounts to add (benchmarks)"
    )
    args = parser.parse_args(argv)
    fake = SalesforceFake(
        username=args.username,
        password=args.password,
        security_token=args.security_token,
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
    )
    if args.seed == "demo":
        seed_demo(fake)
    for i in range(args.accounts):
        fake.add("Account", {"Name": f"Account {i:07d}", "Website": f"a{i}.example"})
    serve_until_interrupted(
        fake,
        args.port,
        _logger,
        f"Salesforce fake on {{base_url}} (org {fake.org_id})",
        f"user {args.username}, security token {args.security_token}",
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # importing the package ``fake`` makes sync_core importable
    import fake  # noqa: F401, I001  pylint: disable=unused-import
    from odoo.addons.sync_core.fake.serving import run_main

    run_main(main, __package__)
