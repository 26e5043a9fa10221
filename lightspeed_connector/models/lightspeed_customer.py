# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lightspeed customers and the Odoo contacts they stand for.

One binding per backend and Lightspeed customer, and per backend and contact (both unique in
PostgreSQL). The customer import and the sales import both go through this model: a customer is
found by its binding, else an existing contact with the same primary email is adopted, else a
contact is created. Whichever import meets a customer first, the other finds the binding, so
neither duplicates a contact, across re-runs too.
"""

import logging

import psycopg2

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..mapping.customer import CustomerMappingError, is_anonymised, opt_outs, prepare_partner_vals
from .lightspeed_importer import QUIET

_logger = logging.getLogger(__name__)

# Written on an adopted contact only where it holds nothing: its own data stays.
FILL_IF_EMPTY = ("phone", "mobile", "vat", "website", "company_name")
ADDRESS_FIELDS = ("street", "street2", "city", "zip", "country_id", "state_id")
# Cleared on the contact of an anonymised customer (its name becomes a placeholder).
PERSONAL_FIELDS = ("email", "phone", "mobile", "vat", "website", "company_name", *ADDRESS_FIELDS)


class LightspeedCustomer(models.Model):
    """A Lightspeed customer and the Odoo contact its sales are booked on."""

    _name = "lightspeed.customer"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Customer"

    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        help="The Odoo contact of this customer: POS orders of the customer's sales carry it, "
        "and the customer import keeps the fields Lightspeed owns up to date.",
    )
    email = fields.Char(related="partner_id.email")
    phone = fields.Char(related="partner_id.phone")
    anonymised = fields.Boolean(
        string="Anonymised in Lightspeed",
        readonly=True,
        help="Lightspeed anonymised the customer: its contact lost its name, email, phones and "
        "address, and the sales payloads staged here no longer carry the customer.",
    )
    no_email = fields.Boolean(
        string="No email",
        readonly=True,
        help="Lightspeed noEmail: the address is on Odoo's email blacklist.",
    )
    no_mail = fields.Boolean(
        string="No postal mail",
        readonly=True,
        help="Lightspeed noMail: the customer does not want postal mail (Odoo has no postal "
        "opt-out of its own: check this before a postal campaign).",
    )
    no_phone = fields.Boolean(
        string="No phone",
        readonly=True,
        help="Lightspeed noPhone: the contact's numbers are on Odoo's phone blacklist (SMS).",
    )
    imported_values = fields.Json(
        readonly=True,
        groups="lightspeed_connector.group_lightspeed_manager",
        help="The contact values of the last import: a later import writes a field only when "
        "Lightspeed changed it since, so edits made in Odoo to other fields stay.",
    )
    order_count = fields.Integer(compute="_compute_order_count")

    _sql_constraints = [
        (
            "partner_uniq",
            "unique(backend_id, partner_id)",
            "This contact already stands for another Lightspeed customer of this backend.",
        ),
    ]

    def _compute_order_count(self):
        groups = (
            self.env["pos.order"]
            .sudo()
            ._read_group(
                [
                    ("lightspeed_backend_id", "in", self.backend_id.ids),
                    ("partner_id", "in", self.partner_id.ids),
                ],
                ["lightspeed_backend_id", "partner_id"],
                ["__count"],
            )
        )
        counts = {(backend.id, partner.id): count for backend, partner, count in groups}
        for rec in self:
            rec.order_count = counts.get((rec.backend_id.id, rec.partner_id.id), 0)

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action["domain"] = [
            ("lightspeed_backend_id", "=", self.backend_id.id),
            ("partner_id", "=", self.partner_id.id),
        ]
        action["context"] = {}
        return action

    # === IMPORT === #

    @api.model
    def _partners(self):
        """Imports mirror Lightspeed whoever runs them (a Lightspeed administrator need not be
        allowed to create contacts); every search below names its companies itself."""
        return self.env["res.partner"].sudo().with_context(active_test=False, **QUIET)

    @api.model
    def _find(self, backend, customer_id):
        return self.search(
            [("backend_id", "=", backend.id), ("lightspeed_id", "=", customer_id)], limit=1
        )

    @api.model
    def _import_customer(self, backend, customer):
        """Bind ``customer`` (an ``api.Customer``) and bring its contact up to date.

        Returns ``(binding, outcome)``: ``created`` (a new contact), ``updated`` (a contact
        adopted, or changed because Lightspeed changed) or ``unchanged``.
        """
        binding = self._find(backend, customer.customer_id)
        if binding:
            return binding, binding._update_from(customer)
        return self._bind(backend, customer)

    @api.model
    def _sale_partner(self, backend, sale):
        """The contact of ``sale``'s customer (none without one): its binding's, else bound on
        the fly from the customer the sale embeds (``Customer`` + ``Customer.Contact``). The
        customer import keeps it up to date afterwards."""
        if not sale.customer_id:
            return self.env["res.partner"]
        binding = self._find(backend, sale.customer_id)
        if not binding:
            customer = sale.customer
            if customer is None or customer.customer_id != sale.customer_id:
                raise CustomerMappingError(
                    _(
                        "Sale %(sale)s names Lightspeed customer %(customer)s, whom backend "
                        "%(backend)s does not know and whom the sale does not carry: run Import "
                        "customers on the backend, then retry.",
                        sale=sale.sale_id,
                        customer=sale.customer_id,
                        backend=backend.name,
                    )
                )
            binding, _outcome = self._bind(backend, customer)
        return binding.partner_id

    @api.model
    def _bind(self, backend, customer):
        """A first binding: adopt the contact with the same primary email, else create one."""
        values = self._contact_values(customer)
        partner = self._match_partner(backend, values)
        if partner:
            self._write_contact(partner, self._missing_values(partner, values))
            outcome = "updated"
        else:
            partner = self._create_contact(dict(values, company_id=backend.company_id.id))
            outcome = "created"
        flags = opt_outs(customer)
        # Worded before the insert: after a failed one the transaction accepts no query.
        busy = _(
            "Lightspeed customer %(customer)s was being imported by another run at the same "
            "moment; this record is retried on the next run.",
            customer=customer.customer_id,
        )
        try:
            binding = self.create(
                dict(
                    self._binding_values(customer, values, flags),
                    backend_id=backend.id,
                    lightspeed_id=customer.customer_id,
                    partner_id=partner.id,
                    imported_values=values,
                    synced_at=fields.Datetime.now(),
                )
            )
        except (psycopg2.IntegrityError, psycopg2.errors.SerializationFailure) as exc:
            # Only when another import bound this customer (or adopted this contact) at the
            # same moment: what this record did is rolled back and the next run redoes it.
            raise CustomerMappingError(busy) from exc
        binding._apply_opt_outs(flags, new=True)
        return binding, outcome

    def _update_from(self, customer):
        """Write on the contact what Lightspeed changed since the last import."""
        self.ensure_one()
        values = self._contact_values(customer)
        flags = opt_outs(customer)
        anonymise = is_anonymised(customer) and not self.anonymised
        if anonymise:
            changed = values  # every personal field goes, whatever Odoo held
        else:
            previous = self.imported_values or {}
            changed = {key: value for key, value in values.items() if previous.get(key) != value}
        self._write_contact(self.partner_id.sudo(), changed)
        self._apply_opt_outs(
            flags,
            email_changed="email" in changed,
            phones_changed=bool({"phone", "mobile"} & set(changed)),
        )
        binding_values = self._binding_values(customer, values, flags)
        moved = {key: value for key, value in binding_values.items() if self[key] != value}
        self.write(dict(binding_values, imported_values=values, synced_at=fields.Datetime.now()))
        if anonymise:
            self._scrub_sale_payloads()
        return "updated" if changed or moved else "unchanged"

    @api.model
    def _binding_values(self, customer, values, flags):
        """What the binding itself shows of the customer."""
        return {
            "name": values["name"],
            "remote_archived": customer.archived,
            "anonymised": is_anonymised(customer),
            **flags,
        }

    @api.model
    def _contact_values(self, customer):
        """Contact values of ``customer`` with Odoo ids for its country and state."""
        vals = prepare_partner_vals(customer)
        country = self._country(vals.pop("country_code"), vals.pop("country_name"))
        state = self._state(country, vals.pop("state_code"), vals.pop("state_name"))
        vals.update(country_id=country.id or False, state_id=state.id or False)
        if is_anonymised(customer):
            vals.update(dict.fromkeys(PERSONAL_FIELDS, False))
            vals.update(name=_("Anonymised customer"), is_company=False, active=False)
        elif not vals["name"]:
            vals["name"] = _("Lightspeed customer %(id)s", id=customer.customer_id)
        return vals

    @api.model
    def _country(self, code, name):
        Country = self.env["res.country"]
        if code:
            country = Country.search([("code", "=", code.upper())], limit=1)
            if country:
                return country
        return Country.search([("name", "=ilike", name)], limit=1) if name else Country

    @api.model
    def _state(self, country, code, name):
        if not country or not (code or name):
            return self.env["res.country.state"]
        states = self.env["res.country.state"].search([("country_id", "=", country.id)])
        return (
            states.filtered(lambda s: code and s.code.upper() == code.upper())[:1]
            or states.filtered(lambda s: name and s.name.lower() == name.lower())[:1]
        )

    @api.model
    def _match_partner(self, backend, values):
        """An existing contact with the same primary email (case-insensitive), in the
        backend's company or shared, bound to no other customer of the backend. Contacts of
        users and companies are never adopted (archiving a customer must not touch them)."""
        email = tools.email_normalize(values.get("email") or "")
        if not email:
            return self.env["res.partner"]
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])
        candidates = self._partners().search(
            [
                ("email_normalized", "=", email),
                ("company_id", "in", [backend.company_id.id, False]),
                ("user_ids", "=", False),
                ("id", "not in", companies.partner_id.ids),
            ],
            order="id",
        )
        bound = self.search(
            [("backend_id", "=", backend.id), ("partner_id", "in", candidates.ids)]
        ).partner_id
        candidates -= bound
        if not candidates:
            return candidates
        return candidates.sorted(
            lambda p: (p.is_company != values["is_company"], not p.active, p.id)
        )[:1]

    @api.model
    def _missing_values(self, partner, values):
        """What an adopted contact lacks: single fields, and the address as a whole."""
        missing = {
            key: values[key] for key in FILL_IF_EMPTY if values.get(key) and not partner[key]
        }
        if not any(partner[key] for key in ADDRESS_FIELDS):
            missing.update({key: values[key] for key in ADDRESS_FIELDS if values.get(key)})
        return missing

    @api.model
    def _create_contact(self, vals):
        try:
            with self.env.cr.savepoint():
                return self._partners().create(vals)
        except ValidationError:
            if not vals.get("vat"):
                raise
        # A VAT number Odoo's VAT check refuses must not stop the sale: keep the contact
        # without it (it stays in the staged payload).
        _logger.info("Lightspeed: VAT number %s refused for a new contact", vals["vat"])
        return self._partners().create(dict(vals, vat=False))

    @api.model
    def _write_contact(self, partner, vals):
        vals = dict(vals)
        if vals.get("active") is False and partner.user_ids:
            vals.pop("active")  # Odoo refuses to archive the contact of a user
        if not vals:
            return
        try:
            with self.env.cr.savepoint():
                partner.write(vals)
                return
        except ValidationError:
            if not vals.get("vat"):
                raise
        _logger.info("Lightspeed: VAT number %s refused for contact %s", vals["vat"], partner.id)
        partner.write(dict(vals, vat=False))

    def _apply_opt_outs(self, flags, new=False, email_changed=False, phones_changed=False):
        """Lightspeed's opt-outs on Odoo's blacklists (where installed), once per new opt-out
        or new address. An opt-out is never lifted by an import: taking a contact off a
        blacklist is a person's decision, in Odoo."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        message = _(
            "Opted out in Lightspeed (customer %(customer)s of backend %(backend)s).",
            customer=self.lightspeed_id,
            backend=self.backend_id.name,
        )
        if (
            flags["no_email"]
            and (new or email_changed or not self.no_email)
            and "mail.blacklist" in self.env
            and tools.email_normalize(partner.email or "")
        ):
            self.env["mail.blacklist"].sudo()._add(partner.email, message=message)
        if (
            flags["no_phone"]
            and (new or phones_changed or not self.no_phone)
            and "phone.blacklist" in self.env
        ):
            numbers = {
                partner._phone_format(number=number)
                for number in (partner.phone, partner.mobile)
                if number
            }
            numbers.discard(False)
            if numbers:
                try:
                    with self.env.cr.savepoint():
                        self.env["phone.blacklist"].sudo()._add(sorted(numbers), message=message)
                except UserError:
                    _logger.info("Lightspeed: numbers of contact %s not blacklisted", partner.id)

    def _scrub_sale_payloads(self):
        """An anonymised customer leaves no personal data in the staged sales either: the
        customer embedded in their payloads is dropped (``customerID`` stays, it is not
        personal and the binding resolves it)."""
        for rec in self:
            self.env["lightspeed.sync.record"].flush_model(["payload"])
            self.env.cr.execute(
                """
                UPDATE lightspeed_sync_record
                   SET payload = payload - 'Customer'
                 WHERE backend_id = %s
                   AND record_type = 'sale'
                   AND payload ? 'Customer'
                   AND payload->>'customerID' = %s
                """,
                [rec.backend_id.id, rec.lightspeed_id],
            )
        self.env["lightspeed.sync.record"].invalidate_model(["payload"])
