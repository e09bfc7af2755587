from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import retry


class SyncJobKind(models.Model):
    """What a job does and how it is retried (like queue_job's job functions)."""

    _name = "sync.job.kind"
    _description = "Sync Job Kind"
    _order = "code"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical name used by code that enqueues jobs.")
    model_name = fields.Char(required=True, help="Model whose method runs the job.")
    method_name = fields.Char(
        required=True, help="Method run with the job as argument; its name must start with _job_."
    )
    max_attempts = fields.Integer(default=5, required=True)
    retry_pattern = fields.Char(
        default=retry.DEFAULT_PATTERN,
        required=True,
        help="attempt:seconds pairs, e.g. '1:10, 3:60, 5:300': from attempt 3 on, wait 60 s.",
    )
    jitter = fields.Float(
        default=0.2, help="Random spread of retry delays, as a fraction (0.2 = plus or minus 20%)."
    )
    priority = fields.Integer(default=10, help="Default priority of new jobs (lower runs first).")
    batch_size = fields.Integer(
        default=1,
        help="Jobs of this kind with the same batch key that one worker runs together "
        "(e.g. 100 webhook re-fetches of one object become one batch read).",
    )
    timeout = fields.Integer(
        string="Timeout (s)",
        default=3600,
        help="A job of this kind still running this many seconds after it started (or after "
        "its last progress, e.g. a pull's applied page) is hung: its worker's database "
        "session is ended and the job retried (attempt counted, unless it saved progress) or, "
        "after the last attempt, dead-lettered. A single database statement longer than this "
        "is cancelled too. 0 = no timeout.",
    )
    retry_window = fields.Integer(
        string="Retry window (s)",
        default=86400,
        help="A failed attempt that saved progress (e.g. a pull that committed pages) does not "
        "count as an attempt; such retries stop this many seconds after the job's first "
        "attempt: the job is then dead-lettered with an exception that says so. 0 = no limit.",
    )
    lock_timeout = fields.Integer(
        string="Lock wait (s)",
        default=30,
        help="Seconds a job waits for a row another transaction holds before giving way; the "
        "job is then retried shortly, like after a serialization failure, without spending "
        "an attempt or opening an exception. 0 = wait without limit.",
    )
    active = fields.Boolean(default=True)

    _code_uniq = models.Constraint("UNIQUE(code)", "A job kind code must be unique.")

    @api.constrains(
        "retry_pattern",
        "jitter",
        "max_attempts",
        "method_name",
        "timeout",
        "lock_timeout",
        "retry_window",
    )
    def _check_pattern(self):
        for kind in self:
            try:
                retry.parse_pattern(kind.retry_pattern)
            except ValueError as exc:
                raise ValidationError(
                    self.env._("Invalid retry pattern: %(err)s", err=str(exc))
                ) from exc
            if not 0 <= kind.jitter < 1:
                raise ValidationError(self.env._("Jitter must be between 0 and 1."))
            if kind.timeout < 0 or kind.lock_timeout < 0 or kind.retry_window < 0:
                raise ValidationError(self.env._("Timeouts cannot be negative."))
            if kind.max_attempts < 1:
                raise ValidationError(self.env._("A job needs at least one attempt."))
            if not kind.method_name.startswith("_job_"):
                raise ValidationError(self.env._("Job methods must start with _job_."))

    def _next_delay(self, attempt, retry_after=None):
        self.ensure_one()
        return retry.delay_with_jitter(
            self.retry_pattern, attempt, jitter=self.jitter, retry_after=retry_after
        )
