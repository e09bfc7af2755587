"""How a go-live preview classifies the remote records of one object, set-based.

Per remote page a fixed number of queries, whatever its size: one for the bindings of the page,
one set per match rule for the records the pull would match (`sync.mapping._match_existing`,
the engine's own) and again per rule for all candidates of those (ambiguous when several), one
per reference field, one read of the current values of every matched or linked record (the
conflicts).  The refusals the pull would make before writing (an unreadable record, an empty
required field, an unknown reference) are found by the engine's own checks; those of database
constraints by the engine's dry run, on request (`check_writes`: as slow as a pull); without
it, the unique indexes over plain columns are checked for the records to create
(`sync_golive_unique.py`).
Suspected duplicates are looked for once per object (`sync_golive_duplicates.py`).
"""

from odoo import models

from .. import mapping as mapping_logic
from ..exceptions import SyncError
from .sync_mapping_find import _match_key, rule_keys


class SyncGoLivePreview(models.Model):
    _inherit = "sync.golive.preview"

    def _preview_object(self, mapping):
        """The line values of every remote record the first pull of `mapping` would read."""
        backend = self.backend_id
        adapter = backend._get_adapter()
        since = self._since(mapping)
        vals, fresh = [], []
        for page in adapter.iter_changes(mapping.remote_object, since, page_size=backend.page_size):
            vals.extend(self._preview_page(mapping, page, fresh))
        self._flag_duplicates(mapping, fresh)
        self._flag_unique(mapping, fresh)
        return vals

    def _preview_page(self, mapping, page, fresh):
        """Lines of one remote page; the (line, mapped values) of the records the pull would
        create are added to `fresh` (the suspected duplicates are looked for among them)."""
        backend = self.backend_id
        Model = self.env[mapping.res_model]
        page, unreadable = backend._set_aside_unreadable(page, mapping.remote_object, None, True)
        errors = {c["external_id"]: c.get("error") or "" for c in unreadable}
        if self.check_writes:
            stats = mapping._apply_page(page, dry_run=True)
            errors.update(
                (c["external_id"], c.get("error") or "")
                for c in stats.get("changes", [])
                if c.get("operation") == "error"
            )
        latest = {rec["id"]: rec for rec in mapping_logic.latest_per_id(page) if rec.get("id")}
        vals = [
            self._line(mapping, latest.get(ext_id) or {"id": ext_id}, "rejected", detail=error)
            for ext_id, error in errors.items()
        ]
        readable = [rec for ext_id, rec in latest.items() if ext_id not in errors]
        bindings = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(
                backend, mapping.res_model, [r["id"] for r in readable], mapping.remote_object
            )
        )
        linked = {
            ext_id: b.res_id for ext_id, b in bindings.items() if b.res_id and ext_id in latest
        }
        unbound = [r for r in readable if r["id"] not in linked and not r.get("archived")]
        matched = mapping._match_existing(unbound, Model)
        candidates = self._candidates(mapping, [r for r in unbound if r["id"] in matched], Model)
        ctx = _PageContext(
            lines=mapping._lines(),
            refs=mapping._resolve_refs(
                [r for r in readable if not r.get("archived")], mapping._lines()
            ),
            current=self._current_values(mapping, Model, [*linked.values(), *matched.values()]),
            required=mapping._required_on_create(Model),
            defaults=mapping._defaults(),
        )
        for rec in readable:
            vals.append(self._classify(mapping, rec, linked, matched, candidates, ctx, fresh))
        return vals

    def _classify(self, mapping, rec, linked, matched, candidates, ctx, fresh):
        """The line of one readable remote record."""
        ext_id = rec["id"]
        if ext_id in linked:
            line = self._line(mapping, rec, "bound", res_id=linked[ext_id])
            return self._note_conflicts(mapping, line, rec, ctx)
        if rec.get("archived"):
            return self._line(
                mapping,
                rec,
                "deleted",
                detail=self.env._("Deleted remotely and never linked: nothing to do."),
            )
        if ext_id in matched:
            rule, found = candidates.get(ext_id, ("", []))
            line = self._line(mapping, rec, "match", res_id=matched[ext_id], rule=rule)
            if len(found) > 1:
                line["outcome"] = "ambiguous"
                line["candidates"] = ",".join(str(i) for i in found)
                line["detail"] = self.env._(
                    "%(count)s candidates; the pull would take the first one.", count=len(found)
                )
                return line
            return self._note_conflicts(mapping, line, rec, ctx)
        try:
            new_vals, ref_vals, _kept = mapping_logic.map_inbound(ctx.lines, rec.get("data") or {})
            new_vals.update(mapping._ref_values(rec, ref_vals, ctx.refs))
            mapping._check_required(rec, {**ctx.defaults, **new_vals}, ctx.required, ctx.lines)
        except (SyncError, ValueError, TypeError) as exc:
            return self._line(mapping, rec, "rejected", detail=str(exc))
        line = self._line(mapping, rec, "create")
        fresh.append((line, {**ctx.defaults, **new_vals}))
        return line

    def _line(self, mapping, rec, outcome, res_id=False, rule="", detail=""):
        data = rec.get("data") or {}
        label = data.get("name") or data.get("title") or data.get("email") or ""
        return {
            "preview_id": self.id,
            "mapping_id": mapping.id,
            "remote_object": mapping.remote_object,
            "external_id": str(rec.get("id") or ""),
            "remote_name": str(label)[:200],
            "outcome": outcome,
            "res_model": mapping.res_model,
            "res_id": res_id or 0,
            "match_rule": rule,
            "candidates": "",
            "detail": detail,
            "decision": "default",
            "link_res_id": 0,
        }

    def _candidates(self, mapping, records, Model):
        """{external_id: (rule label, [candidate ids])}: per record, the first match rule that
        finds an unbound Odoo record, with all the unbound records it finds (one set of
        queries per rule, `sync.mapping._rule_candidates`)."""
        out = {}
        for rule in mapping.match_ids:
            keys = rule_keys(rule, Model, records, out)
            if not keys:
                continue
            by_key = {}
            for cand in mapping._rule_candidates(rule, keys, Model):
                key = _match_key(rule.method, cand[rule.odoo_field])
                if key in keys:
                    by_key.setdefault(key, []).append(cand.id)
            label = f"{rule.remote_field} → {rule.odoo_field} ({rule.method})"
            for key, ext_ids in keys.items():
                for ext_id in ext_ids:
                    if by_key.get(key):
                        out[ext_id] = (label, by_key[key])
        return out

    def _current_values(self, mapping, Model, res_ids):
        """{id: current values} of the Odoo records the page would update, in one read."""
        fnames = sorted(
            {ln["odoo_field"] for ln in mapping._lines() if ln["odoo_field"] in Model._fields}
        )
        records = Model.browse(set(res_ids)).exists()
        if not records:
            return {}
        return {row["id"]: row for row in records.read([*fnames, "write_date"], load=None)}

    def _note_conflicts(self, mapping, line, rec, ctx):
        """A matched or linked record whose current values the pull would overwrite: a
        conflict, listing each field with its owner rule."""
        before = ctx.current.get(line["res_id"])
        if before is None:
            return line
        try:
            vals, ref_vals, _kept = mapping_logic.map_inbound(
                ctx.lines,
                rec.get("data") or {},
                is_new=False,
                remote_updated_at=rec.get("updated_at"),
                odoo_updated_at=before["write_date"],
            )
            vals.update(mapping._ref_values(rec, ref_vals, ctx.refs))
        except (SyncError, ValueError, TypeError) as exc:
            line.update(outcome="rejected", detail=str(exc))
            return line
        owners = {ln["odoo_field"]: ln["owner"] for ln in ctx.lines}
        overwritten = [
            f"{name}: {before[name]!r} → {new!r} (owner: {owners.get(name)})"
            for name, new in vals.items()
            if name in before and before[name] not in (False, None, "") and before[name] != new
        ]
        if overwritten:
            line["outcome"] = "conflict"
            line["detail"] = "\n".join(overwritten)
        return line


class _PageContext:
    """What classifying the records of one page needs, read once per page."""

    def __init__(self, lines, refs, current, required, defaults):
        self.lines = lines
        self.refs = refs
        self.current = current
        self.required = required
        self.defaults = defaults
