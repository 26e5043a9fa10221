# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The life of a Lightspeed POS session: one per point of sale and business day, opened by the
import, closed once the business day is over in the shop's time zone."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import business_day_bounds
from .stock_picking import SESSION_PICKING_CONTEXT

# Closing a session loads all its orders at once; past this many orders a business day goes on
# in a further session of the same day, so memory stays bounded however sales fall on days.
MAX_ORDERS_PER_SESSION = 2000
CASH_FIELDS = ["statement_line_ids", "cash_register_balance_end", "cash_register_difference"]


class PosSession(models.Model):
    _inherit = "pos.session"

    lightspeed_shop_id = fields.Many2one("lightspeed.shop", index=True, readonly=True, copy=False)
    lightspeed_business_date = fields.Date(string="Business day", readonly=True, copy=False)

    @api.model
    def _lightspeed_session(self, config, shop, business_day):
        """The open session of ``config`` for that business day, opening it if needed.

        Odoo allows one open session per point of sale: a session of another day (or a full
        one) is closed first; a late sale for a closed day gets a short extra session.
        """
        session = self.search(
            [
                ("config_id", "=", config.id),
                ("state", "=", "opened"),
                ("lightspeed_business_date", "=", business_day),
            ],
            limit=1,
        )
        if (
            session
            and self.env["pos.order"].search_count(
                [("session_id", "=", session.id)], limit=MAX_ORDERS_PER_SESSION
            )
            < MAX_ORDERS_PER_SESSION
        ):
            return session
        for other in self.search([("config_id", "=", config.id), ("state", "!=", "closed")]):
            other._lightspeed_close()
        session = self.create(
            {
                "config_id": config.id,
                "lightspeed_shop_id": shop.id,
                "lightspeed_business_date": business_day,
            }
        )
        session.update_stock_at_closing = shop.backend_id.update_stock_at_closing
        session.set_opening_control(session.cash_register_balance_start, "")
        return session

    def _lightspeed_close(self):
        """Close with counted cash = expected cash (no bogus loss line); raise if Odoo refuses."""
        self.ensure_one()
        if self.state == "opening_control":
            self.set_opening_control(self.cash_register_balance_start, "")
        self._lightspeed_deposit_cash()
        if self.cash_journal_id:
            result = self.post_closing_cash_details(self.cash_register_balance_end)
            if not result.get("successful", True):
                raise UserError(result.get("message") or _("Cash closing failed."))
            self.invalidate_recordset(["cash_register_balance_end", "cash_register_difference"])
        result = self.close_session_from_ui()
        if not result.get("successful"):
            raise UserError(
                _(
                    "Odoo refused to close session %(session)s: %(msg)s",
                    session=self.name,
                    msg=result.get("message") or result,
                )
            )
        return True

    def _lightspeed_deposit_cash(self):
        """Move the cash of the drawer out of the cash journal to the backend's deposit
        account before counting, as the day's deposit: Odoo's cash-out line in the session,
        dated on the business day, with that account as counterpart. The drawer then counts
        zero and the next day starts from zero, so the cash journal does not grow."""
        self.ensure_one()
        account = self.lightspeed_shop_id.backend_id.cash_transfer_account_id
        if not self.cash_journal_id or not account:
            return False
        # A non-stored compute that does not depend on the cash lines: never trust the cache.
        self.invalidate_recordset(CASH_FIELDS)
        amount = self.currency_id.round(self.cash_register_balance_end)
        if self.currency_id.is_zero(amount):
            return False
        day = self.lightspeed_business_date or fields.Date.context_today(self)
        line = (
            self.env["account.bank.statement.line"]
            .sudo()
            .create(
                {
                    "pos_session_id": self.id,
                    "journal_id": self.cash_journal_id.id,
                    "amount": -amount,
                    "date": day,
                    "payment_ref": _(
                        "%(session)s - Cash deposit of %(day)s",
                        session=self.name,
                        day=fields.Date.to_string(day),
                    ),
                    "counterpart_account_id": account.id,
                }
            )
        )
        self.invalidate_recordset(CASH_FIELDS)
        return line

    def load_data(self, models_to_load, only_data=False):
        """The selling screen does not load for a session of a Lightspeed point of sale."""
        self.config_id._check_lightspeed_selling()
        return super().load_data(models_to_load, only_data=only_data)

    @api.model
    def _lightspeed_close_finished(self, backend):
        """Close the sessions whose business day is over in the shop's time zone."""
        now = fields.Datetime.now()
        sessions = self.search(
            [
                ("lightspeed_shop_id.backend_id", "=", backend.id),
                ("state", "=", "opened"),
                ("lightspeed_business_date", "!=", False),
            ]
        )
        for session in sessions:
            _start, end = business_day_bounds(
                session.lightspeed_business_date,
                session.lightspeed_shop_id.get_zoneinfo(),
                backend.day_cutoff_hour,
            )
            if end <= now:
                session._lightspeed_close()
                # One session's orders at a time in memory.
                self.env.invalidate_all()

    def _create_picking_at_end_of_session(self):
        """A Lightspeed session's picking books its moves in one batch (see stock_picking.py)."""
        if self.lightspeed_shop_id and SESSION_PICKING_CONTEXT not in self.env.context:
            self = self.with_context(**{SESSION_PICKING_CONTEXT: True})
        return super()._create_picking_at_end_of_session()

    def _create_account_move(
        self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None
    ):
        """Date the closing entry of a Lightspeed session on its business day, not on the day
        the import happened to close it."""
        data = super()._create_account_move(
            balancing_account=balancing_account,
            amount_to_balance=amount_to_balance,
            bank_payment_method_diffs=bank_payment_method_diffs,
        )
        for session in self.filtered(lambda s: s.lightspeed_business_date and s.move_id):
            session.move_id.date = session.lightspeed_business_date
        return data
