"""Suspected duplicates of a go-live preview: remote records the pull would create (no match
rule found them) that look like an existing Odoo record by a fuzzy key:
- the same normalised name (case, spaces, punctuation and legal forms such as SA, GmbH, Ltd
  ignored) in the same city, or in the same country when the remote record has no city;
- the same normalised name and the same e-mail domain (public mail domains left out).
Looked for once per object, in one query on the normalised name of the target table (a model
without a `name` column has none).  The line says which record and why; the go-live still
creates the record unless the user links or skips it.
"""

import re

from odoo import models
from odoo.tools import SQL

LEGAL_FORMS = "ab|ag|as|bv|bvba|co|corp|gmbh|inc|limited|llc|ltd|nv|oy|plc|sa|sarl|sas|spa|sprl|srl"
# the same normalisation in SQL and in Python (keys compared as equal strings)
_NAME_SQL = (
    "regexp_replace(regexp_replace(lower(coalesce(%s, '')), "
    f"'\\m({LEGAL_FORMS})\\M', ' ', 'g'), '[^[:alnum:]]+', '', 'g')"
)
_LEGAL_RE = re.compile(rf"\b({LEGAL_FORMS})\b")
_PUBLIC_DOMAINS = frozenset(
    "gmail.com googlemail.com hotmail.com outlook.com live.com yahoo.com icloud.com me.com "
    "aol.com gmx.de gmx.net web.de proton.me protonmail.com msn.com orange.fr free.fr".split()
)


def name_key(value):
    """The normalised name of a record (empty: no key)."""
    if not value or not isinstance(value, str):
        return ""
    return re.sub(r"[\W_]+", "", _LEGAL_RE.sub(" ", value.lower()))


def _domain(email):
    if not email or not isinstance(email, str) or "@" not in email:
        return ""
    domain = email.strip().lower().rsplit("@", 1)[1]
    return "" if domain in _PUBLIC_DOMAINS else domain


def _city(value):
    return " ".join(value.lower().split()) if isinstance(value, str) else ""


class SyncGoLivePreview(models.Model):
    _inherit = "sync.golive.preview"

    def _flag_duplicates(self, mapping, fresh):
        """Mark as suspected duplicates the lines of `fresh` ((line, values) of the records
        the pull would create) whose values look like an existing record's."""
        Model = self.env[mapping.res_model]
        name_field = Model._fields.get("name")
        if not fresh or not name_field or not name_field.store or name_field.type != "char":
            return
        wanted = {name_key(vals.get("name")) for _line, vals in fresh} - {""}
        if not wanted:
            return
        by_name = {}
        for row in self._duplicate_rows(Model, wanted):
            by_name.setdefault(row["key"], []).append(row)
        for line, vals in fresh:
            found, why = self._look_alikes(vals, by_name.get(name_key(vals.get("name")), []))
            if found:
                line.update(
                    outcome="duplicate",
                    res_id=found[0]["id"],
                    candidates=",".join(str(row["id"]) for row in found),
                    detail=self.env._(
                        "Looks like %(name)s (id %(id)s): %(why)s. Link it to that record or "
                        "skip it, or it is created.",
                        name=found[0]["name"],
                        id=found[0]["id"],
                        why=why,
                    ),
                )

    def _duplicate_rows(self, Model, wanted):
        """[{id, name, key, city, country, domain}] of the existing records (active, readable)
        whose normalised name is one of `wanted`: one query."""
        fields_ = Model._fields
        optional = {
            "city": "city" in fields_ and fields_["city"].store,
            "country_id": "country_id" in fields_ and fields_["country_id"].store,
            "email": "email" in fields_ and fields_["email"].store,
        }
        table = SQL.identifier(Model._table)
        columns = [
            SQL.identifier(name) if present else SQL("NULL") for name, present in optional.items()
        ]
        key = SQL(_NAME_SQL % "%s", SQL.identifier("name"))
        where = SQL("%s = ANY(%s)", key, list(wanted))
        if "active" in fields_ and fields_["active"].store:
            where = SQL("%s AND active", where)
        Model.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id, name, %s, %s, %s, %s FROM %s WHERE %s ORDER BY id",
                key,
                *columns,
                table,
                where,
            )
        )
        rows = self.env.cr.fetchall()
        readable = set(Model.search([("id", "in", [r[0] for r in rows])]).ids) if rows else set()
        return [
            {
                "id": rid,
                "name": name,
                "key": key,
                "city": _city(city),
                "country": country or False,
                "domain": _domain(email),
            }
            for rid, name, key, city, country, email in rows
            if rid in readable
        ]

    def _look_alikes(self, vals, rows):
        """([rows] that look like the new record's `vals`, why) by the first fuzzy key that
        finds one."""
        city, country = _city(vals.get("city")), vals.get("country_id") or False
        if city or country:
            same_place = [
                row
                for row in rows
                if (row["city"] == city if city else row["country"] == country)
                and (not city or not country or not row["country"] or row["country"] == country)
            ]
            if same_place:
                what = (
                    self.env._("same name and city")
                    if city
                    else self.env._("same name and country")
                )
                return same_place, what
        domain = _domain(vals.get("email"))
        if domain:
            same_domain = [row for row in rows if row["domain"] == domain]
            if same_domain:
                return same_domain, self.env._(
                    "same name and e-mail domain %(domain)s", domain=domain
                )
        return [], ""
