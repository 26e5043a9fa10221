# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The stock picking of a Lightspeed session, booked in one batch.

Odoo's POS closing confirms one move per product, tries to reserve each, then sets each move's
quantity on its own (a write that creates that move's line and reserves it: a few queries per
product, hundreds of products per shop and day). The lines of an imported day are known and
final, so the moves of untracked products get their line, picked, in one ``create``, reserved
against quants read once. The picking, its moves and lines, the quants, valuation layers,
reordering triggers and the session's links come out as Odoo's own closing makes them; tracked
products, kits, packages and owners keep Odoo's path.
"""

from odoo import models

SESSION_PICKING_CONTEXT = "lightspeed_session_picking"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _create_move_from_pos_order_lines(self, lines):
        if not self.env.context.get(SESSION_PICKING_CONTEXT) or not self._lightspeed_batchable():
            return super()._create_move_from_pos_order_lines(lines)
        self.ensure_one()
        batchable = lines.filtered(self._lightspeed_batchable_line)
        if lines - batchable:
            super()._create_move_from_pos_order_lines(lines - batchable)
        if batchable:
            self._lightspeed_create_picked_moves(batchable)
        return True

    def _lightspeed_batchable(self):
        """Packages and owners change what a reservation takes: Odoo's path then. They are
        settings of the database (groups implied for every internal user), read as such so a
        cron's user sees what the people see."""
        features = self.env.ref("base.group_user").sudo().trans_implied_ids
        packages_or_owners = self.env.ref("stock.group_tracking_lot") | self.env.ref(
            "stock.group_tracking_owner"
        )
        return not features & packages_or_owners

    @staticmethod
    def _lightspeed_batchable_line(line):
        """Lots and kits (mrp explodes a kit's move when it is confirmed) keep Odoo's path."""
        product = line.product_id
        is_kit = "is_kits" in product._fields and product.is_kits
        return product.tracking == "none" and not line.pack_lot_ids and not is_kit

    def _lightspeed_create_picked_moves(self, lines):
        # grouped() keeps one prefetch set: each product's first line is not read on its own
        by_product = lines.sorted(lambda line: line.product_id.id).grouped("product_id")
        moves = self.env["stock.move"].create(
            [
                dict(self._prepare_stock_move_vals(product_lines[0], product_lines), picked=True)
                for product_lines in by_product.values()
            ]
        )
        # The reservation the line's creation makes reads these quants instead of searching
        # them one product at a time (one move per product: no quant is created twice).
        quants = self.env["stock.quant"]._get_quants_by_products_locations(
            moves.product_id, self.location_id, extra_domain=[("lot_id", "=", False)]
        )
        move_lines = (
            self.env["stock.move.line"]
            .with_context(quants_cache=quants)
            .create(
                [
                    dict(move._prepare_move_line_vals(quantity=move.product_uom_qty), picked=True)
                    for move in moves
                ]
            )
        )
        move_lines._apply_putaway_strategy()
        moves._action_confirm()
        self._link_owner_on_return_picking(lines)
        return moves
