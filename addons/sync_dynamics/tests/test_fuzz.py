# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.tests.webhook_suite import WebhookForgedMixin, WebhookFuzzMixin

from .webhook_profile import DynamicsProfile


@tagged("-at_install", "post_install", "sync_reliability")
class TestFuzzDynamics(WebhookFuzzMixin, HttpCase):
    profile = DynamicsProfile()


@tagged("-at_install", "post_install", "sync_reliability")
class TestForgedDynamics(WebhookForgedMixin, HttpCase):
    profile = DynamicsProfile()
