# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.tools import float_compare


class LightspeedTax(models.Model):
    """One rate of a Lightspeed tax category (tax1 / tax2), mapped to an Odoo sales tax."""

    _name = "lightspeed.tax"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Tax Rate"

    tax_category_lightspeed_id = fields.Char(string="Tax category ID", readonly=True)
    slot = fields.Selection([("tax1", "Tax 1"), ("tax2", "Tax 2")], readonly=True)
    rate = fields.Float(string="Rate (%)", digits=(16, 4), readonly=True)
    price_include = fields.Boolean(string="Included in price", readonly=True)
    tax_id = fields.Many2one(
        "account.tax",
        string="Odoo tax",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale'), ('amount_type', '=', 'percent')]",
    )

    def _auto_match(self):
        """Find (or create, when the backend allows it) a sales tax of the same rate and kind."""
        Tax = self.env["account.tax"]
        for rec in self.filtered(lambda r: not r.tax_id):
            candidates = Tax.search(
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("company_id", "=", rec.company_id.id),
                    ("price_include", "=", rec.price_include),
                ]
            ).filtered(lambda t, r=rec: float_compare(t.amount, r.rate, precision_digits=4) == 0)
            if candidates:
                rec.tax_id = candidates[0]
            elif rec.backend_id.create_missing_taxes and rec._tax_country():
                rec.tax_id = Tax.with_company(rec.company_id).create(rec._prepare_tax_vals())

    def _tax_country(self):
        """Odoo taxes belong to a country; without one the rate stays for manual mapping."""
        company = self.company_id
        return company.account_fiscal_country_id or company.country_id

    def _price_include_override(self):
        return "tax_included" if self.price_include else "tax_excluded"

    def _prepare_tax_vals(self):
        self.ensure_one()
        return {
            "name": _(
                "%(name)s %(rate)s%% (Lightspeed)%(incl)s",
                name=self.name,
                rate=f"{self.rate:g}",
                incl=_(" incl.") if self.price_include else "",
            ),
            "amount": self.rate,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": self._price_include_override(),
            "company_id": self.company_id.id,
            "tax_group_id": self._tax_group().id,
            "country_id": self._tax_country().id,
        }

    def _tax_group(self):
        """A company without a chart of accounts has no tax group yet; taxes need one."""
        Group = self.env["account.tax.group"]
        group = Group.search([("company_id", "=", self.company_id.id)], limit=1)
        return group or Group.create({"name": _("Lightspeed"), "company_id": self.company_id.id})

    @api.model
    def _rows_from_tax_category(self, category):
        """Mapping rows for the non-zero rates of one tax category, including the per tax class
        override rates (e.g. a reduced VAT rate for some items)."""
        rows = []
        sources = [(None, category.tax1_rate, category.tax2_rate)] + [
            (klass.tax_class_id, klass.tax1_rate, klass.tax2_rate) for klass in category.classes
        ]
        for class_id, *rates in sources:
            for slot, name, rate in zip(
                ("tax1", "tax2"), (category.tax1_name, category.tax2_name), rates, strict=True
            ):
                if not rate:
                    continue
                key = f"{category.tax_category_id}/{slot}"
                if class_id:
                    key = f"{category.tax_category_id}/class{class_id}/{slot}"
                rows.append(
                    {
                        "lightspeed_id": key,
                        "tax_category_lightspeed_id": category.tax_category_id,
                        "slot": slot,
                        "name": name or _("Tax %(slot)s", slot=slot[-1]),
                        "rate": float(rate * 100),
                        "price_include": bool(category.is_tax_inclusive),
                    }
                )
        return rows
