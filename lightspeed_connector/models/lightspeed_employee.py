# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class LightspeedEmployee(models.Model):
    """A Lightspeed employee and the Odoo employee it stands for."""

    _name = "lightspeed.employee"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Employee"

    email = fields.Char(readonly=True)
    locked = fields.Boolean(string="Locked in Lightspeed", readonly=True)
    employee_id = fields.Many2one(
        "hr.employee",
        string="Odoo employee",
        check_company=True,
        index=True,
        help="Sales and clock-ins of this Lightspeed employee are booked on this employee.",
    )
    ignored = fields.Boolean(
        help="Never map this employee (e.g. a shared test login): its sales import without "
        "cashier and its clock-ins are skipped.",
    )
    mapping_state = fields.Selection(
        [("mapped", "Mapped"), ("unmapped", "Unmapped"), ("ignored", "Ignored")],
        compute="_compute_mapping_state",
        store=True,
    )

    _sql_constraints = [
        (
            "employee_uniq",
            "unique(backend_id, employee_id)",
            "This Odoo employee is already mapped to another Lightspeed employee.",
        ),
    ]

    @api.depends("employee_id", "ignored")
    def _compute_mapping_state(self):
        for rec in self:
            if rec.ignored:
                rec.mapping_state = "ignored"
            else:
                rec.mapping_state = "mapped" if rec.employee_id else "unmapped"

    def _auto_match(self):
        """Match unmapped rows by work email, then exact name; create them if allowed."""
        Employee = self.env["hr.employee"].with_context(active_test=False)
        taken = set(self.search([("backend_id", "in", self.backend_id.ids)]).employee_id.ids)
        for rec in self.filtered(lambda r: not r.employee_id and not r.ignored):
            company_domain = [("company_id", "in", (rec.company_id.id, False))]
            candidates = Employee.browse()
            if rec.email:
                candidates = Employee.search([("work_email", "=ilike", rec.email), *company_domain])
            if not candidates:
                candidates = Employee.search([("name", "=", rec.name), *company_domain])
            candidates = candidates.filtered(lambda e, taken=taken: e.id not in taken)
            if len(candidates) == 1:
                rec.employee_id = candidates
            elif not candidates and rec.backend_id.create_missing_employees:
                rec.employee_id = Employee.create(
                    {
                        "name": rec.name,
                        "work_email": rec.email or False,
                        "company_id": rec.company_id.id,
                        "active": not rec.remote_archived,
                    }
                )
            taken.update(rec.employee_id.ids)

    def action_ignore(self):
        self.write({"ignored": True, "employee_id": False})
        return True

    def action_unignore(self):
        self.write({"ignored": False})
        return True

    def action_auto_match(self):
        self._auto_match()
        return True

    def _unmapped_message(self):
        return _(
            "Lightspeed employee %(name)s (ID %(id)s) is not mapped to an Odoo employee. Map it "
            "under Lightspeed > Configuration > Employees, then retry.",
            name=self.name,
            id=self.lightspeed_id,
        )
