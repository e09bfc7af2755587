# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365's default mappings (data read by sync_core's loader): accounts -> companies,
contacts -> persons under their account.  Remote objects are Dataverse entity sets, fields
their column (logical) names."""

from odoo.addons.sync_core.mapping_defaults import COMPANY_DOMAIN, company_mapping, contact_mapping

# fmt: off
ACCOUNT_COLUMNS = (
    ("name", "name"), ("websiteurl", "website"), ("telephone1", "phone"),
    ("emailaddress1", "email", "lower"), ("address1_line1", "street"),
    ("address1_city", "city"), ("address1_postalcode", "zip"),
    ("address1_country", "country_id", "ref:country_name"),
)
CONTACT_COLUMNS = {"name": "fullname", "email": "emailaddress1", "phone": "telephone1",
                   "title": "jobtitle", "company": "_parentcustomerid_value"}
DEFAULT_MAPPINGS = (
    company_mapping("Dynamics 365 accounts", "accounts", "archive", ACCOUNT_COLUMNS,
                    (("websiteurl", "website", "email_domain", 1, COMPANY_DOMAIN),)),
    contact_mapping("Dynamics 365 contacts", "contacts", "accounts", delete_policy="archive",
                    **CONTACT_COLUMNS),
)
# fmt: on
