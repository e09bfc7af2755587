# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce's default mappings (data read by sync_core's loader): Account -> company,
Contact -> person under its account."""

from odoo.addons.sync_core.mapping_defaults import COMPANY_DOMAIN, company_mapping, contact_mapping

# fmt: off
ACCOUNT_FIELDS = (
    ("Name", "name"), ("Website", "website"), ("Phone", "phone"), ("BillingStreet", "street"),
    ("BillingCity", "city"), ("BillingPostalCode", "zip"),
    ("BillingCountry", "country_id", "ref:country_name"),
)
CONTACT_FIELDS = {"name": "Name", "email": "Email", "phone": "Phone", "title": "Title",
                  "company": "AccountId"}
DEFAULT_MAPPINGS = (
    company_mapping("Salesforce accounts", "Account", "archive", ACCOUNT_FIELDS,
                    (("Website", "website", "email_domain", 1, COMPANY_DOMAIN),)),
    contact_mapping("Salesforce contacts", "Contact", "Account", delete_policy="archive",
                    **CONTACT_FIELDS),
)
# fmt: on
