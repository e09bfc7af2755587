"""How a mapping finds Odoo records for remote ones: the match rules that attach an unbound
remote record to an existing Odoo record, and the references resolved to Odoo ids."""

import ast

from odoo import models
from odoo.fields import Domain
from odoo.tools import SQL

from .. import mapping as mapping_logic
from ..exceptions import MissingReferenceError
from .sync_mapping_match import IEXACT_SQL


class SyncMapping(models.Model):
    _inherit = "sync.mapping"

    def _match_existing(self, records, Model):
        """{external_id: res_id} of unbound remote records that match an existing record.

        One SQL prefilter per rule and page on the normalised column (no ORM OR-chains of
        ILIKE), then one ORM search on the few candidates (record rules and the rule's extra
        domain apply), then one query for the bindings the candidates already have.
        """
        found = {}
        if not records or not self.match_ids:
            return found
        taken = set()
        for rule in self.match_ids:
            keys = rule_keys(rule, Model, records, found)
            if not keys:
                continue
            for cand in self._rule_candidates(rule, keys, Model):
                if cand.id in taken:
                    continue
                ext_ids = keys.pop(_match_key(rule.method, cand[rule.odoo_field]), None)
                if ext_ids:  # one remote record per existing record; the others are created
                    found[ext_ids[0]] = cand.id
                    taken.add(cand.id)
        return found

    def _rule_candidates(self, rule, keys, Model):
        """The unbound Odoo records (ordered by id) whose value for one match rule is one of
        `keys`: one SQL prefilter on the normalised column (no ORM OR-chains of ILIKE), one
        ORM search on the few found (record rules and the rule's extra domain apply), one
        query for the bindings they already have.  Set-based: one call per rule and page."""
        # translated fields are jsonb: compare their value in the current language
        column = Model._field_to_sql(Model._table, rule.odoo_field)
        if rule.method == "email_domain":
            where = SQL("lower(%s) LIKE ANY(%s)", column, [f"%{k}%" for k in keys])
        elif rule.method == "iexact":
            # the expression of the rule's index (sync.mapping.match._ensure_indexes)
            where = SQL(IEXACT_SQL % "%s" + " = ANY(%s)", column, list(keys))
        else:
            where = SQL("%s = ANY(%s)", column, list(keys))
        Model.flush_model([rule.odoo_field])
        target = rule._index_target()
        ids = _prefilter(self.env.cr, Model, where, target and target[2])
        if not ids:
            return Model.browse()
        domain = Domain("id", "in", ids) & Domain(ast.literal_eval(rule.extra_domain or "[]"))
        candidates = Model.search(domain, order="id")
        bound = set(
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("res_model", "=", self.res_model),
                    ("res_id", "in", candidates.ids),
                ]
            )
            .mapped("res_id")
        )
        return candidates.filtered(lambda c: c.id not in bound)

    def _resolve_refs(self, records, lines):
        """{(odoo_field, raw): res_id} for every ref: transform of the page, one query each."""
        resolved = {}
        for line in lines:
            name = line["transform"]
            if not name.startswith("ref:"):
                continue
            raws = {
                mapping_logic.TRANSFORMS[name][1](
                    mapping_logic.get_path(rec.get("data") or {}, line["remote_field"])
                )
                for rec in records
            } - {False, None}
            if not raws:
                continue
            if name == "ref:country_code":
                for country in self.env["res.country"].search(
                    [("code", "in", [r.upper() for r in raws])]
                ):
                    resolved[(line["odoo_field"], country.code)] = country.id
                    resolved[(line["odoo_field"], country.code.lower())] = country.id
            elif name == "ref:country_name":
                lowered = {r.lower(): r for r in raws}
                domain = Domain("code", "in", [r.upper() for r in raws if len(r) == 2])
                for raw in raws:
                    domain |= Domain("name", "=ilike", raw)
                Country = self.env["res.country"].with_context(lang="en_US")
                for country in Country.search(domain):
                    for key in (country.name.lower(), country.code.lower()):
                        if key in lowered:
                            resolved[(line["odoo_field"], lowered[key])] = country.id
            elif name == "ref:binding":
                field = self.env[self.res_model]._fields[line["odoo_field"]]
                bindings = (
                    self.env["sync.binding"]
                    .sudo()
                    ._for_external_ids(
                        self.backend_id, field.comodel_name, raws, line["ref_object"]
                    )
                )
                for ext, binding in bindings.items():
                    resolved[(line["odoo_field"], ext)] = binding.res_id
        return resolved

    def _ref_values(self, rec, ref_vals, resolved):
        vals = {}
        for fname, (name, raw) in ref_vals.items():
            if raw in (False, None):
                vals[fname] = False
                continue
            res_id = resolved.get((fname, raw))
            if not res_id:
                what = "country" if name.startswith("ref:country") else "related record"
                raise MissingReferenceError(
                    f"{self.remote_object} {rec['id']}: {what} '{raw}' for {fname} is not "
                    f"known in Odoo",
                    pattern=f"missing {what} for {self.res_model}.{fname}",
                )
            vals[fname] = res_id
        return vals


def rule_keys(rule, Model, records, skip=()):
    """{normalised key: [external ids]} of the `records` (not in `skip`) for one match rule;
    empty when the rule's Odoo field cannot be matched on (not a stored char or text)."""
    field = Model._fields.get(rule.odoo_field)
    if not field or not field.store or field.type not in ("char", "text"):
        return {}
    keys = {}
    for rec in records:
        if rec["id"] in skip:
            continue
        raw = mapping_logic.get_path(rec.get("data") or {}, rule.remote_field)
        key = _match_key(rule.method, raw)
        if key:
            keys.setdefault(key, []).append(rec["id"])
    return keys


def _match_key(method, value):
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if method == "email_domain":
        value = value.lower().rsplit("@", 1)[-1]
        for prefix in ("https://", "http://", "www."):
            value = value.removeprefix(prefix)
        return value.split("/")[0] or None
    if method == "iexact":
        return " ".join(value.lower().split())
    return value


def _prefilter(cr, Model, where, index):
    """Ids of `Model`'s rows that satisfy a match rule's prefilter `where`, probing the rule's
    expression `index` (`sync.mapping.match._ensure_indexes`) when there is one and this
    transaction can use it.  On a table of a few thousand rows, growing during the pull, the
    planner prefers reading the whole table (a regexp per row: 15 to 40 ms a page of 200 keys)
    to 200 probes of the index (under 1 ms): the statement runs with sequential scans off.
    Not when the plan would still not use the index: PostgreSQL keeps an index created on a
    table with updated rows out of the plans of snapshots older than the index, and any
    transaction open in the cluster when it was created holds them back (a first import run
    right after its match rule was saved); forcing a plan then reads the table through another
    index, slower than the scan.  The setting is put back after the statement; should the
    statement fail, the rollback of its savepoint or transaction puts it back."""
    query = SQL("SELECT id FROM %s WHERE %s", SQL.identifier(Model._table), where)
    forced = False
    if index:
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute(SQL("EXPLAIN %s", query))
        forced = any(index in row[0] for row in cr.fetchall())
        if not forced:
            cr.execute("SET LOCAL enable_seqscan TO DEFAULT")
    cr.execute(query)
    ids = [row[0] for row in cr.fetchall()]
    if forced:
        cr.execute("SET LOCAL enable_seqscan TO DEFAULT")
    return ids
