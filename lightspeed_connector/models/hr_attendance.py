# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError


class HrAttendance(models.Model):
    _name = "hr.attendance"
    _inherit = ["hr.attendance", "lightspeed.binding.mixin"]

    in_mode = fields.Selection(
        selection_add=[("lightspeed", "Lightspeed")], ondelete={"lightspeed": "set default"}
    )
    out_mode = fields.Selection(
        selection_add=[("lightspeed", "Lightspeed")], ondelete={"lightspeed": "set default"}
    )
    lightspeed_id = fields.Char(
        help="employeeHoursID of the Lightspeed clock entry this attendance mirrors."
    )
    lightspeed_check_in = fields.Datetime(
        string="Check in (Lightspeed)",
        readonly=True,
        copy=False,
        help="Check-in as last imported from Lightspeed; a different Check In means a manager "
        "edited the attendance in Odoo.",
    )
    lightspeed_check_out = fields.Datetime(
        string="Check out (Lightspeed)",
        readonly=True,
        copy=False,
        help="Check-out as last imported from Lightspeed (empty while the shift is open).",
    )
    lightspeed_edited = fields.Boolean(
        string="Edited in Odoo",
        compute="_compute_lightspeed_edited",
        help="The check-in or check-out differs from what Lightspeed sent last.",
    )

    @api.depends("check_in", "check_out", "out_mode", "lightspeed_check_in", "lightspeed_check_out")
    def _compute_lightspeed_edited(self):
        for attendance in self:
            attendance.lightspeed_edited = bool(
                attendance.lightspeed_id and attendance._lightspeed_is_edited()
            )

    def _lightspeed_is_edited(self):
        """Whether Odoo's times differ from the ones last imported.

        A check-out written by Odoo's automatic check-out on a shift that was open in
        Lightspeed is not an edit: the real clock-out replaces it on a later run.
        """
        self.ensure_one()
        if self.check_in != self.lightspeed_check_in:
            return True
        if self.check_out == self.lightspeed_check_out:
            return False
        return not (not self.lightspeed_check_out and self.out_mode == "auto_check_out")

    def action_open_lightspeed_sync_record(self):
        self.ensure_one()
        record = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.lightspeed_backend_id.id),
                ("record_type", "=", "clock_in"),
                ("lightspeed_id", "=", self.lightspeed_id),
            ],
            limit=1,
        )
        if not record:
            raise UserError(_("This attendance was not imported from Lightspeed."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "lightspeed.sync.record",
            "res_id": record.id,
            "view_mode": "form",
        }
