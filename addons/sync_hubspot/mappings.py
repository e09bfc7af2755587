# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot's default mappings (data read by sync_core's loader): companies and contacts ->
res.partner with match rules."""

from odoo.addons.sync_core.mapping_defaults import COMPANY_DOMAIN, company_mapping, contact_mapping

# fmt: off
COMPANY_PROPERTIES = (
    ("name", "name"), ("domain", "website"), ("phone", "phone"), ("city", "city"),
    # HubSpot's country is free text ("Belgium"); by name or ISO code
    ("country", "country_id", "ref:country_name"), ("vat", "vat"),
)
COMPANY_MATCHES = (
    ("vat", "vat", "iexact", 1, COMPANY_DOMAIN),
    ("domain", "website", "email_domain", 2, COMPANY_DOMAIN),
    ("domain", "email", "email_domain", 3, COMPANY_DOMAIN),
)
CONTACT_PROPERTIES = {"name": "name", "email": "email", "phone": "phone", "title": "jobtitle",
                      "company": "company_id"}
DEFAULT_MAPPINGS = (
    company_mapping("HubSpot companies", "companies", "binding", COMPANY_PROPERTIES,
                    COMPANY_MATCHES),
    contact_mapping("HubSpot contacts", "contacts", "companies", delete_policy="binding",
                    **CONTACT_PROPERTIES),
)
# fmt: on
