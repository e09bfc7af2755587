import base64
import binascii
import json

from odoo import fields, models
from odoo.exceptions import UserError


class SyncConfigImport(models.TransientModel):
    """Upload a configuration file (or pick a restore point), see what it changes, apply it."""

    _name = "sync.config.import"
    _description = "Sync: import or roll back a configuration"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    upload = fields.Binary(string="Configuration file")
    upload_name = fields.Char()
    snapshot_id = fields.Many2one("sync.config.snapshot", string="Restore point")
    state = fields.Selection([("upload", "Upload"), ("review", "Review")], default="upload")
    problems_text = fields.Text(string="Cannot be applied", readonly=True)
    diff_text = fields.Text(string="Changes", readonly=True)

    def _document(self):
        self.ensure_one()
        if self.snapshot_id:
            text = self.snapshot_id.content
        elif self.upload:
            try:
                text = base64.b64decode(self.upload).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise UserError(self.env._("The file is not UTF-8 text: %s", exc)) from exc
        else:
            raise UserError(self.env._("Upload a configuration file first."))
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UserError(self.env._("The file is not valid JSON: %s", exc)) from exc

    def _label(self):
        if self.snapshot_id:
            return self.env._("Roll back to %(name)s (#%(id)s)", name=self.snapshot_id.name,
                              id=self.snapshot_id.id)  # fmt: skip
        return self.env._("Import of %s", self.upload_name or self.env._("a file"))

    def action_review(self):
        """Resolve and diff; nothing is written to the configuration."""
        self.ensure_one()
        doc = self._document()
        problems = self.backend_id._config_problems(doc)
        diff = [] if problems else self.backend_id._config_diff(doc)
        self.write(
            {
                "state": "review",
                "problems_text": "\n".join(f"- {p}" for p in problems) or False,
                "diff_text": "\n".join(diff) or self.env._("No change"),
            }
        )
        return self._reopen()

    def action_apply(self):
        self.ensure_one()
        self.backend_id._config_apply(self._document(), self._label())
        return {
            "type": "ir.actions.act_window",
            "res_model": "sync.config.snapshot",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.backend_id.id)],
            "name": self.env._("Restore points"),
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import configuration"),
        }
