# Copyright 2026 lightspeed_connector contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lightspeed Retail Connector - Job Queue",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "summary": "Run Lightspeed imports as OCA queue_job jobs: one channel per account, "
    "backfills split into chunks, retries with Lightspeed's back-off",
    "author": "lightspeed_connector contributors",
    "website": "https://github.com/lightspeed-connector/lightspeed-connector",
    "license": "LGPL-3",
    "depends": ["lightspeed_connector", "queue_job"],
    "data": [
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
        "views/lightspeed_sync_run_views.xml",
        "views/lightspeed_backfill_wizard_views.xml",
        "views/queue_job_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
    "installable": True,
}
