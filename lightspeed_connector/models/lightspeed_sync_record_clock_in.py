# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models
from odoo.exceptions import UserError


class LightspeedSyncRecord(models.Model):
    """Clock-in specifics of a sync record: both versions of a conflict and its resolution."""

    _inherit = "lightspeed.sync.record"

    remote_check_in = fields.Datetime(
        string="Check in (Lightspeed)", readonly=True, help="Lightspeed's version (UTC)."
    )
    remote_check_out = fields.Datetime(
        string="Check out (Lightspeed)",
        readonly=True,
        help="Lightspeed's version (UTC); empty while the shift is open.",
    )
    conflict_type = fields.Selection(
        [
            ("odoo_edit", "Edited in Odoo and changed in Lightspeed"),
            ("deleted_edited", "Deleted in Lightspeed, edited in Odoo"),
            ("overlap", "Overlaps another attendance"),
        ],
        readonly=True,
    )
    odoo_check_in = fields.Datetime(
        string="Check in (Odoo)", readonly=True, help="Odoo's version when the conflict arose."
    )
    odoo_check_out = fields.Datetime(string="Check out (Odoo)", readonly=True)
    conflict_attendance_ids = fields.Many2many(
        "hr.attendance",
        string="Conflicting attendances",
        readonly=True,
        help="The Odoo attendances that disagree with the Lightspeed shift.",
    )

    def _check_clock_in_conflicts(self):
        wrong = self.filtered(lambda r: r.record_type != "clock_in" or r.state != "conflict")
        if wrong:
            raise UserError(
                _(
                    "Only clock-in conflicts can be resolved this way (%(records)s).",
                    records=", ".join(wrong.mapped("display_label")),
                )
            )

    def action_take_lightspeed(self):
        """Resolve conflicts with Lightspeed's version (Odoo's edit or attendance is lost)."""
        self._check_clock_in_conflicts()
        importer = self.env["lightspeed.clock_in.importer"]
        for rec in self:
            if rec.conflict_type == "overlap":
                others = rec.conflict_attendance_ids.exists()
                imported = others.filtered("lightspeed_id")
                if imported:
                    raise UserError(
                        _(
                            "Shift %(shift)s overlaps Lightspeed shift(s) %(others)s: correct "
                            "the clock entries in Lightspeed, then retry.",
                            shift=rec.lightspeed_id,
                            others=", ".join(imported.mapped("lightspeed_id")),
                        )
                    )
                importer._sudo_attendance(others).unlink()
                rec._reprocess()
            else:
                rec._reprocess(lightspeed_take_remote=True)
        return True

    def action_keep_odoo(self):
        """Resolve conflicts with Odoo's version; a later Lightspeed change asks again."""
        self._check_clock_in_conflicts()
        importer = self.env["lightspeed.clock_in.importer"]
        for rec in self:
            attendance = importer._find_attendance(rec)
            if rec.conflict_type == "odoo_edit" and attendance:
                # What Lightspeed says now counts as imported: Odoo's edit stays an edit.
                importer._sudo_attendance(attendance).write(
                    {
                        "lightspeed_check_in": rec.remote_check_in,
                        "lightspeed_check_out": rec.remote_check_out,
                    }
                )
            state = "skipped" if rec.conflict_type == "overlap" else "done"
            rec.write(
                {
                    "state": state,
                    "error_message": _(
                        "Odoo's version kept by %(user)s on %(date)s.",
                        user=self.env.user.name,
                        date=fields.Datetime.to_string(fields.Datetime.now()),
                    ),
                    "conflict_type": False,
                    "conflict_attendance_ids": [fields.Command.clear()],
                    "synced_at": fields.Datetime.now(),
                }
            )
        return True
