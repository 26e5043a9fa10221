# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date, formatLang

from .. import const
from ..tools import business_date, to_local
from .lightspeed_kpi_fact import COUNTED_STATES, WEEKDAYS

_logger = logging.getLogger(__name__)

# POS data types with a measure of their own on the figure lines (see _compute_kpi_measures).
KPI_MEASURE_TYPES = (
    "gross_sales",
    "net_sales",
    "discounts",
    "returns",
    "transactions",
    "goods_sold",
    "goods_returned",
    "visitors",
)
# Data types that count things (shown without decimals).
COUNT_TYPES = ("transactions", "goods_sold", "goods_returned", "visitors")
# Approval fields change only through action_approve / action_reopen / the scheduled action.
APPROVAL_FIELDS = {"approved", "approved_by_id", "approved_at", "auto_confirmed", "reopened"}
# Auto-confirm also catches up on days missed while the scheduler was down.
AUTO_CONFIRM_LOOKBACK_DAYS = 7


class LightspeedWeeklyBalance(models.Model):
    """Budget versus actual POS figures of one department for one ISO week."""

    _name = "lightspeed.weekly.balance"
    _description = "Lightspeed Weekly Balance"
    _inherit = ["mail.thread"]
    _order = "week_start desc, department_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    department_id = fields.Many2one(
        "hr.department", required=True, index=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    week_start = fields.Date(required=True, readonly=True, help="Monday of the ISO week.")
    week_end = fields.Date(compute="_compute_name", store=True)
    iso_week = fields.Char(string="Week", compute="_compute_name", store=True)
    day_ids = fields.One2many("lightspeed.weekly.balance.day", "balance_id", string="Days")
    line_ids = fields.One2many("lightspeed.weekly.balance.line", "balance_id", string="Figures")
    figures_html = fields.Html(
        string="Figures grid",
        compute="_compute_figures_html",
        sanitize=False,
        help="Actual (and budget) per field and weekday.",
    )
    approved_day_count = fields.Integer(compute="_compute_state", store=True)
    state = fields.Selection(
        [("open", "Open"), ("partial", "Partly approved"), ("approved", "Approved")],
        compute="_compute_state",
        store=True,
    )

    _sql_constraints = [
        (
            "department_week_uniq",
            "unique(department_id, week_start)",
            "This department already has a weekly balance for this week.",
        ),
    ]

    @api.depends("department_id.name", "week_start")
    def _compute_name(self):
        for balance in self:
            if not balance.week_start:
                balance.name = balance.iso_week = balance.week_end = False
                continue
            year, week, _weekday = balance.week_start.isocalendar()
            balance.iso_week = f"{year}-W{week:02d}"
            balance.week_end = balance.week_start + timedelta(days=6)
            balance.name = f"{balance.department_id.name} {balance.iso_week}"

    @api.depends(
        "line_ids.actual", "line_ids.budget", "line_ids.field_id", "line_ids.date", "week_start"
    )
    @api.depends_context("lang")
    def _compute_figures_html(self):
        """One row per field, one column per weekday (Monday first) and the week: the actual,
        with the budget under it where one is entered. Amounts in the company currency are
        shown with two decimals, counts without."""
        weekdays = dict(
            self.env["lightspeed.weekly.balance.day"]
            ._fields["weekday"]
            ._description_selection(self.env)
        )
        for balance in self:
            if not balance.week_start:
                balance.figures_html = False
                continue
            lines = balance.line_ids
            cells = {(line.field_id, line.date): line for line in lines}
            kpi_fields = lines.field_id.sorted(lambda f: (f.sequence, f.code or "", f.id))
            days = [balance.week_start + timedelta(days=n) for n in range(7)]
            head = Markup("").join(
                Markup('<th class="text-end">%s<br/><small class="text-muted">%s</small></th>')
                % (weekdays[str(day.weekday())], format_date(self.env, day, date_format="d MMM"))
                for day in days
            )
            rows = []
            for field in kpi_fields:
                decimals = 0 if field.data_type in COUNT_TYPES else 2
                actual_total = budget_total = 0.0
                row = []
                for day in days:
                    line = cells.get((field, day))
                    actual = line.actual if line else 0.0
                    budget = line.budget if line else 0.0
                    actual_total += actual
                    budget_total += budget
                    row.append(self._figure_cell(actual, budget, decimals))
                row.append(self._figure_cell(actual_total, budget_total, decimals, bold=True))
                rows.append(
                    Markup('<tr><th class="text-nowrap">%s</th>%s</tr>')
                    % (field.display_name, Markup("").join(row))
                )
            balance.figures_html = Markup(
                '<table class="table table-sm table-hover o_lightspeed_figures_grid">'
                '<thead><tr><th>%s</th>%s<th class="text-end">%s</th></tr></thead>'
                "<tbody>%s</tbody></table>"
            ) % (_("Field"), head, _("Week"), Markup("").join(rows))

    @api.model
    def _figure_cell(self, actual, budget, decimals, bold=False):
        text = formatLang(self.env, actual, digits=decimals)
        cell = Markup('<span class="fw-bold">%s</span>') % text if bold else text
        if budget:
            cell += Markup('<br/><small class="text-muted" title="%s">%s</small>') % (
                _("Budget"),
                formatLang(self.env, budget, digits=decimals),
            )
        return Markup('<td class="text-end">%s</td>') % cell

    @api.depends("day_ids.approved")
    def _compute_state(self):
        for balance in self:
            count = len(balance.day_ids.filtered("approved"))
            balance.approved_day_count = count
            balance.state = "approved" if count == 7 else "partial" if count else "open"

    @api.constrains("week_start")
    def _check_week_start(self):
        for balance in self:
            if balance.week_start.weekday() != 0:
                raise ValidationError(_("A weekly balance starts on a Monday."))

    # === BUSINESS METHODS === #

    @api.model
    def _week_start(self, day):
        return day - timedelta(days=day.weekday())

    @api.model
    def _ensure_days(self, keys):
        """Balances and day rows for (department id, date) pairs; returns {key: day}."""
        result = {}
        departments = self.env["hr.department"].browse({key[0] for key in keys})
        for department in departments:
            dates = {day for dep, day in keys if dep == department.id}
            for week_start in {self._week_start(day) for day in dates}:
                balance = self.search(
                    [("department_id", "=", department.id), ("week_start", "=", week_start)]
                )
                if not balance:
                    balance = self.create(
                        {
                            "department_id": department.id,
                            "week_start": week_start,
                            "company_id": (department.company_id or self.env.company).id,
                            "day_ids": [
                                fields.Command.create({"date": week_start + timedelta(days=n)})
                                for n in range(7)
                            ],
                        }
                    )
                balance._ensure_lines()
                for day in balance.day_ids:
                    if day.date in dates:
                        result[(department.id, day.date)] = day
        return result

    def _ensure_lines(self):
        """A figure line per field on every day of the week, imported or not yet, so budgets
        can be entered ahead; actuals are filled in as sales are imported."""
        Field = self.env["lightspeed.kpi.field"]
        new_lines = []
        for balance in self:
            kpi_fields = Field.search([("company_id", "in", [False, balance.company_id.id])])
            for day in balance.day_ids:
                present = set(day.line_ids.field_id.ids)
                new_lines += [
                    {"day_id": day.id, "field_id": field.id, "actual": 0.0}
                    for field in kpi_fields
                    if field.id not in present
                ]
        if new_lines:
            # Lines are system-made (users only type budgets): sudo.
            self.env["lightspeed.weekly.balance.line"].sudo().create(new_lines)

    @api.model
    def _plan_weeks(self, weeks=1, today=None):
        """Balances of the current week and the next ``weeks`` for every department of a
        Lightspeed shop, so their budgets can be typed in before the week starts."""
        today = today or fields.Date.context_today(self)
        departments = self.env["lightspeed.shop"].search([("department_id", "!=", False)])
        departments = (
            departments.department_id
            | self.env["lightspeed.register"].search([("department_id", "!=", False)]).department_id
        )
        start = self._week_start(today)
        keys = {
            (department.id, start + timedelta(weeks=n))
            for department in departments
            for n in range(weeks + 1)
        }
        days = self._ensure_days(keys)
        return self.browse({day.balance_id.id for day in days.values()})

    def action_plan_next_week(self):
        """List button: prepare this week's and next week's balances for budgeting
        (balances are system records: made with sudo, opened as the user)."""
        balances = self.sudo()._plan_weeks().with_env(self.env)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.lightspeed_weekly_balance_action"
        )
        action["domain"] = [("id", "in", balances.ids)]
        return action

    @api.model
    def _approved_keys(self, dates):
        days = self.env["lightspeed.weekly.balance.day"].search(
            [("date", "in", list(dates)), ("approved", "=", True)]
        )
        return {(day.department_id.id, day.date) for day in days}

    @api.model
    def _sync_actuals(self, keys, overwritten=()):
        """Write the facts' totals per field into the balance lines of (department, date)
        pairs; post the changes of ``overwritten`` (approved) days on the chatter."""
        if not keys:
            return
        days = self._ensure_days(keys)
        facts = self.env["lightspeed.kpi.fact"].search(
            [
                ("department_id", "in", list({key[0] for key in keys})),
                ("date", "in", list({key[1] for key in keys})),
            ]
        )
        totals = defaultdict(float)
        for fact in facts:
            totals[(fact.department_id.id, fact.date, fact.field_id.id)] += fact.value
        Field = self.env["lightspeed.kpi.field"]
        # Actuals are system-written (users cannot type them): sudo, after the lock checks.
        Line = self.env["lightspeed.weekly.balance.line"].sudo()
        changes = defaultdict(list)
        new_lines = []
        for key, day in days.items():
            kpi_fields = Field.search([("company_id", "in", [False, day.company_id.id])])
            lines = {line.field_id: line for line in day.line_ids}
            for field in kpi_fields:
                actual = day.balance_id.company_id.currency_id.round(
                    totals.get((key[0], key[1], field.id), 0.0)
                )
                line = lines.get(field)
                if not line:
                    new_lines.append({"day_id": day.id, "field_id": field.id, "actual": actual})
                    continue
                if line.currency_id.compare_amounts(line.actual, actual):
                    if key in overwritten:
                        changes[day].append((field, line.actual, actual))
                    line.sudo().with_context(lightspeed_kpi_overwrite=True).write(
                        {"actual": actual}
                    )
        Line.create(new_lines)
        for key in overwritten:
            day = days.get(key)
            if day:
                day._post_overwrite(changes.get(day, []))

    # === ACTIONS === #

    @api.model
    def _orders_action(self, orders):
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action.update(
            {
                "name": _("POS orders"),
                "domain": [("id", "in", orders.ids)],
                "context": {"create": False},
            }
        )
        return action

    def action_open_orders(self):
        self.ensure_one()
        orders = self.env["pos.order"].search(
            [
                ("lightspeed_department_id", "=", self.department_id.id),
                ("lightspeed_business_date", ">=", self.week_start),
                ("lightspeed_business_date", "<=", self.week_end),
                ("state", "in", COUNTED_STATES),
            ]
        )
        return self._orders_action(orders)

    def action_open_sheet(self):
        """Budget versus actual per field and day, as a pivot."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.lightspeed_weekly_balance_line_action"
        )
        action.update(
            {
                "name": self.name,
                "domain": [("balance_id", "=", self.id)],
                "view_mode": "pivot,list",
                "views": [
                    (
                        self.env.ref(
                            "lightspeed_connector.lightspeed_weekly_balance_line_view_pivot_sheet"
                        ).id,
                        "pivot",
                    ),
                    (False, "list"),
                ],
                # One field at a time: actual, budget and variance add up within a field only.
                "context": {
                    "search_default_balance_id": self.id,
                    "search_default_filter_gross_sales": 1,
                },
            }
        )
        return action

    def action_open_hours(self):
        """The hourly figures of the week: hour x day."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.lightspeed_kpi_fact_action"
        )
        action.update(
            {
                "name": _("Hours of %(balance)s", balance=self.name),
                "domain": [
                    ("department_id", "=", self.department_id.id),
                    ("date", ">=", self.week_start),
                    ("date", "<=", self.week_end),
                ],
                "context": {"search_default_filter_gross_sales": 1},
            }
        )
        return action


