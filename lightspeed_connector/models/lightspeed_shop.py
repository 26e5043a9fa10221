# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9 is not supported by Odoo 18 anyway
    ZoneInfo = ZoneInfoNotFoundError = None


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

    @api.model_create_multi
    def create(self, vals_list):
        shops = super().create(vals_list)
        shops.filtered(lambda s: s.warehouse_id and not s.pos_config_id)._ensure_pos_config()
        return shops

    def write(self, vals):
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
