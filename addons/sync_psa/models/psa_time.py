# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Time: canonical PSA time entries -> timesheet line values, and the reference write-back."""

from datetime import date

from odoo import api, fields, models

from odoo.addons.sync_core.hashing import payload_hash

from .. import psa
from .sync_psa import TARGETS


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    def _time_entries_vals(self, backend, data, employee, project):
        vals = {
            "psa_backend_id": backend.id,
            "psa_approved": True,
            "psa_state": "synced",
            "project_id": project.id,
            "employee_id": employee.id,
            "date": _day(data["date"]),
            "unit_amount": psa.hours(data["minutes"]),
            "name": data.get("description") or "/",
            "psa_bill_rate_cents": data.get("bill_rate_cents") or 0,
            "psa_cost_rate_cents": data.get("cost_rate_cents") or 0,
            "psa_currency_id": self._currency(data.get("currency")).id,
        }
        if not data.get("billable"):
            vals["so_line"] = False
        return vals

    @api.model
    def _job_psa_writeback(self, job):
        """Mark each imported PSA record with its Odoo record and, once invoiced, the invoice
        number (external references); only what changed since the last send is sent."""
        backend = job.backend_id
        adapter = None
        sent = 0
        for object_name, target in TARGETS.items():
            bindings = (
                self.env["sync.binding"]
                .sudo()
                .search(
                    [
                        ("backend_id", "=", backend.id),
                        ("res_model", "=", target["model"]),
                        ("remote_object", "=", object_name),
                        ("active", "=", True),
                    ]
                )
            )
            records = self.env[target["model"]].sudo().browse(bindings.mapped("res_id")).exists()
            by_id = {r.id: r for r in records}
            for binding in bindings:
                record = by_id.get(binding.res_id)
                if not record:
                    continue
                invoice = self._locking_document(object_name, record)
                message = invoice.name if invoice and invoice._name == "account.move" else ""
                status = "invoiced" if invoice else "imported"
                digest = payload_hash([record.id, message, status])
                if digest == binding.export_hash:
                    continue
                adapter = adapter or backend._get_adapter()
                adapter.write_reference(
                    object_name,
                    binding.external_id,
                    target["model"],
                    record.id,
                    message=message or None,
                    status=status,
                )
                binding.export_hash = digest
                sent += 1
        return {"sent": sent, "remote_calls": adapter.calls if adapter else 0}


def _day(value):
    """A canonical date (ISO string) as a date: `date.fromisoformat` for the usual
    ``YYYY-MM-DD`` (a burst converts tens of thousands; Odoo's `to_date` parses with strptime),
    Odoo's conversion for anything else."""
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        return date.fromisoformat(value)
    return fields.Date.to_date(value)
