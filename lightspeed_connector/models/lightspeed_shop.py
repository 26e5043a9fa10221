# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9 is not supported by Odoo 18 anyway
    ZoneInfo = ZoneInfoNotFoundError = None

# Legacy zone names Lightspeed still hands out ("US/Pacific") are links that the tz database's
# zone.tab does not list; their country is the one of the region they name.
LEGACY_ZONE_PREFIXES = {
    "US/": "US",
    "Canada/": "CA",
    "Australia/": "AU",
    "Brazil/": "BR",
    "Mexico/": "MX",
    "Chile/": "CL",
}
LEGACY_ZONES = {
    "GB": "GB",
    "GB-Eire": "GB",
    "Eire": "IE",
    "NZ": "NZ",
    "NZ-CHAT": "NZ",
    "Japan": "JP",
    "Singapore": "SG",
    "Hongkong": "HK",
    "Poland": "PL",
    "Portugal": "PT",
    "Israel": "IL",
    "Turkey": "TR",
    "Iceland": "IS",
    "Jamaica": "JM",
    "Navajo": "US",
    "PRC": "CN",
    "ROC": "TW",
    "ROK": "KR",
    "Europe/Kiev": "UA",
    "Asia/Calcutta": "IN",
    "Asia/Saigon": "VN",
    "Asia/Katmandu": "NP",
    "Asia/Rangoon": "MM",
    "America/Buenos_Aires": "AR",
    "America/Indianapolis": "US",
    "America/Louisville": "US",
}
_ZONE_COUNTRIES = {}


def country_code_of_zone(zone):
    """ISO country code of an IANA time zone ("Europe/Amsterdam" -> "NL"), or None when the
    zone names no single country (UTC, Etc/GMT+1...)."""
    if not zone:
        return None
    if not _ZONE_COUNTRIES:
        for code, zones in pytz.country_timezones.items():
            for name in zones:
                _ZONE_COUNTRIES[name] = code
    if zone in _ZONE_COUNTRIES:
        return _ZONE_COUNTRIES[zone]
    if zone in LEGACY_ZONES:
        return LEGACY_ZONES[zone]
    for prefix, code in LEGACY_ZONE_PREFIXES.items():
        if zone.startswith(prefix):
            return code
    return None


