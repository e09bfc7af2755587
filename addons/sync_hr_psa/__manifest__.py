# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync HR - PSA bridge",
    "summary": "Approved leave from the HR platform pushed to the PSAs that take time off, "
    "for the employees bound to a PSA user (installed with sync_hr and sync_psa).",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_hr", "sync_psa"],
    "data": ["data/sync_job_kind_data.xml"],
    "auto_install": True,
    "installable": True,
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
