# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ReportSaleDetails(models.AbstractModel):
    _inherit = "report.point_of_sale.report_saledetails"

    def get_sale_details(
        self, date_start=False, date_stop=False, config_ids=False, session_ids=False, **kwargs
    ):
        """The session report of a Lightspeed session also states its business day (its
        opening and closing times are those of the import)."""
        result = super().get_sale_details(date_start, date_stop, config_ids, session_ids, **kwargs)
        days = []
        if session_ids:
            sessions = self.env["pos.session"].browse(session_ids)
            days = sorted(
                set(
                    sessions.filtered("lightspeed_business_date").mapped("lightspeed_business_date")
                )
            )
        result["lightspeed_business_days"] = [fields.Date.to_string(day) for day in days]
        return result
