# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from odoo.addons.sync_core.exceptions import CATEGORIES


class SyncAffected(models.Model):
    """Who a sync problem touches, one row per exception: the customer, order, project and
    invoice behind its affected records, resolved through the bindings (the exception's own
    Odoo record, its remote record, and the related remote records of its fix data, e.g. a
    deal's company) and the order <-> project <-> invoice relations.  Read only (a query)."""

    _name = "sync.affected"
    _description = "Records Affected by Sync Problems"
    _auto = False
    _order = "last_seen_at desc, id desc"
    _rec_name = "name"

    exception_id = fields.Many2one("sync.exception", string="Exception", readonly=True)
    name = fields.Char(string="Problem", readonly=True)
    backend_id = fields.Many2one("sync.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    category = fields.Selection(CATEGORIES, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")], readonly=True
    )
    user_id = fields.Many2one("res.users", string="Assigned to", readonly=True)
    remote_object = fields.Char(readonly=True)
    external_id = fields.Char(string="Remote id", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    order_id = fields.Many2one("sale.order", string="Sales order", readonly=True)
    project_id = fields.Many2one("project.project", string="Project", readonly=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    occurrences = fields.Integer(readonly=True)
    first_seen_at = fields.Datetime(readonly=True)
    last_seen_at = fields.Datetime(readonly=True)

    @property
    def _table_query(self):
        return """
            WITH refs AS (
                SELECT e.id AS exception_id, e.res_model, e.res_id
                  FROM sync_exception e
                 WHERE e.res_model IS NOT NULL AND e.res_id > 0
                UNION
                SELECT e.id, b.res_model, b.res_id
                  FROM sync_exception e
                  JOIN sync_binding b
                    ON b.backend_id = e.backend_id AND b.external_id = e.external_id
                   AND b.remote_object = e.remote_object
                UNION
                SELECT e.id, b.res_model, b.res_id
                  FROM sync_exception e
                 CROSS JOIN LATERAL jsonb_array_elements(
                        CASE WHEN jsonb_typeof(e.fix_data -> 'related') = 'array'
                             THEN e.fix_data -> 'related' ELSE '[]'::jsonb END
                       ) AS r(item)
                  JOIN sync_binding b
                    ON b.backend_id = e.backend_id AND b.remote_object = r.item ->> 0
                   AND b.external_id = r.item ->> 1
            ),
            resolved AS (
                SELECT refs.exception_id,
                       CASE refs.res_model
                           WHEN 'res.partner' THEN refs.res_id
                           WHEN 'sale.order' THEN so.partner_id
                           WHEN 'project.project' THEN pp.partner_id
                           WHEN 'account.move' THEN am.partner_id
                       END AS partner_id,
                       CASE refs.res_model
                           WHEN 'sale.order' THEN so.id
                           WHEN 'project.project' THEN psol.order_id
                       END AS order_id,
                       CASE refs.res_model
                           WHEN 'project.project' THEN pp.id
                           WHEN 'sale.order' THEN (
                               SELECT p.id FROM project_project p
                                 JOIN sale_order_line l ON l.id = p.sale_line_id
                                WHERE l.order_id = so.id ORDER BY p.id LIMIT 1)
                       END AS project_id,
                       CASE refs.res_model
                           WHEN 'account.move' THEN am.id
                           WHEN 'sale.order' THEN (
                               SELECT aml.move_id FROM sale_order_line l
                                 JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = l.id
                                 JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                                WHERE l.order_id = so.id ORDER BY aml.move_id DESC LIMIT 1)
                       END AS invoice_id
                  FROM refs
                  LEFT JOIN sale_order so ON refs.res_model = 'sale.order' AND so.id = refs.res_id
                  LEFT JOIN project_project pp
                    ON refs.res_model = 'project.project' AND pp.id = refs.res_id
                  LEFT JOIN sale_order_line psol ON psol.id = pp.sale_line_id
                  LEFT JOIN account_move am
                    ON refs.res_model = 'account.move' AND am.id = refs.res_id
            )
            SELECT e.id AS id, e.id AS exception_id, e.name, e.backend_id, e.company_id,
                   e.category, e.state, e.user_id, e.remote_object, e.external_id,
                   e.occurrences, e.first_seen_at, e.last_seen_at,
                   MIN(r.partner_id) AS partner_id, MIN(r.order_id) AS order_id,
                   MIN(r.project_id) AS project_id, MAX(r.invoice_id) AS invoice_id
              FROM sync_exception e
              LEFT JOIN resolved r ON r.exception_id = e.id
             GROUP BY e.id
        """
