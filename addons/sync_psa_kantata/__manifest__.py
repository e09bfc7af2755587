# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync PSA: Kantata OX",
    "summary": "Kantata OX (formerly Mavenlink) connector of the PSA layer: approved time and "
    "expenses, people, workspaces and milestones, with a wire-level Kantata fake.",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "sync_psa"],
    "external_dependencies": {"python": ["requests"]},
    "data": ["views/sync_backend_views.xml"],
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
