# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .. import const


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lightspeed_correction_window_days = fields.Integer(
        string="Correction window (days)",
        config_parameter=const.PARAM_CORRECTION_DAYS,
        default=2,
    )
    lightspeed_initial_import_days = fields.Integer(
        string="First import (days)", config_parameter=const.PARAM_INITIAL_DAYS, default=3
    )
    lightspeed_clock_in_window_days = fields.Integer(
        string="Clock-in window (days)", config_parameter=const.PARAM_CLOCK_IN_DAYS, default=7
    )
    lightspeed_max_attempts = fields.Integer(
        string="Automatic retries (attempts)", config_parameter=const.PARAM_MAX_ATTEMPTS, default=3
    )
    lightspeed_auto_confirm_hour = fields.Integer(
        string="Auto-confirm at (hour, 0-23)",
        config_parameter=const.PARAM_AUTO_CONFIRM_HOUR,
        default=5,
        help="Local hour (shop time zone, 0-23) after which the previous day of every "
        "weekly balance is approved automatically.",
    )
    lightspeed_callback_url = fields.Char(
        string="OAuth redirect URI", compute="_compute_lightspeed_callback_url"
    )
    lightspeed_backend_count = fields.Integer(
        string="Connected accounts", compute="_compute_lightspeed_backend_count"
    )

    # Neither value is a field of the settings (web.base.url, the backends): company_id, set
    # by default on every new settings record, makes the form compute them when it opens.
    @api.depends("company_id")
    def _compute_lightspeed_callback_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.lightspeed_callback_url = base_url.rstrip("/") + const.CALLBACK_PATH

    @api.depends("company_id")
    def _compute_lightspeed_backend_count(self):
        count = self.env["lightspeed.backend"].search_count([("state", "=", "connected")])
        for settings in self:
            settings.lightspeed_backend_count = count