class LightspeedShop(models.Model):
    """A Lightspeed shop, mapped to a warehouse, a POS config and a department."""

    _name = "lightspeed.shop"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Shop"

    timezone = fields.Char(
        string="Time zone",
        help="IANA time zone of the shop in Lightspeed; business days follow it.",
    )
    tax_category_lightspeed_id = fields.Char(string="Default tax category", readonly=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        check_company=True,
        help="Stock of this shop's sales leaves from this warehouse.",
    )
    pos_config_id = fields.Many2one(
        "pos.config",
        string="Point of Sale",
        check_company=True,
        help="Imported sales become orders of this point of sale. Set a warehouse and the "
        "connector creates one for you.",
    )
    cash_payment_method_id = fields.Many2one(
        "pos.payment.method",
        check_company=True,
        help="Odoo needs one cash method (with its own journal) per point of sale; Lightspeed "
        "cash payments of this shop land here.",
    )
    department_id = fields.Many2one(
        "hr.department",
        check_company=True,
        help="Sales and hours of this shop count for this department. Several shops may feed "
        "one department.",
    )
    import_enabled = fields.Boolean(default=False, help="Import sales and clock-ins of this shop.")
    register_ids = fields.One2many("lightspeed.register", "shop_id")
    country_id = fields.Many2one(
        "res.country",
        compute="_compute_country_id",
        store=True,
        readonly=False,
        help="Country of the shop: its warehouse's own address, else its time zone. Taxes the "
        "connector creates for the shop's tax category belong to this country.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        string="Lightspeed currency",
        related="backend_id.lightspeed_currency_id",
        help="Currency Lightspeed keeps this shop's amounts in (R-Series: the account's "
        "default currency). The shop can only be mapped in a company of that currency.",
    )
    country_currency_warning = fields.Char(compute="_compute_country_currency_warning")

    _sql_constraints = [
        (
            "warehouse_uniq",
            "unique(backend_id, warehouse_id)",
            "Each warehouse can be mapped to one Lightspeed shop only.",
        ),
        (
            "pos_config_uniq",
            "unique(pos_config_id)",
            "Each point of sale can receive the sales of one Lightspeed shop only.",
        ),
    ]

    @api.depends("timezone", "warehouse_id.partner_id.country_id")
    def _compute_country_id(self):
        Country = self.env["res.country"]
        for shop in self:
            address = shop.warehouse_id.partner_id
            if address.country_id and address != shop.company_id.partner_id:
                shop.country_id = address.country_id
                continue
            code = country_code_of_zone(shop.timezone)
            country = Country.search([("code", "=", code)], limit=1) if code else Country
            shop.country_id = country or shop.country_id

    @api.depends("country_id", "currency_id")
    def _compute_country_currency_warning(self):
        for shop in self:
            local = shop.country_id.currency_id
            if local and shop.currency_id and local != shop.currency_id:
                shop.country_currency_warning = _(
                    "This shop is in %(country)s, whose currency is %(local)s, but Lightspeed "
                    "keeps the amounts of its account in %(currency)s. If the shop sells in "
                    "%(local)s, give it a Lightspeed account of its own and map that account in "
                    "a company whose currency is %(local)s.",
                    country=shop.country_id.name,
                    local=local.name,
                    currency=shop.currency_id.name,
                )
            else:
                shop.country_currency_warning = False

    @api.constrains("timezone")
    def _check_timezone(self):
        for shop in self.filtered("timezone"):
            try:
                ZoneInfo(shop.timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValidationError(
                    _(
                        "Unknown time zone %(tz)s on shop %(shop)s.",
                        tz=shop.timezone,
                        shop=shop.name,
                    )
                ) from exc

    @api.constrains("import_enabled", "warehouse_id", "pos_config_id")
    def _check_import_mapping(self):
        for shop in self.filtered("import_enabled"):
            if not shop.warehouse_id or not shop.pos_config_id:
                raise ValidationError(
                    _(
                        "Shop %(shop)s needs a warehouse and a point of sale before its import "
                        "can be enabled.",
                        shop=shop.name,
                    )
                )

    def _check_currency(self, vals=None):
        """One currency per company: a shop is mapped only in a company of the currency
        Lightspeed keeps its amounts in, and to points of sale of that currency. ``vals``: the
        values about to be written (checked before anything is created for them)."""
        vals = vals or {}
        keys = ("warehouse_id", "pos_config_id", "import_enabled")
        for shop in self:
            currency = shop.currency_id
            if not currency or not any(vals.get(key, shop[key]) for key in keys):
                continue  # unmapped, or the currency is not read yet (Sync metadata reads it)
            company = shop.company_id
            if currency != company.currency_id:
                raise UserError(
                    _(
                        "Shop %(shop)s sells in %(currency)s, but backend %(backend)s books into "
                        "company %(company)s, whose currency is %(company_currency)s: map this "
                        "shop in a company whose currency is %(currency)s.",
                        shop=shop.name,
                        currency=currency.name,
                        backend=shop.backend_id.name,
                        company=company.name,
                        company_currency=company.currency_id.name,
                    )
                )
            config = (
                self.env["pos.config"].browse(vals["pos_config_id"])
                if "pos_config_id" in vals
                else shop.pos_config_id
            )
            for pos in (config | shop.register_ids.pos_config_id).filtered(
                lambda c, cur=currency: c.currency_id != cur
            ):
                raise UserError(
                    _(
                        "Point of sale %(pos)s books in %(pos_currency)s, but Lightspeed shop "
                        "%(shop)s sells in %(currency)s: choose a point of sale whose journal is "
                        "in %(currency)s.",
                        pos=pos.name,
                        pos_currency=pos.currency_id.name,
                        shop=shop.name,
                        currency=currency.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        shops = super().create(vals_list)
        shops._check_currency()
        shops.filtered(lambda s: s.warehouse_id and not s.pos_config_id)._ensure_pos_config()
        return shops

    def write(self, vals):
        if any(vals.get(key) for key in ("warehouse_id", "pos_config_id", "import_enabled")):
            # Refused before anything (a point of sale, a cash journal) is made for the shop.
            self._check_currency(vals)
        if vals.get("warehouse_id") and vals.get("import_enabled"):
            # The point of sale is created from the warehouse; enable the import afterwards so
            # the mapping check sees it.
            vals = dict(vals)
            enable = vals.pop("import_enabled")
            return self.write(vals) and self.write({"import_enabled": enable})
        res = super().write(vals)
        if vals.get("warehouse_id"):
            self.filtered(lambda s: s.warehouse_id and not s.pos_config_id)._ensure_pos_config()
        return res

    def get_zoneinfo(self):
        """The shop's time zone (UTC when Lightspeed did not say)."""
        self.ensure_one()
        return ZoneInfo(self.timezone or "UTC")

    def action_create_pos_config(self):
        missing = self.filtered(lambda s: not s.warehouse_id)
        if missing:
            raise UserError(
                _(
                    "Choose a warehouse for %(shops)s first.",
                    shops=", ".join(missing.mapped("name")),
                )
            )
        self._ensure_pos_config()
        return True

    def _ensure_pos_config(self):
        """Create or adopt the dedicated point of sale of each shop.

        An existing config named like the shop on the same picking type is adopted; otherwise a
        new one is created with the warehouse's POS picking type, its own cash journal and the
        payment methods mapped on the backend.
        """
        for shop in self:
            company = shop.company_id
            env = shop.with_company(company).env
            picking_type = shop.warehouse_id.pos_type_id
            if not picking_type:
                raise UserError(
                    _("Warehouse %(wh)s has no POS operation type.", wh=shop.warehouse_id.name)
                )
            name = _("Lightspeed %(shop)s", shop=shop.name)
            config = env["pos.config"].search(
                [
                    ("name", "=", name),
                    ("picking_type_id", "=", picking_type.id),
                    ("company_id", "=", company.id),
                ],
                limit=1,
            )
            cash_method = shop.cash_payment_method_id or shop._create_cash_payment_method()
            methods = cash_method | shop.backend_id.payment_type_ids.payment_method_id
            if config:
                config.payment_method_ids = [Command.link(m.id) for m in methods]
            else:
                config = env["pos.config"].create(
                    {
                        "name": name,
                        "picking_type_id": picking_type.id,
                        "company_id": company.id,
                        "payment_method_ids": [Command.set(methods.ids)],
                        "module_pos_hr": True,
                    }
                )
            shop.write({"pos_config_id": config.id, "cash_payment_method_id": cash_method.id})

    def _create_cash_payment_method(self):
        self.ensure_one()
        env = self.with_company(self.company_id).env
        journal = env["account.journal"].create(
            {
                "name": _("Cash %(shop)s", shop=self.name),
                "type": "cash",
                "code": self._unique_journal_code(env, "LSC"),
                "company_id": self.company_id.id,
            }
        )
        return env["pos.payment.method"].create(
            {
                "name": _("Cash %(shop)s", shop=self.name),
                "journal_id": journal.id,
                "company_id": self.company_id.id,
            }
        )

    @api.model
    def _unique_journal_code(self, env, prefix):
        """Journal codes are at most 5 characters and unique per company."""
        existing = set(
            env["account.journal"]
            .with_context(active_test=False)
            .search([("company_id", "=", env.company.id), ("code", "=like", prefix + "%")])
            .mapped("code")
        )
        for index in range(1, 100):
            code = f"{prefix}{index}"
            if code not in existing:
                return code
        raise UserError(_("No free journal code left for prefix %(prefix)s.", prefix=prefix))
