import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields
from odoo.tests import HttpCase, TransactionCase
from odoo.tools import SQL

from odoo.addons.sync_core.fake.server import GenericFake


class SyncCase(TransactionCase):
    """A generic backend wired to a real HTTP fake, and a partner mapping with one field of
    each system of record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.fake = GenericFake(token="secret-token")
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Generic test",
                "kind": "generic",
                "base_url": cls.fake.base_url,
                "api_token": "secret-token",
                "webhook_secret": "whsec-test",
                "page_size": 50,
                "timeout": 5,
            }
        )
        cls.mapping = cls.env["sync.mapping"].create(
            {
                "name": "Customers",
                "backend_id": cls.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "default_values": "{'is_company': True}",
                "line_ids": [
                    (0, 0, {"remote_field": "name", "odoo_field": "name", "owner": "remote"}),
                    (
                        0,
                        0,
                        {
                            "remote_field": "email",
                            "odoo_field": "email",
                            "transform": "lower",
                            "owner": "remote",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "remote_field": "phone",
                            "odoo_field": "phone",
                            "owner": "odoo",
                            "direction": "both",
                        },
                    ),
                    (0, 0, {"remote_field": "website", "odoo_field": "website", "owner": "latest"}),
                    (0, 0, {"remote_field": "vat", "odoo_field": "vat", "owner": "remote"}),
                    (
                        0,
                        0,
                        {
                            "remote_field": "country",
                            "odoo_field": "country_id",
                            "transform": "ref:country_code",
                            "owner": "remote",
                        },
                    ),
                ],
                "match_ids": [
                    (
                        0,
                        0,
                        {
                            "remote_field": "vat",
                            "odoo_field": "vat",
                            "method": "iexact",
                            "sequence": 1,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "remote_field": "email",
                            "odoo_field": "email",
                            "method": "email_domain",
                            "sequence": 2,
                            "extra_domain": "[('is_company', '=', True)]",
                        },
                    ),
                ],
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.reset()

    @contextmanager
    def worker_env(self):
        """An environment on a cursor of its own, as a cron worker has (test mode: commits
        become savepoint releases inside the test transaction)."""
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            yield api.Environment(cr, self.env.uid, {})
        self.env.invalidate_all()

    def run_jobs(self):
        """Run the job runner cron as the scheduler would."""
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def make_due(self, jobs):
        jobs.write({"eta": jobs[:1].create_date - timedelta(days=1)})
        self.env.flush_all()

    def binding_of(self, external_id):
        return self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", external_id)]
        )

    def partner_of(self, external_id):
        binding = self.binding_of(external_id)
        return self.env["res.partner"].browse(binding.res_id)

    def pull(self, dry_run=False):
        job = self.env["sync.job"]._enqueue(
            self.backend,
            "pull",
            payload={"object": "customers"},
            identity_key="pull:customers" + (":dry" if dry_run else ""),
            dry_run=dry_run,
        )
        self.run_jobs()
        return job


def retry_from_form(case, exc):
    """Press Retry on an exception's form: a request of its own (own cursor, test mode), that
    runs a one-record job at once.  Returns the notification action."""
    with case.enter_registry_test_mode(), case.registry.cursor() as cr:
        env = api.Environment(cr, case.env.uid, {})
        action = (
            env["sync.exception"].browse(exc.id).with_context(sync_retry_now=True).action_retry()
        )
    case.env.invalidate_all()
    return action


def drain_jobs(case, backend, wait=3, rounds=50):
    """Run the job runner cron, as the scheduler would, until no pending job of `backend` is
    due within `wait` seconds (a job its channel's throttle holds back longer than that is
    left, as the runner's re-trigger would).  Works in TransactionCase (registry test mode for
    the runner's own cursors) and HttpCase (already in test mode)."""
    cron = case.env.ref("sync_core.ir_cron_sync_job_runner")
    in_test_mode = isinstance(case, HttpCase)
    for _round in range(rounds):
        if in_test_mode:
            case.env.flush_all()
            cron.method_direct_trigger()
        else:
            with case.enter_registry_test_mode():
                cron.method_direct_trigger()
        case.env.invalidate_all()
        horizon = fields.Datetime.now() + timedelta(seconds=wait)
        due = case.env["sync.job"].search(
            [("backend_id", "=", backend.id), ("state", "=", "pending"), ("eta", "<=", horizon)]
        )
        if not due or any(c.blocked_until and c.blocked_until > horizon for c in due.channel_id):
            return
        time.sleep(0.5)


# (rows, distinct) of the projects of the orders whose origin is LIKE the given pattern
PROJECTS_OF_ORDERS = (
    "SELECT count(*), count(DISTINCT o.origin) FROM project_project p"
    " JOIN sale_order_line l ON l.id = p.sale_line_id JOIN sale_order o ON o.id = l.order_id"
    " WHERE o.origin LIKE '%s'"
)


def duplicate_counts(case, backend, extra=()):
    """{what: (rows, distinct)} of what the sync wrote for `backend`: its events (by delivery
    identity), its bindings (by remote record), then each (what, sql) of `extra`: a query
    giving (rows, distinct) with the backend's id as %(backend)s."""
    case.env.flush_all()
    queries = (
        ("events", "SELECT count(*), count(DISTINCT dedup_key) FROM sync_event"
                   " WHERE backend_id = %(backend)s"),
        ("bindings", "SELECT count(*), count(DISTINCT (res_model, external_id))"
                     " FROM sync_binding WHERE backend_id = %(backend)s"),
        *extra,
    )  # fmt: skip
    counts = {}
    for what, sql in queries:
        case.env.cr.execute(sql, {"backend": backend.id})
        counts[what] = case.env.cr.fetchone()
    return counts


def log_duplicates(logger, subject, how, total, noun, counts):
    """Log the suite's figure line (`RELIABILITY: duplicates <subject>: ...`, collected into the
    table at the end of `make test`); returns the number of rows doubled."""
    doubled = sum(rows - distinct for rows, distinct in counts.values())
    logger.info(
        "RELIABILITY: duplicates %s: %s: %s duplicates of %s %s (%s)",
        subject,
        how,
        doubled,
        total,
        noun,
        ", ".join(f"{what} {rows}" for what, (rows, _d) in counts.items()),
    )
    return doubled


def row_counts(env, tables):
    """{table: rows} after a flush: what a preview or a dry run must leave unchanged."""
    env.flush_all()
    out = {}
    for table in tables:
        env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
        out[table] = env.cr.fetchone()[0]
    return out


def go_live_as_worker(case, preview):
    """*Go live* on a cursor of its own, as a request would run it (its pulls commit)."""
    case.env.flush_all()
    with case.enter_registry_test_mode(), case.registry.cursor() as cr:
        case.env(cr=cr)["sync.golive.preview"].browse(preview.id).action_go_live()
    case.env.invalidate_all()
