"""Forget this person, in the chatter: the messages sync jobs wrote about the person (posted
on the person's record while a job ran, `mail.message.sync_written`) lose their text, and the
tracking values of those messages lose their old and new values; messages the sync wrote on
other records lose the person's identifying values where they mention them.  The messages and
tracking rows stay (the chatter's structure, dates and authors), as do everything people
wrote and the business records themselves.  Counted, never logged with values."""

from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL

from .. import masking
from ..masking import FORGOTTEN

_TEXT_VALUES = ("old_value_char", "new_value_char", "old_value_text", "new_value_text")
_OTHER_VALUES = {
    "old_value_integer": 0,
    "new_value_integer": 0,
    "old_value_float": 0.0,
    "new_value_float": 0.0,
    "old_value_datetime": False,
    "new_value_datetime": False,
}


class SyncForget(models.TransientModel):
    _inherit = "sync.forget"

    @api.model
    def _forget_chatter(self, record, needles):
        """{"messages": n, "tracking values": n} masked (see the module docstring)."""
        Message = self.env["mail.message"].sudo()
        about = Message.search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("sync_written", "=", True)]
        )
        about.write({"body": Markup("<p>%s</p>") % FORGOTTEN, "subject": False})
        mentions = self._sync_rows(
            "mail_message", SQL("body::text ILIKE ANY(%s)", self._patterns(needles)), needles
        )
        for message in Message.browse(mentions) - about:
            message.body = Markup(masking.forget_text(str(message.body), needles)[0])
        Tracking = self.env["mail.tracking.value"].sudo()
        tracked = Tracking.search([("mail_message_id", "in", about.ids)])
        for value in tracked:
            value.write(
                {
                    **{n: FORGOTTEN for n in _TEXT_VALUES if value[n]},
                    **{n: v for n, v in _OTHER_VALUES.items() if value[n]},
                }
            )
        text_hit = SQL(" OR ").join(
            SQL("t.%s ILIKE ANY(%s)", SQL.identifier(n), self._patterns(needles))
            for n in _TEXT_VALUES
        )
        mentioned = Tracking.browse(
            self._sync_rows("mail_tracking_value", SQL("(%s)", text_hit), needles, tracking=True)
        )
        for value in mentioned - tracked:
            value.write(
                {n: masking.forget_text(value[n], needles)[0] for n in _TEXT_VALUES if value[n]}
            )
        return {
            "messages": len(about | Message.browse(mentions)),
            "tracking values": len(tracked | mentioned),
        }

    @api.model
    def _sync_rows(self, table, condition, needles, tracking=False):
        """Ids of the rows of `table` (messages, or tracking values of messages) written by
        the sync that meet `condition`."""
        if not needles:
            return []
        if tracking:
            query = SQL(
                "SELECT t.id FROM mail_tracking_value t JOIN mail_message m"
                " ON m.id = t.mail_message_id WHERE m.sync_written AND %s",
                condition,
            )
        else:
            query = SQL(
                "SELECT id FROM %s WHERE sync_written AND %s", SQL.identifier(table), condition
            )
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]
