# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

# What an imported order's lines and payments keep as Lightspeed booked it (Odoo itself still
# writes the rest, e.g. costs and the closing entry's links).
LOCKED_LINE_FIELDS = {
    "order_id",
    "product_id",
    "qty",
    "price_unit",
    "discount",
    "tax_ids",
    "price_subtotal",
    "price_subtotal_incl",
    "refunded_orderline_id",
}
LOCKED_PAYMENT_FIELDS = {"pos_order_id", "payment_method_id", "amount", "payment_date"}


class PosOrder(models.Model):
    _name = "pos.order"
    _inherit = ["pos.order", "lightspeed.binding.mixin"]

    lightspeed_id = fields.Char(
        help="saleID of the imported sale; reversals and corrections add a suffix "
        "(e.g. 1042/void) so each Odoo order has its own key.",
    )
    lightspeed_sale_id = fields.Char(
        string="Lightspeed sale", index=True, readonly=True, copy=False
    )
    lightspeed_kind = fields.Selection(
        [
            ("sale", "Sale"),
            ("refund", "Refund"),
            ("void", "Void reversal"),
            ("correction", "Correction"),
        ],
        readonly=True,
        copy=False,
    )
    lightspeed_register_id = fields.Many2one("lightspeed.register", readonly=True, copy=False)

    # === READ-ONLY IMPORTED ORDERS === #
    # Corrections come from Lightspeed: the import books them as new orders (reversals,
    # corrections); an imported order itself is never returned, invoiced or edited in Odoo.

    def _check_lightspeed_readonly(self, action):
        imported = self.filtered("lightspeed_backend_id")
        if imported:
            raise UserError(
                _(
                    "%(order)s was imported from Lightspeed and cannot be changed in Odoo "
                    "(%(action)s). Make the change in Lightspeed (a return, a void or an edit of "
                    "the sale); the next import books it.",
                    order=imported[0].display_name,
                    action=action,
                )
            )

    @api.depends("lightspeed_backend_id")
    def _compute_has_refundable_lines(self):
        res = super()._compute_has_refundable_lines()
        for order in self.filtered("lightspeed_backend_id"):
            order.has_refundable_lines = False
        return res

    def refund(self):
        self._check_lightspeed_readonly(_("return products"))
        return super().refund()

    def _refund(self):
        self._check_lightspeed_readonly(_("return products"))
        return super()._refund()

    def action_pos_order_invoice(self):
        self._check_lightspeed_readonly(_("invoice"))
        return super().action_pos_order_invoice()

    def _generate_pos_order_invoice(self):
        self._check_lightspeed_readonly(_("invoice"))
        return super()._generate_pos_order_invoice()

    @api.model
    def sync_from_ui(self, orders):
        """The selling screen cannot send orders into the session of a Lightspeed POS."""
        sessions = self.env["pos.session"].browse(
            {order.get("session_id") for order in orders if order.get("session_id")}
        )
        sessions.config_id._check_lightspeed_selling()
        return super().sync_from_ui(orders)

    def _lightspeed_locked(self):
        """Imported orders past draft (draft ones exist only inside the import's savepoint)."""
        return self.filtered(lambda o: o.lightspeed_backend_id and o.state != "draft")


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    lightspeed_line_id = fields.Char(
        string="Lightspeed sale line", index="btree_not_null", readonly=True, copy=False
    )

    def _check_lightspeed_readonly(self, vals=None):
        if vals is not None and not LOCKED_LINE_FIELDS & set(vals):
            return
        self.order_id._lightspeed_locked()._check_lightspeed_readonly(_("order lines"))

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["pos.order"].browse(
            {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        )
        orders._lightspeed_locked()._check_lightspeed_readonly(_("new order line"))
        return super().create(vals_list)

    def write(self, vals):
        self._check_lightspeed_readonly(vals)
        return super().write(vals)

    def unlink(self):
        self._check_lightspeed_readonly()
        return super().unlink()


class PosPayment(models.Model):
    _inherit = "pos.payment"

    def _check_lightspeed_readonly(self, vals=None):
        if vals is not None and not LOCKED_PAYMENT_FIELDS & set(vals):
            return
        self.pos_order_id._lightspeed_locked()._check_lightspeed_readonly(_("payments"))

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["pos.order"].browse(
            {vals["pos_order_id"] for vals in vals_list if vals.get("pos_order_id")}
        )
        orders._lightspeed_locked()._check_lightspeed_readonly(_("new payment"))
        return super().create(vals_list)

    def write(self, vals):
        self._check_lightspeed_readonly(vals)
        return super().write(vals)

    def unlink(self):
        self._check_lightspeed_readonly()
        return super().unlink()
