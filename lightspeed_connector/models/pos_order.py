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


class LightspeedLockedOrderPart(models.AbstractModel):
    """Lines and payments of an imported order keep what Lightspeed booked: created, changed
    or deleted from Odoo, they are refused (see ``PosOrder._check_lightspeed_readonly``)."""

    _name = "lightspeed.locked.order.part"
    _description = "Part of an imported POS order"

    # Set by each model: its many2one to the order and the fields that are Lightspeed's.
    _lightspeed_order_field = None
    _lightspeed_locked_fields = frozenset()

    def _lightspeed_part_label(self, new=False):
        """What the refusal calls this part (each model translates its own)."""
        raise NotImplementedError

    def _check_lightspeed_readonly(self, vals=None):
        if vals is not None and not self._lightspeed_locked_fields & set(vals):
            return
        orders = self[self._lightspeed_order_field]
        orders._lightspeed_locked()._check_lightspeed_readonly(self._lightspeed_part_label())

    @api.model_create_multi
    def create(self, vals_list):
        field = self._lightspeed_order_field
        orders = self.env["pos.order"].browse(
            {vals[field] for vals in vals_list if vals.get(field)}
        )
        label = self._lightspeed_part_label(new=True)
        orders._lightspeed_locked()._check_lightspeed_readonly(label)
        return super().create(vals_list)

    def write(self, vals):
        self._check_lightspeed_readonly(vals)
        return super().write(vals)

    def unlink(self):
        self._check_lightspeed_readonly()
        return super().unlink()


class PosOrderLine(models.Model):
    _name = "pos.order.line"
    _inherit = ["pos.order.line", "lightspeed.locked.order.part"]
    _lightspeed_order_field = "order_id"
    _lightspeed_locked_fields = LOCKED_LINE_FIELDS

    lightspeed_line_id = fields.Char(
        string="Lightspeed sale line", index="btree_not_null", readonly=True, copy=False
    )

    def _lightspeed_part_label(self, new=False):
        return _("new order line") if new else _("order lines")


class PosPayment(models.Model):
    _name = "pos.payment"
    _inherit = ["pos.payment", "lightspeed.locked.order.part"]
    _lightspeed_order_field = "pos_order_id"
    _lightspeed_locked_fields = LOCKED_PAYMENT_FIELDS

    def _lightspeed_part_label(self, new=False):
        return _("new payment") if new else _("payments")
