"""OAuth 2.0 callback: thin.  The backend checks the state and stores the tokens; the admin
goes on to the next consent or back to the backend's form (which shows a token error), or
reads a short page saying why the answer was refused."""

import logging

from markupsafe import escape

from odoo import http
from odoo.http import request

from ..models.sync_backend_oauth import CALLBACK, OAuthStateError

_logger = logging.getLogger(__name__)


class SyncOAuthController(http.Controller):
    @http.route(CALLBACK, type="http", auth="user", methods=["GET"], readonly=False)
    def sync_oauth_callback(self, state=None, code=None, error=None, **kw):
        Backend = request.env["sync.backend"]
        try:
            backend, following = Backend._oauth_callback(
                state, code, error, kw.get("error_description")
            )
        except OAuthStateError as exc:
            _logger.warning("sync OAuth answer refused (uid %s): %s", request.env.uid, exc)
            title = request.env._("Authorization refused")
            html = f"<html><body><h1>{escape(title)}</h1><p>{escape(str(exc))}</p></body></html>"
            return request.make_response(
                html, headers=[("Content-Type", "text/html; charset=utf-8")], status=400
            )
        return request.redirect(following or f"/odoo/sync.backend/{backend.id}", local=False)
