"""Wire-level HubSpot fake for tests and the sandbox demo (stdlib + werkzeug; serving through
sync_core's plain `ServedFake`)."""

import os

import odoo.addons

# Run on its own (``python addons/sync_hubspot/fake``): the repository's addons as odoo.addons.*
_ADDONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not any(os.path.isdir(os.path.join(p, "sync_core")) for p in odoo.addons.__path__):
    odoo.addons.__path__.append(_ADDONS)

from . import webhooks  # noqa: E402
from .server import HubSpotFake  # noqa: E402