class LightspeedWeeklyBalanceDay(models.Model):
    """One day of a weekly balance; approving it locks its figures."""

    _name = "lightspeed.weekly.balance.day"
    _description = "Lightspeed Weekly Balance Day"
    _order = "date, id"

    balance_id = fields.Many2one(
        "lightspeed.weekly.balance", required=True, ondelete="cascade", index=True
    )
    department_id = fields.Many2one(related="balance_id.department_id", store=True, index=True)
    company_id = fields.Many2one(related="balance_id.company_id", store=True)
    date = fields.Date(required=True, readonly=True)
    weekday = fields.Selection(WEEKDAYS, compute="_compute_weekday", store=True)
    line_ids = fields.One2many("lightspeed.weekly.balance.line", "day_id")
    approved = fields.Boolean(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", string="Approved by", readonly=True)
    approved_at = fields.Datetime(string="Approved on", readonly=True)
    auto_confirmed = fields.Boolean(readonly=True, help="Approved by the scheduled action.")
    reopened = fields.Boolean(
        readonly=True, help="Reopened by a manager: the scheduled approval leaves it alone."
    )

    _sql_constraints = [
        ("balance_date_uniq", "unique(balance_id, date)", "This day is already in the balance.")
    ]

    @api.depends("date")
    def _compute_weekday(self):
        for day in self:
            day.weekday = str(day.date.weekday()) if day.date else False

    @api.depends("date", "department_id")
    def _compute_display_name(self):
        for day in self:
            day.display_name = f"{day.department_id.name} {day.date}"

    def write(self, vals):
        if APPROVAL_FIELDS & set(vals) and not self.env.su:
            raise AccessError(_("Approve or reopen days with their buttons."))
        return super().write(vals)

    def action_approve(self):
        """Approve days that are over (the view asks for a confirmation first: later imports
        leave an approved day alone)."""
        self._check_day_is_over()
        self._approve()
        return True

    def _current_business_day(self, now=None):
        """The business day still running for the department: the earliest local day among
        its shops (and the shops of registers counting for it); without a shop, today in the
        user's time zone."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        department = self.department_id
        shops = self.env["lightspeed.shop"].search([("department_id", "=", department.id)])
        shops |= (
            self.env["lightspeed.register"].search([("department_id", "=", department.id)]).shop_id
        )
        if not shops:
            return fields.Date.context_today(self, now)
        return min(
            business_date(now, shop.get_zoneinfo(), shop.backend_id.day_cutoff_hour)
            for shop in shops
        )

    def _check_day_is_over(self, now=None):
        for day in self:
            today = day._current_business_day(now)
            if day.date >= today:
                raise UserError(
                    _(
                        "%(date)s of %(department)s cannot be approved yet: only a day that is "
                        "over can be approved (the business day running now is %(today)s), "
                        "since later imports do not change an approved day.",
                        date=fields.Date.to_string(day.date),
                        department=day.department_id.name,
                        today=fields.Date.to_string(today),
                    )
                )

    def action_reopen(self):
        if not self.env.user.has_group("lightspeed_connector.group_lightspeed_manager"):
            raise UserError(_("Only a Lightspeed administrator can reopen an approved day."))
        days = self.filtered("approved")
        days.sudo().write(
            {"approved": False, "approved_by_id": False, "approved_at": False, "reopened": True}
        )
        for day in days:
            day.balance_id.message_post(
                body=_("%(date)s reopened by %(user)s.", date=day.date, user=self.env.user.name)
            )
        return True

    def _approve(self, auto=False):
        days = self.filtered(lambda d: not d.approved)
        days.sudo().write(
            {
                "approved": True,
                "approved_by_id": self.env.user.id,
                "approved_at": fields.Datetime.now(),
                "auto_confirmed": auto,
            }
        )
        for day in days:
            if auto:
                body = _("%(date)s approved automatically.", date=day.date)
            else:
                body = _("%(date)s approved by %(user)s.", date=day.date, user=self.env.user.name)
            day.balance_id.message_post(body=body)
        return days

    def _post_overwrite(self, changes):
        self.ensure_one()
        if changes:
            detail = "; ".join(
                f"{field.display_name}: {old:.2f} → {new:.2f}" for field, old, new in changes
            )
        else:
            detail = _("no figure changed")
        self.balance_id.message_post(
            body=_(
                'Approved figures of %(date)s recomputed with "overwrite approved numbers": '
                "%(detail)s.",
                date=self.date,
                detail=detail,
            )
        )
        _logger.info(
            "Lightspeed KPIs: approved day %s of department %s overwritten",
            self.date,
            self.department_id.id,
        )

    @api.model
    def _cron_auto_confirm(self, now=None):
        """Approve the previous business day of every department once its shops' local time
        has passed the configured hour (days a manager reopened are left alone)."""
        now = now or fields.Datetime.now()
        hour = self._auto_confirm_hour()
        shops = self.env["lightspeed.shop"].search(
            [("department_id", "!=", False), ("backend_id.state", "=", "connected")]
        )
        targets = {}
        for shop in shops:
            local = to_local(now, shop.get_zoneinfo())
            target = local.date() - timedelta(days=1 if local.hour >= hour else 2)
            department = shop.department_id
            targets[department] = min(targets.get(department, target), target)
        Balance = self.env["lightspeed.weekly.balance"]
        approved = self.browse()
        for department, target in targets.items():
            Balance._ensure_days({(department.id, target)})
            days = self.search(
                [
                    ("department_id", "=", department.id),
                    ("date", "<=", target),
                    ("date", ">", target - timedelta(days=AUTO_CONFIRM_LOOKBACK_DAYS)),
                    ("approved", "=", False),
                    ("reopened", "=", False),
                ]
            )
            approved |= days._approve(auto=True)
        # Next week's balances exist before it starts: budgets can be entered ahead.
        Balance._plan_weeks(today=now.date())
        self.env["ir.cron"]._notify_progress(done=len(approved), remaining=0)
        return approved

    @api.model
    def _auto_confirm_hour(self):
        value = self.env["ir.config_parameter"].sudo().get_param(const.PARAM_AUTO_CONFIRM_HOUR)
        try:
            hour = int(value) if value not in (None, False, "") else 5
        except ValueError:
            hour = 5
        return min(max(hour, 0), 23)


class LightspeedWeeklyBalanceLine(models.Model):
    """Actual, budget and variance of one field on one day of a weekly balance."""

    _name = "lightspeed.weekly.balance.line"
    _description = "Lightspeed Weekly Balance Figure"
    _order = "date, sequence, field_id, id"

    day_id = fields.Many2one(
        "lightspeed.weekly.balance.day", required=True, ondelete="cascade", index=True
    )
    balance_id = fields.Many2one(related="day_id.balance_id", store=True, index=True)
    department_id = fields.Many2one(related="day_id.department_id", store=True)
    company_id = fields.Many2one(related="day_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(related="day_id.date", store=True)
    weekday = fields.Selection(related="day_id.weekday", store=True)
    approved = fields.Boolean(related="day_id.approved", store=True)
    field_id = fields.Many2one("lightspeed.kpi.field", required=True, ondelete="cascade")
    sequence = fields.Integer(related="field_id.sequence", store=True)
    data_type = fields.Selection(related="field_id.data_type", store=True)
    split_hourly = fields.Boolean(related="field_id.split_hourly")
    actual = fields.Float(readonly=True)
    budget = fields.Float()
    variance = fields.Float(compute="_compute_variance", store=True, help="Actual minus budget.")
    variance_percent = fields.Float(
        string="Variance (%)",
        compute="_compute_variance",
        store=True,
        aggregator=None,
        help="Variance as a percentage of the budget.",
    )

    # One measure per POS data type, so a pivot or graph never adds up unlike figures
    # (amounts, tickets, goods): each is the line's actual where its field has that type.
    actual_gross_sales = fields.Float(
        string="Gross sales", compute="_compute_kpi_measures", store=True
    )
    actual_net_sales = fields.Float(string="Net sales", compute="_compute_kpi_measures", store=True)
    actual_discounts = fields.Float(string="Discounts", compute="_compute_kpi_measures", store=True)
    actual_returns = fields.Float(string="Returns", compute="_compute_kpi_measures", store=True)
    actual_transactions = fields.Float(
        string="Transactions", compute="_compute_kpi_measures", store=True
    )
    actual_goods_sold = fields.Float(
        string="Goods sold", compute="_compute_kpi_measures", store=True
    )
    actual_goods_returned = fields.Float(
        string="Returned goods", compute="_compute_kpi_measures", store=True
    )
    actual_visitors = fields.Float(string="Visitors", compute="_compute_kpi_measures", store=True)

    _sql_constraints = [
        ("day_field_uniq", "unique(day_id, field_id)", "This field is already on that day."),
    ]

    @api.depends("actual", "data_type")
    def _compute_kpi_measures(self):
        for line in self:
            for data_type in KPI_MEASURE_TYPES:
                line[f"actual_{data_type}"] = line.actual if line.data_type == data_type else 0.0

    @api.depends("actual", "budget")
    def _compute_variance(self):
        for line in self:
            line.variance = line.actual - line.budget
            line.variance_percent = 100.0 * line.variance / line.budget if line.budget else 0.0

    def write(self, vals):
        if "actual" in vals and not self.env.su:
            raise AccessError(_("Actual figures come from the imported orders."))
        overwrite = self.env.su and self.env.context.get("lightspeed_kpi_overwrite")
        if {"actual", "budget"} & set(vals) and not overwrite and any(self.mapped("approved")):
            raise UserError(_("This day is approved; its figures are locked."))
        return super().write(vals)

    def action_open_orders(self):
        self.ensure_one()
        if self.data_type == "visitors":
            raise UserError(_("Visitors are entered by hand; no POS orders are behind them."))
        orders = self.env["pos.order"].search(
            [
                ("lightspeed_department_id", "=", self.department_id.id),
                ("lightspeed_business_date", "=", self.date),
                ("state", "in", COUNTED_STATES),
            ]
        )
        return self.env["lightspeed.weekly.balance"]._orders_action(orders)

    def action_open_hours(self):
        self.ensure_one()
        action = self.balance_id.action_open_hours()
        action["domain"] = [
            ("department_id", "=", self.department_id.id),
            ("date", "=", self.date),
            ("field_id", "=", self.field_id.id),
        ]
        return action
