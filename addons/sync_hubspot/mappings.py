# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot's default mappings (data read by sync_core's loader): companies and contacts ->
res.partner with match rules."""

from odoo.addons.sync_core.mapping_defaults import COMPANY_DOMAIN, contact_mapping

DEFAULT_MAPPINGS = (
    {
        "name": "HubSpot companies",
        "remote_object": "companies",
        "res_model": "res.partner",
        "default_values": "{'is_company': True}",
        "delete_policy": "binding",
        "lines": (
            ("name", "name"),
            ("domain", "website"),
            ("phone", "phone"),
            ("city", "city"),
            # HubSpot's country is free text ("Belgium"); by name or ISO code
            ("country", "country_id", "ref:country_name"),
            ("vat", "vat"),
        ),
        "matches": (
            ("vat", "vat", "iexact", 1, COMPANY_DOMAIN),
            ("domain", "website", "email_domain", 2, COMPANY_DOMAIN),
            ("domain", "email", "email_domain", 3, COMPANY_DOMAIN),
        ),
    },
    contact_mapping(
        "HubSpot contacts",
        "contacts",
        "companies",
        name="name",
        email="email",
        phone="phone",
        title="jobtitle",
        company="company_id",
        delete_policy="binding",
    ),
)
