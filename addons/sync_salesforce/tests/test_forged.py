# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.tests.webhook_suite import WebhookForgedMixin

from .webhook_profile import SalesforceProfile


@tagged("-at_install", "post_install", "sync_reliability")
class TestForgedSalesforce(WebhookForgedMixin, HttpCase):
    profile = SalesforceProfile()
