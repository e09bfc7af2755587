# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync Jira Cloud + Tempo (PSA)",
    "summary": "Second PSA on sync_psa's vendor-neutral layer: Tempo worklogs of approved "
    "timesheet periods into invoiceable timesheets, Jira projects, people and milestones.",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_psa"],
    "external_dependencies": {"python": ["jira", "requests"]},
    "data": ["views/sync_backend_views.xml"],
    "installable": True,
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
