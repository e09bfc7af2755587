"""Credentials of a backend encrypted at rest: which fields are secrets (every SecretChar /
SecretText a connector declares), the form's warning when they cannot be read, and the one
command that encrypts what was stored in clear and re-encrypts everything with the first
configured key (a key rotation)."""

import logging

from psycopg2 import sql

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .. import secrets_at_rest
from ..secret_fields import UNREADABLE_OK, _SecretMixin
from .sync_backend import MANAGER

_logger = logging.getLogger(__name__)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    secret_problem = fields.Char(
        string="Credentials problem",
        compute="_compute_secret_problem",
        help="Why the stored credentials of this backend cannot be read on this server.",
    )

    @api.model
    def _secret_field_names(self):
        """The credential fields stored encrypted (declared with SecretChar / SecretText)."""
        return sorted(
            name
            for name, field in self._fields.items()
            if isinstance(field, _SecretMixin) and field.store
        )

    def _compute_secret_problem(self):
        names = self._secret_field_names()
        for backend in self:
            problem = False
            if backend.id:
                me = backend.sudo().with_context(**{UNREADABLE_OK: False})
                for name in names:
                    try:
                        _plain = me[name]
                    except secrets_at_rest.SecretKeyError as exc:
                        problem = exc.message
                        break
            backend.secret_problem = problem

    def _health_more(self, now):
        red, amber = super()._health_more(now)
        if self.secret_problem:  # the credentials cannot be read: nothing can work
            red = [*red, self.secret_problem]
        return red, amber

    def _read_format(self, fnames, load="_classic_read"):
        # the form and RPC reads show an unreadable credential as empty (secret_problem says
        # why) instead of failing to open the backend
        return super(SyncBackend, self.with_context(**{UNREADABLE_OK: True}))._read_format(
            fnames, load=load
        )

    def init(self):
        """Credentials stored in clear before encryption at rest (or by SQL) are encrypted
        when a module that adds fields to sync.backend is installed or upgraded; without a
        key they stay as they are, unusable, and the log says what to do."""
        super().init()
        try:
            counts = self._secrets_reencrypt(only_clear=True)
        except secrets_at_rest.SecretKeyError as exc:
            _logger.warning("sync credentials stored in clear not encrypted: %s", exc.message)
            return
        if any(counts.values()):
            _logger.info("sync credentials encrypted at rest: %s", counts)

    @api.model
    def _secrets_reencrypt(self, only_clear=False):
        """Encrypt every credential stored in clear and, unless `only_clear`, re-encrypt every
        stored one with the first configured key (the rotation: configure
        `sync_secret_key = <new>,<old>`, run this, then drop the old key).  Works on the
        columns directly (no value goes through the cache or a log); all or nothing: a value
        no configured key opens raises SecretKeyError and nothing is written.
        Returns {field: values written} (counts, never values)."""
        self.env.flush_all()
        counts = {}
        updates = []
        for name in self._secret_field_names():
            query = sql.SQL("SELECT id, {col} FROM sync_backend WHERE {col} IS NOT NULL").format(
                col=sql.Identifier(name)
            )
            self.env.cr.execute(query)
            rows = self.env.cr.fetchall()
            changed = [
                (res_id, secrets_at_rest.rotate(value))
                for res_id, value in rows
                if value and not (only_clear and secrets_at_rest.is_encrypted(value))
            ]
            counts[name] = len(changed)
            updates += [(name, res_id, value) for res_id, value in changed]
        for name, res_id, value in updates:
            self.env.cr.execute(
                sql.SQL("UPDATE sync_backend SET {col} = %s WHERE id = %s").format(
                    col=sql.Identifier(name)
                ),
                [value, res_id],
            )
        if updates:
            self.invalidate_model(self._secret_field_names())
        return counts

    def action_reencrypt_secrets(self):
        """Server action (Sync > Backends > Action): the key rotation of every backend."""
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only sync managers re-encrypt credentials."))
        counts = self._secrets_reencrypt()
        total = sum(counts.values())
        _logger.info("sync credentials re-encrypted by uid %s: %s", self.env.uid, counts)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Credentials re-encrypted"),
                "message": self.env._(
                    "%(count)s stored credentials encrypted with the current key.", count=total
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
