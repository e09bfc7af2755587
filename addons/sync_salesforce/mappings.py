# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce's default mappings (data read by sync_core's loader): Account -> company,
Contact -> person under its account."""

from odoo.addons.sync_core.mapping_defaults import COMPANY_DOMAIN, contact_mapping

DEFAULT_MAPPINGS = (
    {
        "name": "Salesforce accounts",
        "remote_object": "Account",
        "res_model": "res.partner",
        "default_values": "{'is_company': True}",
        "delete_policy": "archive",
        "lines": (
            ("Name", "name"),
            ("Website", "website"),
            ("Phone", "phone"),
            ("BillingStreet", "street"),
            ("BillingCity", "city"),
            ("BillingPostalCode", "zip"),
            ("BillingCountry", "country_id", "ref:country_name"),
        ),
        "matches": (("Website", "website", "email_domain", 1, COMPANY_DOMAIN),),
    },
    contact_mapping(
        "Salesforce contacts",
        "Contact",
        "Account",
        name="Name",
        email="Email",
        phone="Phone",
        title="Title",
        company="AccountId",
        delete_policy="archive",
    ),
)
