"""Unique constraints in a go-live preview, checked without writing.

For the records the first pull would create, the values mapped to the columns of each unique
index of the target table (plain columns, no condition, no expression: `models.Constraint`
UNIQUE, `models.UniqueIndex` without WHERE, unique fields) are compared, set-based, with the
rows already there (one query per index) and with each other (two remote records of the same
load).  A record that would collide is *Rejected*, naming the index and the other record.

Not checked this way (the summary says so, unless the writes were tried): check constraints,
unique indexes with a condition or an expression, indexes over a column the mapping does not
set, and the values written to the records the pull would match or update.
"""

from odoo import models
from odoo.tools import SQL

_UNIQUE_INDEXES = """
    SELECT i.indexrelid::regclass::text, array_agg(a.attname::text ORDER BY k.ord)
      FROM pg_index i
      JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = %s::regclass AND i.indisunique AND NOT i.indisprimary
       AND i.indpred IS NULL AND i.indexprs IS NULL
     GROUP BY i.indexrelid
"""


class SyncGoLivePreview(models.Model):
    _inherit = "sync.golive.preview"

    def _flag_unique(self, mapping, fresh):
        """Mark as rejected the lines of `fresh` ((line, values) of the records the pull
        would create) whose values break a unique index of the target table."""
        Model = self.env[mapping.res_model]
        if not fresh:
            return
        self.env.cr.execute(SQL(_UNIQUE_INDEXES, Model._table))
        for index, columns in self.env.cr.fetchall():
            fields_ = [Model._fields.get(col) for col in columns]
            if not all(f and f.store and f.column_type for f in fields_):
                continue
            keyed = {}
            for line, vals in fresh:
                key = _key(fields_, vals)
                if key is not None and line["outcome"] != "rejected":
                    keyed.setdefault(key, []).append(line)
            if keyed:
                self._reject_collisions(Model, index, fields_, keyed)

    def _reject_collisions(self, Model, index, fields_, keyed):
        taken = self._existing_keys(Model, fields_, list(keyed))
        for key, lines in keyed.items():
            names = ", ".join(f"{f.name}={v!r}" for f, v in zip(fields_, key, strict=True))
            if key in taken:
                why = self.env._(
                    "would break the unique constraint %(index)s: record id %(id)s already "
                    "has %(values)s",
                    index=index,
                    id=taken[key],
                    values=names,
                )
                for line in lines:
                    line.update(outcome="rejected", res_id=taken[key], detail=why)
            elif len(lines) > 1:
                for line in lines[1:]:
                    line.update(
                        outcome="rejected",
                        detail=self.env._(
                            "would break the unique constraint %(index)s: remote record "
                            "%(other)s of this load has %(values)s too",
                            index=index,
                            other=lines[0]["external_id"],
                            values=names,
                        ),
                    )

    def _existing_keys(self, Model, fields_, keys):
        """{key: id} of the rows whose columns hold one of `keys`: one query."""
        Model.flush_model([f.name for f in fields_])
        columns = SQL(", ").join(SQL.identifier(f.name) for f in fields_)
        rows = SQL(", ").join(
            SQL(
                "(%s)",
                SQL(", ").join(
                    SQL("%s::%s", v, SQL(f.column_type[1]))
                    for f, v in zip(fields_, key, strict=True)
                ),
            )
            for key in keys
        )
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE (%s) IN (VALUES %s)",
                columns,
                SQL.identifier(Model._table),
                columns,
                rows,
            )
        )
        return {tuple(row[1:]): row[0] for row in self.env.cr.fetchall()}


def _key(fields_, vals):
    """The values of a new record for an index's columns, as stored (None: not comparable,
    e.g. a column the mapping does not set or an empty value, which never collides)."""
    key = []
    for field in fields_:
        if field.name not in vals:
            return None  # its default, unknown here
        value = vals[field.name]
        if isinstance(value, str) and getattr(field, "trim", False):
            value = value.strip()
        if field.type == "boolean":
            value = bool(value)
        elif value in (None, False, ""):
            return None
        elif field.type == "many2one" and hasattr(value, "id"):
            value = value.id
        elif field.type not in ("char", "text", "integer", "many2one", "selection"):
            return None  # compared as the database would only for these types
        key.append(value)
    return tuple(key)
