# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the books need from a backend: the currency Lightspeed keeps the account's amounts in,
where each day's cash goes, and a check of the taxes the sales are booked with."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..api import Account
from ..api.normalize import as_list

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    _inherit = "lightspeed.backend"

    lightspeed_currency_code = fields.Char(
        string="Lightspeed currency code",
        readonly=True,
        copy=False,
        help="Default currency of the Lightspeed account (read by Sync metadata).",
    )
    lightspeed_currency_id = fields.Many2one(
        "res.currency",
        string="Lightspeed currency",
        compute="_compute_lightspeed_currency_id",
        store=True,
        help="Every amount of the account is in this currency; its shops can only be mapped in "
        "a company of this currency.",
    )
    currency_mismatch = fields.Boolean(compute="_compute_lightspeed_currency_id", store=True)
    cash_transfer_account_id = fields.Many2one(
        "account.account",
        string="Cash deposit account",
        compute="_compute_cash_transfer_account_id",
        store=True,
        readonly=False,
        check_company=True,
        domain="[('deprecated', '=', False), ('account_type', 'in', ('asset_current', "
        "'asset_cash'))]",
        help="When a Lightspeed session closes, the cash counted in its drawer is moved out of "
        "the shop's cash journal to this account (the day's deposit), to be matched with the "
        "bank deposit. Empty: the cash stays in the cash journal.",
    )
    tax_issue_ids = fields.Many2many(
        "account.tax",
        string="Taxes without tax accounts",
        compute="_compute_tax_issue_ids",
        help="Taxes of the tax mappings whose tax amounts would be booked without a tax account "
        "(on the sales income account instead).",
    )
    tax_issue_count = fields.Integer(compute="_compute_tax_issue_ids")

    @api.depends("lightspeed_currency_code", "company_id.currency_id")
    def _compute_lightspeed_currency_id(self):
        Currency = self.env["res.currency"].with_context(active_test=False)
        for backend in self:
            code = backend.lightspeed_currency_code
            currency = Currency.search([("name", "=", code)], limit=1) if code else Currency
            backend.lightspeed_currency_id = currency
            backend.currency_mismatch = bool(
                currency and currency != backend.company_id.currency_id
            )

    @api.depends("company_id")
    def _compute_cash_transfer_account_id(self):
        for backend in self:
            backend.cash_transfer_account_id = backend.company_id.transfer_account_id

    @api.depends("tax_ids.tax_id")
    def _compute_tax_issue_ids(self):
        for backend in self:
            taxes = backend.tax_ids.tax_id.filtered(lambda t: not t._lightspeed_has_tax_accounts())
            backend.tax_issue_ids = taxes
            backend.tax_issue_count = len(taxes)

    def _onboarding_items(self):
        items = super()._onboarding_items()
        if self.state != "connected":
            return items
        if self.currency_mismatch:
            items.append(
                _(
                    "Lightspeed keeps this account in %(currency)s, company %(company)s books in "
                    "%(company_currency)s: connect the account from a company whose currency is "
                    "%(currency)s.",
                    currency=self.lightspeed_currency_id.name,
                    company=self.company_id.name,
                    company_currency=self.company_id.currency_id.name,
                )
            )
        if self.tax_issue_ids:
            items.append(
                _(
                    "%(count)s mapped tax(es) have no tax account: see the Accounting tab.",
                    count=len(self.tax_issue_ids),
                )
            )
        return items

    # === METADATA === #

    def _read_metadata(self, client, run):
        """Also read the account's default currency (only the account's own record carries
        it, not the account list the connection reads)."""
        self._read_account_currency(client)
        return super()._read_metadata(client, run)

    def _read_account_currency(self, client):
        self.ensure_one()
        if not self.account_id:
            return
        with self._lightspeed_errors():
            data = client.get(f"/API/V3/Account/{self.account_id}.json")
        accounts = as_list(data.get("Account"))
        if not accounts or not isinstance(accounts[0], dict):
            return
        code = Account.from_payload(accounts[0]).currency
        if code and code != self.lightspeed_currency_code:
            self.lightspeed_currency_code = code
            _logger.info("Lightspeed[%s]: account currency is %s", self.name, code)

    # === TAX CHECK === #

    def action_fix_tax_accounts(self):
        """Give the listed taxes the tax accounts (and, for taxes the connector created, the
        tax group of their rate and their shops' country) of a sales tax of the company."""
        self.ensure_one()
        if not self.env.user.has_group("lightspeed_connector.group_lightspeed_manager"):
            raise AccessError(_("Only a Lightspeed administrator can fix the tax accounts."))
        fixed, unfixable = self.env["account.tax"], []
        for row in self.tax_ids.filtered(lambda r: r.tax_id in self.tax_issue_ids):
            if row.tax_id in fixed:
                continue
            # A Lightspeed administrator need not be an accounting manager: the fix only
            # copies accounts the company's own sales tax already uses.
            if row.sudo()._fix_tax_accounts():
                fixed |= row.tax_id
            else:
                unfixable.append(row._missing_template_message())
        self.invalidate_recordset(["tax_issue_ids", "tax_issue_count"])
        if unfixable:
            raise UserError("\n".join(unfixable))
        if fixed:
            self.message_post(
                body=_(
                    "Tax accounts set on %(taxes)s. Closing entries posted before keep their "
                    "tax amounts on the income account: correct them with a journal entry.",
                    taxes=", ".join(fixed.mapped("name")),
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Tax accounts"),
                "message": _("%(count)s tax(es) fixed.", count=len(fixed))
                if fixed
                else _("Every mapped tax has its tax accounts."),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
