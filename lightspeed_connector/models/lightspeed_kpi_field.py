# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

# POS data types the connector computes; the exact definitions are in README.md (Weekly balance).
DATA_TYPES = [
    ("gross_sales", "Gross sales (tax incl.)"),
    ("net_sales", "Net sales (tax excl.)"),
    ("discounts", "Discounts (tax incl.)"),
    ("returns", "Returns (amount, tax incl.)"),
    ("transactions", "Transactions (tickets)"),
    ("goods_sold", "Number of goods sold"),
    ("goods_returned", "Number of returned goods"),
    ("visitors", "Visitors (footfall)"),
]

REFUND_MODES = [
    ("ignore", "Not counted"),
    ("count", "Counted as a transaction"),
    ("subtract", "Subtracted (one less transaction)"),
]


class LightspeedKpiField(models.Model):
    """A weekly balance field: a code and label the workforce planning uses, fed by one POS
    data type."""

    _name = "lightspeed.kpi.field"
    _description = "Lightspeed Weekly Balance Field"
    _order = "sequence, code, id"
    _rec_names_search = ["code", "name"]

    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, help="Code of the field in the workforce tool, e.g. 5266.")
    name = fields.Char(string="Label", required=True, translate=True)
    data_type = fields.Selection(
        DATA_TYPES,
        string="Field type",
        required=True,
        help="POS figure this field shows. Visitors are entered by hand or imported from CSV.",
    )
    split_hourly = fields.Boolean(
        string="Split into intervals (1 h)",
        default=True,
        help="Keep one figure per hour of the shop's local day; otherwise one figure per day.",
    )
    refund_mode = fields.Selection(
        REFUND_MODES,
        string="Refund tickets",
        default="ignore",
        required=True,
        help="How a refund ticket counts in a Transactions field.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to use the field in every company."
    )

    _sql_constraints = [
        ("code_uniq", "unique(code, company_id)", "This weekly balance code is already used."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for field in self:
            field.display_name = f"{field.code} {field.name}" if field.code else field.name
