"""What every connector's backend does the same way, written once: the connection test and
its stored result, an OAuth access token fetched again and stored, default mappings loaded
from a connector's declarative data, binding values."""

from datetime import timedelta

from odoo import api, fields, models

from ..connection import ConnectionInfo
from ..exceptions import SyncError
from ..mapping import line_command, match_command
from ..ui import notification_then_reload

# kind -> the sync.backend field that keeps the account id a connection test learnt
ACCOUNT_ID_FIELDS = {}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    connection_info = fields.Json(
        string="Connection facts",
        readonly=True,
        copy=False,
        help="What the last successful connection test learnt: the account, the user, the "
        "limits left and the warnings.",
    )
    connection_text = fields.Text(string="Last successful test", compute="_compute_connection_text")

    @api.depends("connection_info")
    def _compute_connection_text(self):
        for backend in self:
            info = backend.connection_info
            backend.connection_text = ConnectionInfo.from_dict(info).summary() if info else False

    # ------------------------------------------------------------------ connection test
    def action_test_connection(self):
        self.ensure_one()
        now = fields.Datetime.now()
        try:
            info = self._get_adapter().test_connection()
        except SyncError as exc:
            # kept (no exception raised, so the status is saved) and shown: the form reloads
            self.write({"state": "error", "status_message": exc.message, "last_test_at": now})
            title, message, kind = self.env._("Connection failed"), exc.message, "danger"
        else:
            if not isinstance(info, ConnectionInfo):  # a plain text (a connector of old)
                info = ConnectionInfo(str(info))
            message = info.summary()
            self.write(
                {
                    "state": "ok",
                    "status_message": message,
                    "last_test_at": now,
                    "connection_info": info.as_dict(),
                }
            )
            self._connection_tested(info)
            title, kind = self.env._("Connection OK"), "success"
        return notification_then_reload(title, message, kind)

    def _connection_tested(self, info):
        """Hook: keep what a successful test learnt (`info`: a ConnectionInfo); the account id
        goes to the kind's field in `ACCOUNT_ID_FIELDS` (webhooks are checked against it)."""
        self.ensure_one()
        if info.account_id and self.kind in ACCOUNT_ID_FIELDS:
            self[ACCOUNT_ID_FIELDS[self.kind]] = info.account_id
        return True

    # ------------------------------------------------------------------ OAuth
    def _oauth_access_token(
        self, fetch, token_field, refresh_field=None, expires_field=None, force=False, margin=None
    ):
        """The access token to send now.  It is fetched again (``fetch(current)``, `current`:
        the credential fields' values -> ``{"access_token", "refresh_token"?, "expires_in"?}``)
        when there is none, when it expires within `margin` (with `expires_field`) or when
        `force`d (the remote refused it with a 401: the adapter's ``refresh``).  The new token
        (and a rotated refresh token, its expiry) is stored in a transaction of its own
        (`_store_credentials`): a job that fails afterwards does not lose it."""
        self.ensure_one()
        me = self.sudo()
        names = [name for name in (token_field, refresh_field, expires_field) if name]
        current = {name: me[name] for name in names}
        # a token this process refreshed after this transaction began (or that a failed job
        # refreshed) replaces the one the row still shows here
        current.update(me._fresh_credentials(token_field, me[token_field]))
        token = current[token_field]
        now = fields.Datetime.now()
        expires = current.get(expires_field) if expires_field else None
        valid = token and (
            not expires_field or (expires and expires - (margin or timedelta()) > now)
        )
        if valid and not force:
            return token
        tokens = fetch(current)
        values = {token_field: tokens["access_token"]}
        if refresh_field:
            values[refresh_field] = tokens.get("refresh_token") or current[refresh_field]
        if expires_field:
            values[expires_field] = now + timedelta(seconds=tokens.get("expires_in") or 0)
        me._store_credentials(values, token_field=token_field, replaced=token or None)
        return values[token_field]

    # ------------------------------------------------------------------ default mappings
    def _create_default_mappings(self, specs, kind=None):
        """Create the mappings of `specs` (a connector's declarative data, see
        `sync_core.mapping_defaults`) this backend does not have yet (by remote object), on
        the backends of `kind` only when given: idempotent, and the created mappings stay
        editable."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in self.filtered(lambda b: not kind or b.kind == kind):
            existing = set(
                Mapping.search([("backend_id", "=", backend.id)]).mapped("remote_object")
            )
            vals_list = []
            for spec in specs:
                if spec["remote_object"] in existing:
                    continue
                values = {k: v for k, v in spec.items() if k not in ("lines", "matches")}
                values["backend_id"] = backend.id
                values["line_ids"] = [_line(*line) for line in spec.get("lines", ())]
                values["match_ids"] = [match_command(*match) for match in spec.get("matches", ())]
                vals_list.append(values)
            created |= Mapping.create(vals_list)
        return created


def _line(remote, odoo, transform="str", ref_object=False):
    return line_command(remote, odoo, transform, ref_object=ref_object)
