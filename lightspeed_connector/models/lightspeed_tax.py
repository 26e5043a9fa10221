# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import Command, _, api, fields, models
from odoo.tools import float_compare

RATE_IN_NAME = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


def _group_matches_rate(name, rate):
    """Whether a tax group's name states ``rate`` ("Tax 15%", "BTW 21 %", "GST 8,875%")."""
    for number in RATE_IN_NAME.findall(name or ""):
        if float_compare(float(number.replace(",", ".")), rate, precision_digits=4) == 0:
            return True
    return False


class LightspeedTax(models.Model):
    """One rate of a Lightspeed tax category (tax1 / tax2), mapped to an Odoo sales tax."""

    _name = "lightspeed.tax"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Tax Rate"

    tax_category_lightspeed_id = fields.Char(string="Tax category ID", readonly=True)
    tax_class_lightspeed_id = fields.Char(
        string="Tax class ID",
        readonly=True,
        help="Set on a tax class's override of the category rate (e.g. a reduced rate for "
        "some items); empty for the category's own rate.",
    )
    slot = fields.Selection([("tax1", "Tax 1"), ("tax2", "Tax 2")], readonly=True)
    rate = fields.Float(string="Rate (%)", digits=(16, 4), readonly=True)
    price_include = fields.Boolean(string="Included in price", readonly=True)
    tax_id = fields.Many2one(
        "account.tax",
        string="Odoo tax",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale'), ('amount_type', '=', 'percent')]",
    )

    missing_reason = fields.Char(
        string="Not created because",
        readonly=True,
        help="Why the connector did not create an Odoo tax for this rate.",
    )

    @api.depends("name", "tax_class_lightspeed_id")
    def _compute_display_name(self):
        for rec in self:
            if rec.tax_class_lightspeed_id:
                rec.display_name = _(
                    "%(name)s (tax class %(tax_class)s)",
                    name=rec.name,
                    tax_class=rec.tax_class_lightspeed_id,
                )
            else:
                rec.display_name = rec.name

    def _auto_match(self):
        """Find a sales tax of the same rate and kind, or create one (when the backend allows
        it) from a sales tax of the company that has tax accounts; without such a template the
        rate stays unmapped and says why."""
        Tax = self.env["account.tax"]
        for rec in self.filtered(lambda r: not r.tax_id):
            country = rec._tax_country()
            candidates = Tax.search(
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("company_id", "=", rec.company_id.id),
                    ("price_include", "=", rec.price_include),
                ]
            ).filtered(lambda t, r=rec: float_compare(t.amount, r.rate, precision_digits=4) == 0)
            if candidates:
                rec.tax_id = min(
                    candidates,
                    key=lambda t, c=country: (
                        t.country_id != c,
                        not t._lightspeed_has_tax_accounts(),
                        t.sequence,
                        t.id,
                    ),
                )
                rec.missing_reason = False
            elif rec.backend_id.create_missing_taxes and country:
                template = rec._template_tax()
                if template:
                    rec.tax_id = Tax.with_company(rec.company_id).create(
                        rec._prepare_tax_vals(template)
                    )
                    rec.missing_reason = False
                else:
                    rec.missing_reason = rec._missing_template_message()

    def _tax_country(self):
        """The country of the shops using this tax category (address or time zone), else the
        company's: Odoo taxes belong to a country."""
        self.ensure_one()
        shops = self.backend_id.shop_ids.filtered(
            lambda s: s.tax_category_lightspeed_id == self.tax_category_lightspeed_id
        )
        if len(shops.country_id) == 1:
            return shops.country_id
        company = self.company_id
        return company.account_fiscal_country_id or company.country_id

    def _price_include_override(self):
        return "tax_included" if self.price_include else "tax_excluded"

    def _template_tax(self):
        """The sales tax of the company a created tax copies its tax accounts from: one with
        accounts on its tax lines for invoices and refunds, preferably of the same price-
        included flag, then of the same country, then of the same rate."""
        self.ensure_one()
        taxes = self.env["account.tax"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
            ]
        )
        usable = taxes.filtered(lambda t: t._lightspeed_has_tax_accounts())
        if not usable:
            return usable
        country = self._tax_country()
        return min(
            usable,
            key=lambda t: (
                t.price_include != self.price_include,
                t.country_id != country,
                float_compare(t.amount, self.rate, precision_digits=4) != 0,
                t.sequence,
                t.id,
            ),
        )

    def _missing_template_message(self):
        self.ensure_one()
        kind = _("included in price") if self.price_include else _("excluded from price")
        return _(
            "The connector did not create a tax for rate %(name)s %(rate)s%% (%(kind)s): "
            "company %(company)s has no sales tax with tax accounts to copy them from. Create "
            "a sales tax of %(rate)s%%, %(kind)s, with its tax accounts, for %(country)s, and "
            "map it under Lightspeed > Mappings > Tax Rates (or run Sync metadata once the "
            "company has a sales tax with tax accounts).",
            name=self.name,
            rate=format(self.rate, "g"),
            kind=kind,
            company=self.company_id.name,
            country=self._tax_country().name or "?",
        )

    @api.model
    def _unmapped_rate_message(self, backend, rate, price_include, sale_ref):
        """Error of a sale with a rate no Odoo tax is mapped to: which tax to create or map."""
        row = backend.tax_ids.filtered(
            lambda r: (
                not r.tax_id
                and r.price_include == price_include
                and float_compare(r.rate, rate, precision_digits=4) == 0
            )
        )[:1]
        country = row._tax_country() if row else self.env["res.country"]
        message = _(
            "Tax rate %(rate)s%% (%(kind)s) of sale %(sale)s is not mapped to an Odoo tax: "
            "create a sales tax of %(rate)s%%, %(kind_long)s, with its tax accounts%(country)s, "
            "or pick one for rate %(name)s under Lightspeed > Mappings > Tax Rates, then retry.",
            rate=format(rate, "g"),
            kind=_("included") if price_include else _("excluded"),
            kind_long=_("included in price") if price_include else _("excluded from price"),
            sale=sale_ref,
            country=_(" (country: %(country)s)", country=country.name) if country else "",
            name=row.name or f"{rate:g}%",
        )
        if row.missing_reason:
            message = f"{message}\n{row.missing_reason}"
        return message

    def _prepare_tax_vals(self, template):
        """A sales tax of this rate with the tax accounts of ``template`` (a sales tax of the
        company), in the tax group of its rate and country. Tax grids are copied only from a
        template of the same rate and country (another rate reports in other grids)."""
        self.ensure_one()
        country = self._tax_country()
        same_grids = (
            template.country_id == country
            and float_compare(template.amount, self.rate, precision_digits=4) == 0
        )

        def repartition(lines):
            return [
                Command.create(
                    {
                        "repartition_type": line.repartition_type,
                        "factor_percent": line.factor_percent,
                        "account_id": line.account_id.id,
                        "use_in_tax_closing": line.use_in_tax_closing,
                        "sequence": line.sequence,
                        "tag_ids": [Command.set(line.tag_ids.ids if same_grids else [])],
                    }
                )
                for line in lines.sorted(lambda ln: (ln.sequence, ln.id))
            ]

        return {
            "name": _(
                "%(name)s %(rate)s%% (Lightspeed)%(incl)s",
                name=self.name,
                rate=format(self.rate, "g"),
                incl=_(" incl.") if self.price_include else "",
            ),
            "amount": self.rate,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": self._price_include_override(),
            "company_id": self.company_id.id,
            "country_id": country.id,
            "tax_group_id": self._tax_group(template, country).id,
            "invoice_repartition_line_ids": repartition(template.invoice_repartition_line_ids),
            "refund_repartition_line_ids": repartition(template.refund_repartition_line_ids),
            "lightspeed_created": True,
        }

    def _tax_group(self, template, country):
        """The company's tax group of this rate and country (e.g. "Tax 21%"), created with the
        tax closing accounts of the template's group when there is none."""
        Group = self.env["account.tax.group"]
        groups = Group.search(
            [("company_id", "=", self.company_id.id), ("country_id", "in", [country.id, False])]
        ).filtered(lambda g: _group_matches_rate(g.name, self.rate))
        if groups:
            return min(
                groups,
                key=lambda g: (g.country_id != country, not g.tax_payable_account_id, g.id),
            )
        source = template.tax_group_id
        return Group.create(
            {
                "name": _("Tax %(rate)s%%", rate=format(self.rate, "g")),
                "company_id": self.company_id.id,
                "country_id": country.id,
                "sequence": source.sequence,
                "tax_payable_account_id": source.tax_payable_account_id.id,
                "tax_receivable_account_id": source.tax_receivable_account_id.id,
                "advance_tax_payment_account_id": source.advance_tax_payment_account_id.id,
            }
        )

    def _fix_tax_accounts(self):
        """Give the mapped tax the tax accounts of a template: its tax lines without an
        account get the template's (lines are updated, not replaced: journal items may point
        at them). A tax the connector created also gets the tax group of its rate and its
        shops' country. Returns False when the company has no template tax."""
        self.ensure_one()
        tax = self.tax_id
        template = self._template_tax()
        if not template:
            return False
        for field in ("invoice_repartition_line_ids", "refund_repartition_line_ids"):
            lines, sources = (
                record[field]
                .filtered(lambda ln: ln.repartition_type == "tax")
                .sorted(lambda ln: (ln.sequence, ln.id))
                for record in (tax, template)
            )
            for index, line in enumerate(lines):
                if not line.account_id:
                    line.account_id = sources[min(index, len(sources) - 1)].account_id
        if tax.lightspeed_created or "(Lightspeed)" in (tax.name or ""):
            country = self._tax_country()
            group = self._tax_group(template, country)
            if tax.country_id != country or tax.tax_group_id != group:
                tax.write({"country_id": country.id, "tax_group_id": group.id})
            tax.lightspeed_created = True
        return True

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
                        "tax_class_lightspeed_id": class_id or False,
                        "slot": slot,
                        "name": name or _("Tax %(slot)s", slot=slot[-1]),
                        "rate": float(rate * 100),
                        "price_include": bool(category.is_tax_inclusive),
                    }
                )
        return rows
