from odoo.tests import HttpCase, tagged

from .webhook_suite import WebhookFuzzMixin, WebhookProfile


@tagged("-at_install", "post_install", "sync_reliability")
class TestFuzzGeneric(WebhookFuzzMixin, HttpCase):
    profile = WebhookProfile()
