"""Default mappings as data (plain Python, no ORM).

A connector declares its default mappings as a tuple of dicts, which
``sync.backend._create_default_mappings(specs)`` creates on a backend (idempotent: a remote
object that has a mapping is left alone).  A spec is the mapping's values (``name``,
``remote_object``, ``res_model``, ``default_values``, ``delete_policy`` ...) with
``lines``: ``(remote field, Odoo field[, transform[, ref_object]])`` and
``matches``: ``(remote field, Odoo field, method, sequence[, extra domain])``.

`company_mapping` and `contact_mapping` are the company and the contact (person under its
company) mappings every CRM has, in the remote's field names.
"""

PERSON_DOMAIN = "[('is_company', '=', False)]"
COMPANY_DOMAIN = "[('is_company', '=', True)]"


def company_mapping(label, remote_object, delete_policy, lines, matches):
    """Companies (accounts) -> res.partner companies: `lines` and `matches` as above."""
    return {
        "name": label,
        "remote_object": remote_object,
        "res_model": "res.partner",
        "default_values": "{'is_company': True}",
        "delete_policy": delete_policy,
        "lines": lines,
        "matches": matches,
    }


def contact_mapping(
    label, remote_object, company_object, *, name, email, phone, title, company, delete_policy
):
    """Contacts -> res.partner persons under their company (bound by `company_object`),
    matched on the e-mail address; the arguments are the remote's field names."""
    return {
        "name": label,
        "remote_object": remote_object,
        "res_model": "res.partner",
        "default_values": "{'is_company': False, 'type': 'contact'}",
        "delete_policy": delete_policy,
        "lines": (
            (name, "name"),
            (email, "email", "lower"),
            (phone, "phone"),
            (title, "function"),
            (company, "parent_id", "ref:binding", company_object),
        ),
        "matches": ((email, "email", "iexact", 1, PERSON_DOMAIN),),
    }
