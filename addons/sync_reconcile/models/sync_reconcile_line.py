# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from odoo.addons.sync_core.mapping import TRANSFORMS, get_path

from .. import reconcile

DRIFT_MODELS = ("res.partner", "project.project", "hr.employee")


class SyncReconcileLine(models.Model):
    """One difference found by a run (written by the run's SQL: no ORM create per row)."""

    _name = "sync.reconcile.line"
    _description = "Reconciliation Difference"
    _inherit = ["sync.record.mixin"]
    _order = "run_id desc, category, date, id"
    _log_access = False

    run_id = fields.Many2one("sync.reconcile.run", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", index=True)
    category = fields.Selection(reconcile.CATEGORY_SELECTION, required=True, index=True)
    kind = fields.Selection(
        [("time", "Time"), ("expense", "Expense"), ("master", "Master data")], required=True
    )
    entry_id = fields.Char(string="PSA record", index=True)
    remote_object = fields.Char(compute="_compute_remote_object")
    remote_url = fields.Char(compute="_compute_remote_url")
    res_model = fields.Char(string="Odoo model")
    res_id = fields.Many2oneReference(string="Odoo record id", model_field="res_model")
    record_name = fields.Char(compute="_compute_record_name", string="Odoo record")
    project_id = fields.Many2one("project.project", index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    date = fields.Date()
    psa_hours = fields.Float(string="PSA hours")
    odoo_hours = fields.Float(string="Odoo hours")
    psa_amount = fields.Monetary(string="PSA value")
    odoo_amount = fields.Monetary(string="Odoo value")
    amount = fields.Monetary(string="Difference", help="Amount at stake (absolute).")
    currency = fields.Char(string="Currency code")
    currency_id = fields.Many2one("res.currency", string="Currency")
    psa_state = fields.Char(string="PSA state")
    document = fields.Char(string="Odoo document")
    age_days = fields.Integer(string="Age (days)")
    field_name = fields.Char(string="Field")
    remote_value = fields.Char()
    odoo_value = fields.Char()
    exception_id = fields.Many2one("sync.exception", ondelete="set null", index="btree_not_null")
    first_seen_at = fields.Datetime(related="exception_id.first_seen_at")
    occurrences = fields.Integer(related="exception_id.occurrences")
    message = fields.Char(compute="_compute_message")

    @api.depends("kind", "res_model")
    def _compute_remote_object(self):
        for line in self:
            line.remote_object = {"time": "time_entries", "expense": "expenses"}.get(line.kind) or (
                line.field_name and line.field_name.split(":", 1)[0]
            )

    @api.depends("backend_id", "remote_object", "entry_id")
    def _compute_remote_url(self):
        for line in self:
            line.remote_url = line._remote_url(line.remote_object, line.entry_id)

    @api.depends("category", "entry_id", "res_id")
    def _compute_message(self):
        for line in self:
            line.message = line._business_message()

    def _business_message(self):
        self.ensure_one()
        psa = self.backend_id.name
        if self.kind == "master":
            what = f"{self.record_name or self.res_model} ({self.field_name.split(':', 1)[1]})"
            return reconcile.message(
                "drift",
                what=what,
                psa=psa,
                psa_side=repr(self.remote_value or ""),
                odoo_side=repr(self.odoo_value or ""),
            )
        label = "time entry" if self.kind == "time" else "expense"
        what = f"PSA {label} {self.entry_id}" if self.entry_id else self.env._("An Odoo record")
        if self.project_id:
            what += f" on {self.project_id.display_name}"
        if self.date:
            what += f" of {self.date}"
        cur = f" {self.currency}" if self.currency else ""
        if self.kind == "time":
            psa_side = f"{self.psa_hours:.2f} h, {self.psa_amount:.2f}{cur}"
            odoo_side = (
                f"{self.record_name or '-'}: {self.odoo_hours:.2f} h, "
                f"{self.odoo_amount:.2f}{cur}"
            )
        else:
            psa_side = f"{self.psa_amount:.2f}{cur}"
            odoo_side = f"{self.record_name or '-'}: {self.odoo_amount:.2f}{cur}"
        if self.category == "rate":
            psa_side = f"{self.psa_amount:.2f}{cur}/h"
            odoo_side = f"{self.odoo_amount:.2f}{cur}/h"
        if self.category in ("invoiced_unapproved", "orphan"):
            psa_side = {"none": "no PSA record", "deleted": "deleted"}.get(
                self.psa_state, self.psa_state or "-"
            )
            if self.document:
                odoo_side += f", {self.document}"
        return reconcile.message(
            self.category,
            what=what,
            psa=psa,
            psa_side=psa_side,
            odoo_side=odoo_side,
            age=self.age_days,
        )

    def _problem_key(self):
        """The sync.exception problem key of this difference (as ``_open`` computes it)."""
        self.ensure_one()
        Exception_ = self.env["sync.exception"]
        vals = {
            "external_id": self.entry_id,
            "remote_object": self.remote_object,
            "res_model": self.res_model,
            "res_id": self.res_id,
        }
        return Exception_._problem_key(
            self.backend_id.id,
            "reconciliation",
            Exception_._problem_subject(vals),
            f"reconciliation: {self.category}",
        )

    # ------------------------------------------------------------------ master data drift
    @api.model
    def _drift_lines(self, run, adapter):
        """The drift lines of a run: for each mapping of partners, projects or employees, its
        bound records' remote values against Odoo's.  Returns (differences, records
        compared)."""
        backend = run.backend_id
        mappings = (
            self.env["sync.mapping"]
            .sudo()
            .search([("backend_id", "=", backend.id), ("res_model", "in", DRIFT_MODELS)])
        )
        values, compared = [], 0
        for mapping in mappings:
            lines = [
                line._as_dict()
                for line in mapping.line_ids
                if line.direction in ("import", "both")
                and not (line.transform or "").startswith("ref:")
            ]
            bindings = self.env["sync.binding"]._of_mapping(mapping)
            if not lines or not bindings:
                continue
            pairs = self._drift_pairs(run, mapping, bindings, adapter)
            exporting = self._drift_exporting(mapping, [record for _b, _r, record in pairs])
            for binding, rec, record in pairs:
                compared += 1
                values += self._drift_record(run, mapping, lines, (binding, rec, record), exporting)
        self.create(values)
        return len(values), compared

    @api.model
    def _drift_pairs(self, run, mapping, bindings, adapter):
        """[(binding, remote record, Odoo record)] of the bindings both sides still have
        (the remote's read in one batch; the Odoo records of the run's company)."""
        remote = {
            r["id"]: r
            for r in adapter.read_batch(mapping.remote_object, bindings.mapped("external_id"))
        }
        # the run compares for finance: it reads the bound records whatever the user's rights
        records = self.env[mapping.res_model].sudo().browse(bindings.mapped("res_id")).exists()
        records = records.filtered(
            lambda r: "company_id" not in r._fields
            or r.company_id in (run.company_id, r.company_id.browse())
        )
        by_id = {r.id: r for r in records}
        return [
            (binding, remote[binding.external_id], by_id[binding.res_id])
            for binding in bindings
            if binding.external_id in remote and binding.res_id in by_id
        ]

    @api.model
    def _drift_exporting(self, mapping, records):
        """Identity keys of the exports of these records still waiting in the outbox."""
        keys = [f"export:{mapping.id}:{record.id}" for record in records]
        return set(
            self.env["sync.job"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", mapping.backend_id.id),
                    ("state", "in", ("pending", "started")),
                    ("identity_key", "in", keys),
                ]
            )
            .mapped("identity_key")
        )

    @api.model
    def _drift_explained(self, mapping, binding, rec, record, exporting):
        """{owner: the sync explains a difference of a field of this owner}: a remote-owned
        field whose remote record changed after the last applied version (the next pull
        brings it), an Odoo-owned field whose record changed after the last sync or has an
        export waiting (the outbox sends it)."""
        synced_at = binding.last_sync_at
        # never pulled (pushed from Odoo), or changed since the version applied: the next
        # pull brings the remote's values
        remote_newer = not binding.payload_hash or bool(
            rec.get("updated_at")
            and binding.remote_updated_at
            and rec["updated_at"].replace(tzinfo=None) > binding.remote_updated_at
        )
        odoo_newer = bool(
            f"export:{mapping.id}:{record.id}" in exporting
            # last_sync_at is stored to the second, write_date to the microsecond
            or (
                synced_at
                and record.write_date
                and record.write_date.replace(microsecond=0) > synced_at
            )
        )
        return {"remote": remote_newer, "odoo": odoo_newer, "latest": remote_newer or odoo_newer}

    @api.model
    def _drift_record(self, run, mapping, lines, pair, exporting):
        """The drift line values of one bound record: its mapped fields whose values differ
        and that the sync does not explain."""
        binding, rec, record = pair
        explained = self._drift_explained(mapping, binding, rec, record, exporting)
        data = rec.get("data") or {}
        values = []
        for line in lines:
            # a field the remote record does not carry (e.g. the customer the PSA layer names
            # only for a workspace that will become a new project) has no remote value
            if not _carries(data, line["remote_field"]):
                continue
            raw = TRANSFORMS[line["transform"] or "identity"][1](
                get_path(data, line["remote_field"])
            )
            mine = record[line["odoo_field"]]
            if hasattr(mine, "_name"):
                mine = mine.id
            # the value as Odoo stores it: models clean some fields on write with
            # `_clean_<field>` (res.partner's website gets a scheme)
            cleaner = getattr(record, f"_clean_{line['odoo_field']}", None)
            if callable(cleaner) and isinstance(raw, str) and raw:
                raw = cleaner(raw)
            if _norm(raw) == _norm(mine) or explained[line["owner"]]:
                continue
            values.append(
                {
                    "run_id": run.id,
                    "backend_id": run.backend_id.id,
                    "company_id": run.company_id.id,
                    "category": "drift",
                    "kind": "master",
                    "entry_id": binding.external_id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "field_name": f"{mapping.remote_object}:{line['odoo_field']}",
                    "remote_value": _norm(raw),
                    "odoo_value": _norm(mine),
                    "amount": 0.0,
                    "project_id": record.id if record._name == "project.project" else False,
                }
            )
        return values


def _carries(record, path):
    """Does the (nested) dict have a key at this dotted path, whatever its value?"""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def _norm(value):
    if value in (None, False):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
