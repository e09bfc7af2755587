"""Wire-level Dataverse Web API fake (tests and the sandbox demo)."""

import os

import odoo.addons

# Run on its own (``python addons/sync_dynamics/fake``), the repository's addons are made
# importable as odoo.addons.* (sync_core's serving helpers).
_ADDONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not any(os.path.isdir(os.path.join(p, "sync_core")) for p in odoo.addons.__path__):
    odoo.addons.__path__.append(_ADDONS)

from .server import DataverseFake  # noqa: E402
