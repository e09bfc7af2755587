# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: a won deal applied once (customer, sale order, project), later line
changes, conflicts; the bindings, audit rows and chatter notes of what it made."""

from markupsafe import Markup, escape

from odoo import models
from odoo.fields import Command
from odoo.tools import float_compare

from odoo.addons.sync_core.exceptions import ConflictError
from odoo.addons.sync_core.hashing import payload_hash

from .sync_backend import _now, quiet


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ the workflow
    def _sale_apply_deal(self, deal, job=None, adapter=None):
        """A won deal gets its customer, sale order and project exactly once (the order is
        bound to the deal id); later line changes update the quotation or raise a conflict
        once it is confirmed; a deal that leaves won after its order exists raises a conflict
        (nothing is deleted).  Open and lost deals are mirrored to opportunities when asked."""
        self.ensure_one()
        order_binding = self._sale_binding("sale.order", deal)
        if order_binding:
            return self._sale_update_order(deal, order_binding, job)
        lead_binding = self._sale_binding("crm.lead", deal)
        if not deal.won:
            if self.sale_mirror_open_deals or lead_binding:
                return self._sale_mirror_lead(deal, lead_binding, job)
            return "not won"
        return self._sale_create_order(deal, lead_binding, job, adapter)

    def _sale_binding(self, res_model, deal):
        return (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, res_model, [deal.external_id], deal.remote_object)
            .get(deal.external_id)
        )

    def _sale_create_order(self, deal, lead_binding, job, adapter):
        lead = self.env["crm.lead"].browse(lead_binding.res_id if lead_binding else []).exists()
        company = self._sale_company(deal)
        partner = self._sale_customer(deal, job, adapter)
        order_lines = self._sale_order_lines(deal, company)
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "origin": self._sale_title(deal),
            "client_order_ref": (deal.name or "")[:250] or False,
            "order_line": [Command.create(line) for line in order_lines],
        }
        pricelist = self._sale_pricelist(deal, partner, company)
        if pricelist is not None:
            vals["pricelist_id"] = pricelist.id
        order = (
            self.env["sale.order"].with_company(company).with_context(**quiet(self)).create(vals)
        )
        self._sale_bind(order, deal)
        self.env.flush_all()  # the binding's unique key guards a concurrent twin
        if lead:
            if "opportunity_id" in order._fields:  # sale_crm
                order.opportunity_id = lead
            if lead.active and lead.won_status != "won":
                lead.with_context(tracking_disable=True).action_set_won()
        self._sale_audit(job, deal, order, "create")
        projects = self.env["project.project"]
        if self.sale_confirm_orders:
            before = self.env["project.project"].search([("sale_order_id", "=", order.id)])
            order.with_context(tracking_disable=True).action_confirm()
            projects = (
                self.env["project.project"].search([("sale_order_id", "=", order.id)]) - before
            )
            if projects:
                self._sale_bind(projects.sorted("id")[:1], deal)
            for project in projects:
                self._sale_audit(job, deal, project, "create")
        self._sale_note(
            [order, *projects, partner],
            deal,
            self.env._("won, sale order %(order)s", order=order.name),
        )
        return f"created {order.name}"

    def _sale_update_order(self, deal, binding, job):
        order = self.env["sale.order"].browse(binding.res_id).exists()
        if not order or order.state == "cancel":
            return "order exists"
        if not deal.won:
            what = "was deleted" if deal.archived else f"moved to stage {deal.stage}"
            raise ConflictError(
                f"{self._sale_title(deal)} ({deal.name}) {what} but sale order {order.name} "
                "exists: review the order (nothing was changed)",
                pattern="deal left the won stage",
                res_model="sale.order",
                res_id=order.id,
            )
        wanted = self._sale_order_lines(deal, order.company_id)
        commands, before, after = self._sale_line_commands(order, wanted)
        if not commands:
            return "order exists"
        if order.state not in ("draft", "sent"):
            raise ConflictError(
                f"{self._sale_title(deal)} ({deal.name}): its line items changed but sale order "
                f"{order.name} is confirmed: change the order by hand, or cancel it and retry "
                f"(nothing was changed). Order: {'; '.join(before)}. Deal: {'; '.join(after)}",
                pattern="deal lines changed after confirmation",
                res_model="sale.order",
                res_id=order.id,
            )
        order.with_context(**quiet(self)).write({"order_line": commands})
        binding.write({"remote_updated_at": deal.updated_at or False, "last_sync_at": _now()})
        self._sale_audit(job, deal, order, "write", {"order_line": [before, after]})
        return f"updated {order.name}"

    def _sale_line_commands(self, order, wanted):
        """Commands that turn the order's product lines into `wanted` (paired in order), and
        the lines before/after as text; no command when they already match."""
        current = order.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        ).sorted(lambda line: (line.sequence, line.id))
        commands = []
        for index, vals in enumerate(wanted):
            line = current[index] if index < len(current) else None
            if line is None:
                commands.append(Command.create(vals))
                continue
            if any(_differs(line, k, v) for k, v in vals.items()):
                # all of them: a new quantity alone would recompute the price from the pricelist
                commands.append(Command.update(line.id, vals))
        commands.extend(Command.unlink(line.id) for line in current[len(wanted) :])
        before = [
            _line_text(line.product_id, line.product_uom_qty, line.price_unit) for line in current
        ]
        after = [
            _line_text(
                self.env["product.product"].browse(vals["product_id"]),
                vals["product_uom_qty"],
                vals.get("price_unit"),
            )
            for vals in wanted
        ]
        return commands, before, after

    # ------------------------------------------------------------------ bindings, audit, notes
    def _sale_bind(self, record, deal, payload=None, remote_object=None, external_id=None):
        return self.env["sync.binding"]._bind(
            self,
            record,
            external_id or deal.external_id,
            remote_object or deal.remote_object,
            remote_updated_at=deal.updated_at or False,
            payload_hash=payload or payload_hash(deal.header()),
            last_sync_at=_now(),
        )

    def _sale_audit(self, job, deal, record, operation, changes=None, external_id=None):
        """An audit row for a record the workflow created or changed, like the mappings
        write for the partners they import."""
        return (
            self.env["sync.audit"]
            .sudo()
            .create(
                {
                    "backend_id": self.id,
                    "job_id": job.id if job else False,
                    "correlation_id": job.correlation_id if job else False,
                    "external_id": external_id or deal.external_id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "operation": operation,
                    "changes": changes or {},
                }
            )
        )

    def _sale_note(self, records, deal, outcome):
        """Chatter note on what the workflow made of a deal (order, projects, customer,
        opportunity): which CRM, backend and deal, with a link to the remote record."""
        name = deal.name or deal.external_id
        link = (
            Markup('<a href="%s" target="_blank">%s</a>') % (deal.url, name) if deal.url else name
        )
        text = self.env._("%(crm)s deal %(deal)s (%(id)s, backend %(backend)s): %(outcome)s")
        body = Markup(escape(text)) % {
            "crm": self._sale_crm_name(),
            "deal": link,
            "id": deal.external_id,
            "backend": self.name,
            "outcome": outcome,
        }
        for record in records:
            record.with_context(mail_create_nosubscribe=True).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )


def _differs(line, name, value):
    field = line._fields[name]
    current = line[name]
    if field.type == "many2one":
        return current.id != value
    if field.type == "float":
        digits = field.get_digits(line.env)
        return float_compare(current, value, precision_digits=digits[1] if digits else 6) != 0
    return (current or "") != (value or "")


def _line_text(product, quantity, price):
    price_text = "" if price is None else f" @ {price:.2f}"
    return f"{product.default_code or product.display_name} x {quantity:g}{price_text}"
