from odoo.tests import HttpCase, tagged

from .webhook_suite import WebhookForgedMixin, WebhookProfile


@tagged("-at_install", "post_install", "sync_reliability")
class TestForgedGeneric(WebhookForgedMixin, HttpCase):
    profile = WebhookProfile()
