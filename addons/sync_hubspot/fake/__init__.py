"""Wire-level HubSpot fake for tests and the sandbox demo (stdlib + werkzeug, no Odoo)."""

from . import webhooks
from .server import HubSpotFake
