# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync: quote to order",
    "summary": "One quote-to-order workflow for every CRM connector: canonical deal -> customer, "
    "sale order in the deal's currency and company, project, mirrored opportunities, invoice "
    "figures written back.",
    "version": "19.0.1.1.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "crm", "sale_project"],
    "data": [
        "security/ir.model.access.csv",
        "security/sync_sale_security.xml",
        "views/sync_backend_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/project_project_views.xml",
        "views/crm_lead_views.xml",
        "views/sync_affected_views.xml",
        "data/sync_sale_data.xml",
        "data/sync_job_kind_data.xml",
        "data/ir_cron_data.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
