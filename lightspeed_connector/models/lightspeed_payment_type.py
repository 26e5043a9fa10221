# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, _, api, fields, models


class LightspeedPaymentType(models.Model):
    """A Lightspeed payment type and the POS payment method it is booked with.

    Cash is special: Odoo wants one cash method (with its own cash journal) per point of
    sale, so cash payments use the cash method of the shop the sale was made in.
    """

    _name = "lightspeed.payment.type"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Payment Type"

    payment_kind = fields.Char(
        string="Lightspeed type", readonly=True, help="cash, credit card, gift card, ..."
    )
    is_cash = fields.Boolean(compute="_compute_is_cash", store=True)
    payment_method_id = fields.Many2one(
        "pos.payment.method",
        check_company=True,
        domain="[('is_cash_count', '=', False)]",
        help="Non-cash payments of this type are booked with this method.",
    )

    @api.depends("payment_kind")
    def _compute_is_cash(self):
        for rec in self:
            rec.is_cash = rec.payment_kind == "cash"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._link_to_shop_configs()
        return records

    def write(self, vals):
        res = super().write(vals)
        if "payment_method_id" in vals:
            self._link_to_shop_configs()
        return res

    def _link_to_shop_configs(self):
        """Every shop config of the backend accepts every mapped method."""
        for rec in self.filtered("payment_method_id"):
            for config in rec.backend_id.shop_ids.pos_config_id:
                # pos.config.write() expects one config when payment methods change.
                if rec.payment_method_id not in config.payment_method_ids:
                    config.write({"payment_method_ids": [Command.link(rec.payment_method_id.id)]})

    def _resolve_payment_method(self, shop):
        self.ensure_one()
        return shop.cash_payment_method_id if self.is_cash else self.payment_method_id

    def action_create_payment_methods(self):
        """Create a bank-journal payment method for every unmapped non-cash type."""
        for rec in self.filtered(lambda r: not r.is_cash and not r.payment_method_id):
            env = rec.with_company(rec.company_id).env
            journal = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", rec.company_id.id)], limit=1
            )
            if not journal:
                journal = env["account.journal"].create(
                    {
                        "name": _("Lightspeed payments"),
                        "type": "bank",
                        "code": env["lightspeed.shop"]._unique_journal_code(env, "LSB"),
                        "company_id": rec.company_id.id,
                    }
                )
            rec.payment_method_id = env["pos.payment.method"].create(
                {
                    "name": rec.name,
                    "journal_id": journal.id,
                    "company_id": rec.company_id.id,
                }
            )
        return True
