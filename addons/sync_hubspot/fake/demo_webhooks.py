"""Send a few signed HubSpot webhooks of the demo portal to Odoo, so its inbox is not empty.

    python addons/sync_hubspot/fake/demo_webhooks.py --url <the backend's webhook URL>

The fake is asked for its companies and deals (HubSpot's list API), then one batch of v3-signed
property-change events is posted to the webhook URL (as HubSpot delivers them), and the same
batch once more (a redelivery: Odoo counts it, stores nothing twice).  ``setup/demo.sh`` runs it
once Odoo answers; run it again to see more deliveries in Sync > Events.
"""

import argparse
import json
import logging
import os
import sys
import urllib.request

if __package__:
    from .webhooks import build_event, send
else:  # run as a file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from webhooks import build_event, send  # pylint: disable=import-error


_logger = logging.getLogger("hubspot_fake.webhooks")


def _ids(fake_url, token, object_type):
    request = urllib.request.Request(
        f"{fake_url}/crm/v3/objects/{object_type}?limit=10",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [row["id"] for row in json.load(response)["results"]]


def demo_events(fake_url, token, portal_id):
    """Property changes of the demo portal's companies (name) and deals (stage)."""
    events = [
        build_event("company.propertyChange", cid, portal_id=portal_id, property_name="name")
        for cid in _ids(fake_url, token, "companies")
    ]
    events += [
        build_event("deal.propertyChange", did, portal_id=portal_id, property_name="dealstage")
        for did in _ids(fake_url, token, "deals")
    ]
    return events


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the HubSpot backend's webhook URL")
    parser.add_argument("--fake", default="http://127.0.0.1:8990", help="the HubSpot fake")
    parser.add_argument("--token", default="pat-demo")
    parser.add_argument("--client-secret", default="fake-client-secret")
    parser.add_argument("--portal-id", type=int, default=62515)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    events = demo_events(args.fake, args.token, args.portal_id)
    for label in ("delivery", "redelivery"):
        status, body = send(args.url, events, args.client_secret)
        _logger.info("%s HubSpot events (%s): HTTP %s %s", len(events), label, status, body)
        if status != 200:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
