# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Workspace mappings made before 19.0.2.0.0 carry the old default: one match rule binding a
workspace to the project of the same name alone (``name`` ~ ``name``, same value ignoring case
and spaces, sequence 1).  The new default binds by external reference or name + customer in
code (``sync.psa._bind_referenced_projects``) and creates the unmatched ones with their
client as customer (line ``customer_id`` -> ``partner_id``).  Move the workspace mappings of
Kantata backends to the new default: the old rule goes where it is exactly as it was made
(a rule a user changed -- another field, method, sequence or an extra domain -- or added
stays), and the customer line is added where nothing feeds the project's customer yet.
The workspace object is ``workspaces`` until 19.0.2.2.0's post-migrate renames it ``projects``
(either is read: the test makes the mappings with today's name)."""

from odoo import SUPERUSER_ID, api

from odoo.addons.sync_core.mapping import line_command

OLD_RULE = {
    "remote_field": "name",
    "odoo_field": "name",
    "method": "iexact",
    "sequence": 1,
    "extra_domain": False,
}


def is_old_default(rule):
    return all((rule[key] or False) == value for key, value in OLD_RULE.items())


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    mappings = env["sync.mapping"].search(
        [
            ("backend_id.kind", "=", "kantata"),
            ("remote_object", "in", ("workspaces", "projects")),
            ("res_model", "=", "project.project"),
        ]
    )
    for mapping in mappings:
        mapping.match_ids.filtered(is_old_default).unlink()
        if not mapping.line_ids.filtered(lambda line: line.odoo_field == "partner_id"):
            mapping.write(
                {"line_ids": [line_command("customer_id", "partner_id", "identity", owner="odoo")]}
            )
