import random

from odoo.tests import BaseCase

from odoo.addons.sync_core import retry
from odoo.addons.sync_core.exceptions import WebhookAuthError
from odoo.addons.sync_core.mapping import field_applies, map_inbound, parse_datetime
from odoo.addons.sync_core.signatures import sign_generic, verify_generic


class TestRetryPattern(BaseCase):
    def test_pattern_steps(self):
        pattern = "1:10, 3:60, 5:300"
        self.assertEqual(
            [retry.base_delay(pattern, a) for a in range(1, 7)], [10, 10, 60, 60, 300, 300]
        )

    def test_jitter_bounds(self):
        rng = random.Random(42)
        low, high = retry.jitter_bounds("1:100", 1, jitter=0.2)
        self.assertEqual((low, high), (80.0, 120.0))
        delays = [retry.delay_with_jitter("1:100", 1, 0.2, rng=rng) for _i in range(500)]
        self.assertTrue(all(80.0 <= d <= 120.0 for d in delays))
        self.assertGreater(max(delays) - min(delays), 20, "jitter spreads the retries")

    def test_retry_after_wins_when_longer(self):
        self.assertEqual(retry.delay_with_jitter("1:10", 1, jitter=0, retry_after=90), 90)
        self.assertEqual(retry.delay_with_jitter("1:10", 1, jitter=0, retry_after=2), 10)

    def test_bad_patterns(self):
        for bad in ("", "x", "0:10", "1:-5", "1-10"):
            with self.assertRaises(ValueError):
                retry.parse_pattern(bad)


class TestMappingLogic(BaseCase):
    LINES = [
        {
            "remote_field": "n",
            "odoo_field": "name",
            "direction": "import",
            "owner": "remote",
            "transform": "str",
        },
        {
            "remote_field": "p",
            "odoo_field": "phone",
            "direction": "both",
            "owner": "odoo",
            "transform": "str",
        },
        {
            "remote_field": "w",
            "odoo_field": "website",
            "direction": "import",
            "owner": "latest",
            "transform": "str",
        },
    ]

    def test_owner_rules(self):
        old, new = parse_datetime("2024-01-01T00:00:00Z"), parse_datetime("2024-06-01T00:00:00Z")
        rec = {"n": " Acme ", "p": "1", "w": "acme.com"}
        vals, _refs, conflicts = map_inbound(self.LINES, rec, is_new=True)
        self.assertEqual(vals, {"name": "Acme", "phone": "1", "website": "acme.com"})
        vals, _refs, conflicts = map_inbound(self.LINES, rec, False, new, old)
        self.assertEqual(vals, {"name": "Acme", "website": "acme.com"})
        self.assertEqual(conflicts, ["phone"])
        vals, _refs, conflicts = map_inbound(self.LINES, rec, False, old, new)
        self.assertEqual(vals, {"name": "Acme"})
        self.assertEqual(sorted(conflicts), ["phone", "website"])
        self.assertFalse(field_applies("remote", False, new, old, inbound=False))
        self.assertTrue(field_applies("odoo", False, new, old, inbound=False))

    def test_parse_datetime(self):
        self.assertEqual(parse_datetime("1714557600000"), parse_datetime("2024-05-01T10:00:00Z"))
        self.assertFalse(parse_datetime(""))


class TestGenericSignature(BaseCase):
    def test_sign_verify(self):
        headers = sign_generic("s3cret", b'{"a":1}', timestamp=1_700_000_000)
        verify_generic(
            "s3cret",
            b'{"a":1}',
            headers["X-Sync-Signature"],
            headers["X-Sync-Timestamp"],
            now=1_700_000_010,
        )
        with self.assertRaises(WebhookAuthError):
            verify_generic(
                "s3cret",
                b'{"a":2}',
                headers["X-Sync-Signature"],
                headers["X-Sync-Timestamp"],
                now=1_700_000_010,
            )
        with self.assertRaises(WebhookAuthError):
            verify_generic(
                "other",
                b'{"a":1}',
                headers["X-Sync-Signature"],
                headers["X-Sync-Timestamp"],
                now=1_700_000_010,
            )
        with self.assertRaisesRegex(WebhookAuthError, "stale"):
            verify_generic(
                "s3cret",
                b'{"a":1}',
                headers["X-Sync-Signature"],
                headers["X-Sync-Timestamp"],
                now=1_700_000_000 + 301,
            )
