# Copyright 2026 lightspeed_connector contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lightspeed Retail Connector",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "summary": "Import Lightspeed Retail (R-Series) sales, clock-ins and KPIs into Odoo",
    "author": "lightspeed_connector contributors",
    "website": "https://github.com/lightspeed-connector/lightspeed-connector",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "pos_hr", "hr_attendance", "stock", "hr"],
    "external_dependencies": {"python": ["requests", "requests_oauthlib"]},
    "data": [
        "security/lightspeed_connector_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/ir_cron_clock_in.xml",
        "views/lightspeed_backend_views.xml",
        "views/lightspeed_shop_views.xml",
        "views/lightspeed_mapping_views.xml",
        "views/lightspeed_sync_record_views.xml",
        "views/lightspeed_sync_run_views.xml",
        "views/res_config_settings_views.xml",
        "views/lightspeed_connector_menus.xml",
        "views/hr_attendance_views.xml",
    ],
    "application": True,
    "installable": True,
}
