# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Customers: Lightspeed customers become Odoo contacts, and every sale carries its customer.

One simulator for the class (seed 7: about 30 % of the sales name a customer, refunds among
them). The sales import runs first, so it meets the customers before the customer import does;
an existing Odoo contact with the email of one of them is there beforehand. Tests that change
the simulator (edits, archiving...) use customers and sales of their own, so they hold in any
order.
"""

import psycopg2

from odoo import Command, tools
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..api import Customer
from ..mapping.customer import opt_outs, prepare_partner_vals
from .test_sale_import import SaleImportCommon

# Customers whose generated details some tests check (see lightspeed_simulator/data.py):
# 1 Amsterdam address + a Secondary email listed first, 3 New York + a Home phone, 5 noEmail,
# 7 noPhone, 11 noMail, 18 a person of a company, 27 a company, 40 archived.
DETAILED = {"1", "3", "5", "7", "11", "18", "27", "40"}


@tagged("post_install", "-at_install")
class TestCustomerImport(SaleImportCommon):
    simulator_args = ("--seed", "7", "--sales", "150", "--days", "3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        client = cls.backend._get_client()
        cls.sales = [
            sale
            for sale in client.iter_sales(shop_ids=cls.backend.shop_ids.mapped("lightspeed_id"))
            if not sale.voided
        ]
        on_sales = {}
        for sale in cls.sales:
            customer = sale.customer
            if (
                customer
                and customer.customer_id not in DETAILED
                and not customer.archived
                and not any(opt_outs(customer).values())
            ):
                on_sales.setdefault(customer.customer_id, customer)
        on_sales = list(on_sales.values())
        # Customers of imported sales, one per test that changes a customer.
        cls.adopted, cls.renamed, cls.archived, cls.anonymised, cls.spare = on_sales[:5]
        cls.adopted_email = prepare_partner_vals(cls.adopted)["email"]
        cls.existing = cls.env["res.partner"].create(
            {"name": "Known in Odoo", "email": cls.adopted_email.upper(), "phone": "+1 000"}
        )
        cls.sale_run = cls.env["lightspeed.sale.importer"]._run(cls.backend)
        cls.bound_by_sales = cls.bindings()
        cls.customer_run = cls.import_customers()

    # === HELPERS === #

    @classmethod
    def bindings(cls):
        return cls.env["lightspeed.customer"].search([("backend_id", "=", cls.backend.id)])

    @classmethod
    def binding(cls, customer_id):
        return cls.env["lightspeed.customer"]._find(cls.backend, str(customer_id))

    @classmethod
    def import_customers(cls):
        return cls.env["lightspeed.customer.importer"]._run(cls.backend)

    def partner(self, customer_id):
        return self.binding(customer_id).partner_id.with_context(active_test=False)

    def errors(self):
        return (
            self.env["lightspeed.sync.record"]
            .search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
            .mapped("error_message")
        )

    def named_sale(self, exclude=(), with_customer=True):
        """An imported normal sale (with or without a customer) no other test uses."""
        taken = {self.adopted.customer_id, self.renamed.customer_id, self.archived.customer_id}
        taken |= {self.anonymised.customer_id, self.spare.customer_id}
        for sale in reversed(self.sales):
            orders = self.orders_of(sale.sale_id)
            if (
                sale.sale_id not in exclude
                and bool(sale.customer_id) == with_customer
                and sale.customer_id not in taken
                and len(orders) == 1
                and orders.lightspeed_kind == "sale"
                and all(not line.calc_transaction_discount for line in sale.lines)
            ):
                return sale, orders
        raise AssertionError("the simulator has no such sale")

    # === SALES CARRY THEIR CUSTOMER === #

    def test_orders_carry_the_partner_of_their_customer_refunds_included(self):
        self.assertEqual(self.sale_run.state, "done")
        self.assertFalse(self.errors())
        partners = {b.lightspeed_id: b.partner_id for b in self.bindings()}
        checked = refunds = 0
        for sale in self.sales:
            orders = self.orders_of(sale.sale_id)
            if not orders:
                continue
            expected = partners.get(sale.customer_id, self.env["res.partner"])
            self.assertEqual(orders.partner_id, expected, f"sale {sale.sale_id}")
            checked += 1
            refunds += bool(sale.customer_id and orders.filtered(lambda o: o.amount_total < 0))
        self.assertGreater(checked, 100)
        self.assertGreaterEqual(refunds, 2, "refunds with a customer carry it too")
        self.assertLessEqual(
            self.sale_run.request_count,
            12 * self.sale_run.fetched_count / 1000 + 8,
            "customers come with the sales: no request per sale",
        )

    def test_sales_import_binds_customers_the_customer_import_then_finds(self):
        named = {sale.customer_id for sale in self.sales if sale.customer_id}
        self.assertEqual(set(self.bound_by_sales.mapped("lightspeed_id")), named)
        run = self.customer_run
        self.assertEqual(run.state, "done")
        self.assertEqual(run.fetched_count, 40)
        self.assertEqual(run.created_count, 40 - len(named), "only the customers of no sale")
        self.assertEqual(run.updated_count, 0, "the sales import bound the others as they are")
        self.assertEqual(run.failed_count, 0, self.errors())
        bindings = self.bindings()
        self.assertEqual(len(bindings), 40)
        self.assertEqual(len(bindings.partner_id), 40, "one contact per customer")
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "customer")]
        )
        self.assertEqual(len(records), 40)
        self.assertEqual(set(records.mapped("state")), {"done"})
        self.assertEqual(set(records.mapped("res_model")), {"res.partner"})

    def test_customer_import_first_then_the_sales_import(self):
        added = self.simulator.admin(
            "add_customer", first_name="Nia", last_name="Park", email="nia.park@example.com"
        )["customer"]
        run = self.import_customers()
        binding = self.binding(added["customerID"])
        self.assertTrue(binding, self.errors())
        self.assertEqual(binding.partner_id.name, "Nia Park")
        self.assertGreaterEqual(run.created_count, 1)
        partners = self.env["res.partner"].with_context(active_test=False).search_count([])
        [sale_id] = self.simulator.admin("add_sales", count=1, customer_id=added["customerID"])[
            "sale_ids"
        ]
        self.import_sales()
        self.assertEqual(self.orders_of(sale_id).partner_id, binding.partner_id)
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners,
            "the sales import found the contact the customer import made",
        )

    def test_rerunning_both_imports_creates_no_contact(self):
        before = {b.lightspeed_id: b.partner_id for b in self.bindings()}
        partners = self.env["res.partner"].with_context(active_test=False).search_count([])
        for _attempt in range(2):
            self.assertEqual(self.import_sales().failed_count, 0, self.errors())
            self.assertEqual(self.import_customers().failed_count, 0, self.errors())
        after = {b.lightspeed_id: b.partner_id for b in self.bindings()}
        for customer_id, partner in before.items():
            self.assertEqual(after[customer_id], partner, f"customer {customer_id}")
        self.assertEqual(len(set(after.values())), len(after), "never two customers on one")
        new = len(after) - len(before)  # customers other tests added to the simulator
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners + new,
        )
        emails = [tools.email_normalize(p.email) for p in after.values() if p.email]
        self.assertEqual(len(emails), len(set(emails)), "no contact copied")

    def test_binding_is_unique_per_backend_and_customer(self):
        binding = self.binding(self.spare.customer_id)
        with (
            self.assertRaises(psycopg2.IntegrityError),
            self.cr.savepoint(),
            tools.mute_logger("odoo.sql_db"),
        ):
            self.env["lightspeed.customer"].create(
                {
                    "backend_id": self.backend.id,
                    "lightspeed_id": binding.lightspeed_id,
                    "name": "Twin",
                    "partner_id": self.env["res.partner"].create({"name": "Twin"}).id,
                }
            )
        with (
            self.assertRaises(psycopg2.IntegrityError),
            self.cr.savepoint(),
            tools.mute_logger("odoo.sql_db"),
        ):
            self.env["lightspeed.customer"].create(
                {
                    "backend_id": self.backend.id,
                    "lightspeed_id": "99999",
                    "name": "Same contact",
                    "partner_id": binding.partner_id.id,
                }
            )

    def test_button_cron_and_retry(self):
        action = self.backend.action_import_customers()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("customers fetched", action["params"]["message"])
        Run = self.env["lightspeed.sync.run"]
        domain = [("backend_id", "=", self.backend.id), ("stream", "=", "customer")]
        runs = Run.search_count(domain)
        self.env["lightspeed.backend"]._cron_import_customers()
        self.assertEqual(Run.search_count(domain), runs + 1)
        self.assertGreaterEqual(self.backend.customer_count, 40)
        self.assertEqual(self.backend.action_open_customers()["res_model"], "lightspeed.customer")
        # A customer Odoo cannot read fails alone; fixed, Retry imports it.
        record = self.env["lightspeed.sync.record"].create(
            {
                "backend_id": self.backend.id,
                "record_type": "customer",
                "lightspeed_id": "777",
                "payload": {"customerID": "777", "firstName": "Odd", "Contact": {"noEmail": "?"}},
                "fingerprint": "unreadable",
            }
        )
        record.action_retry()
        self.assertEqual(record.state, "error")
        self.assertIn("noEmail", record.error_message)
        record.payload = dict(record.payload, Contact={"noEmail": "true"})
        record.action_retry()
        self.assertEqual(record.state, "done", record.error_message)
        self.assertEqual(self.partner("777").name, "Odd")
        self.assertTrue(self.binding("777").no_email)

    # === CONTACTS === #

    def test_existing_contact_with_the_same_email_is_adopted_not_copied(self):
        binding = self.binding(self.adopted.customer_id)
        self.assertEqual(binding.partner_id, self.existing)
        same_email = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("email_normalized", "=", tools.email_normalize(self.adopted_email))])
        )
        self.assertEqual(same_email, self.existing)
        self.assertEqual(self.existing.name, "Known in Odoo", "Odoo's own data stays")
        self.assertEqual(self.existing.phone, "+1 000")
        vals = prepare_partner_vals(self.adopted)
        if vals["mobile"]:
            self.assertEqual(self.existing.mobile, vals["mobile"], "what it lacked is filled")
        if vals["city"]:
            self.assertEqual(self.existing.city, vals["city"])
        orders = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("partner_id", "=", self.existing.id)]
        )
        self.assertTrue(orders, "the adopted contact carries the customer's sales")

    def test_contacts_get_names_phones_addresses_and_companies(self):
        person = self.partner("1")
        self.assertEqual(person.name, "Ava Smith")
        self.assertEqual(person.email, "ava.smith1@example.com", "the Primary email")
        self.assertEqual(person.mobile, "416-555-0001")
        self.assertEqual(
            (person.street, person.city, person.zip), ("Damrak 1", "Amsterdam", "1012 LG")
        )
        self.assertEqual(person.country_id, self.env.ref("base.nl"))
        self.assertEqual(person.state_id, self.env.ref("base.state_nl_nh"))
        self.assertEqual(person.company_id, self.backend.company_id, "the backend's company")
        self.assertFalse(person.is_company)
        home = self.partner("3")
        self.assertEqual((home.phone, home.mobile), ("212-555-0003", "416-555-0003"))
        self.assertEqual(home.state_id, self.env.ref("base.state_us_27"))
        company = self.partner("27")
        self.assertTrue(company.is_company)
        self.assertEqual(company.name, "Acme BV")
        self.assertEqual(company.vat, "NL000000027B01")
        self.assertIn("acme.example", company.website)
        member = self.partner("18")
        self.assertEqual(member.company_name, "Acme BV", "a person of a company")
        self.assertFalse(self.partner("40").active, "archived in Lightspeed")

    def test_an_email_changed_in_lightspeed_updates_the_partner(self):
        binding = self.binding(self.renamed.customer_id)
        partner = binding.partner_id
        partner.function = "Edited in Odoo"  # not a field Lightspeed owns
        self.simulator.admin(
            "edit_customer", customer_id=self.renamed.customer_id, email="renamed@example.com"
        )
        run = self.import_customers()
        self.assertGreaterEqual(run.updated_count, 1, self.errors())
        self.assertEqual(self.binding(self.renamed.customer_id).partner_id, partner)
        self.assertEqual(partner.email, "renamed@example.com")
        self.assertEqual(partner.function, "Edited in Odoo")
        self.assertEqual(partner.name, " ".join([self.renamed.first_name, self.renamed.last_name]))
        record = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("record_type", "=", "customer"),
                ("lightspeed_id", "=", self.renamed.customer_id),
            ]
        )
        self.assertEqual(record.state, "done")
        self.assertEqual((record.res_model, record.res_id), ("res.partner", partner.id))
        # A name edited in Odoo stays while Lightspeed changes other fields.
        partner.name = "Nickname"
        self.simulator.admin(
            "edit_customer", customer_id=self.renamed.customer_id, mobile="555-0123"
        )
        self.import_customers()
        self.assertEqual((partner.name, partner.mobile), ("Nickname", "555-0123"))

    def test_archived_and_anonymised_customers(self):
        archived = self.partner(self.archived.customer_id)
        anonymised = self.partner(self.anonymised.customer_id)
        self.simulator.admin("archive_customer", customer_id=self.archived.customer_id)
        self.simulator.admin(
            "archive_customer", customer_id=self.anonymised.customer_id, anonymise=True
        )
        self.import_customers()
        self.assertFalse(archived.active)
        self.assertEqual(archived.name, self.binding(self.archived.customer_id).name)
        self.assertTrue(archived.email, "archived, not anonymised")
        self.assertFalse(anonymised.active)
        self.assertEqual(anonymised.name, "Anonymised customer")
        for field in ("email", "phone", "mobile", "street", "city", "zip", "country_id", "vat"):
            self.assertFalse(anonymised[field], field)
        binding = self.binding(self.anonymised.customer_id)
        self.assertTrue(binding.anonymised and binding.remote_archived)
        orders = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("partner_id", "=", anonymised.id)]
        )
        self.assertTrue(orders, "the sales stay with the (anonymous) contact")
        staged = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")]
        )
        theirs = staged.filtered(
            lambda r: r.payload.get("customerID") == self.anonymised.customer_id
        )
        self.assertTrue(theirs)
        self.assertFalse(
            [r.lightspeed_id for r in theirs if "Customer" in r.payload],
            "no personal data left in the staged sales",
        )
        self.assertTrue(
            staged.filtered(lambda r: "Customer" in r.payload), "other sales keep theirs"
        )
        self.assertEqual(self.import_sales().failed_count, 0, self.errors())
        self.assertEqual(self.import_customers().failed_count, 0, self.errors())

    def test_opt_outs_become_blacklists(self):
        self.assertIn("mail.blacklist", self.env)
        no_email = self.partner("5")
        self.assertTrue(self.binding("5").no_email)
        self.assertTrue(
            self.env["mail.blacklist"].search([("email", "=", no_email.email)]),
            "noEmail: on the email blacklist",
        )
        self.assertFalse(
            self.env["mail.blacklist"].search([("email", "=", self.partner("1").email)])
        )
        self.assertTrue(self.binding("11").no_mail, "noMail is kept on the binding")
        self.assertTrue(self.binding("7").no_phone)
        # noPhone: the contact's numbers (as Odoo formats them) on the phone blacklist.
        spare = self.spare.customer_id
        self.simulator.admin("edit_customer", customer_id=spare, mobile="+31 6 12345678")
        self.import_customers()
        self.assertFalse(self.binding(spare).no_phone)
        self.simulator.admin("edit_customer", customer_id=spare, no_phone=True, no_email=True)
        self.import_customers()
        partner = self.partner(spare)
        self.assertTrue(self.binding(spare).no_phone and self.binding(spare).no_email)
        number = partner._phone_format(number=partner.mobile)
        self.assertTrue(number)
        self.assertTrue(self.env["phone.blacklist"].search([("number", "=", number)]))
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", partner.email)]))
        # Lifting an opt-out in Lightspeed never takes anybody off a blacklist.
        self.simulator.admin("edit_customer", customer_id=spare, no_email=False)
        self.import_customers()
        self.assertFalse(self.binding(spare).no_email)
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", partner.email)]))

    # === SALES, CORRECTIONS AND REPORTS === #

    def test_customer_attached_to_an_imported_sale_updates_its_order_only(self):
        sale, order = self.named_sale(with_customer=False)
        self.assertFalse(order.partner_id)
        self.simulator.admin("edit_sale", sale_id=sale.sale_id, customer_id="1")
        run = self.import_sales()
        self.assertGreaterEqual(run.updated_count, 1, self.errors())
        self.assertEqual(self.orders_of(sale.sale_id), order, "nothing rebooked")
        self.assertEqual(order.partner_id, self.partner("1"))

    def test_voids_and_corrections_keep_the_customer(self):
        voided, original = self.named_sale()
        edited, before = self.named_sale(exclude={voided.sale_id})
        self.assertTrue(original.partner_id and before.partner_id)
        self.simulator.admin("void_sale", sale_id=voided.sale_id)
        self.simulator.admin("edit_sale", sale_id=edited.sale_id, line_index=0, unit_quantity=7)
        self.assertEqual(self.import_sales().failed_count, 0, self.errors())
        reversal = self.orders_of(voided.sale_id) - original
        self.assertEqual(reversal.lightspeed_kind, "void")
        self.assertEqual(reversal.partner_id, original.partner_id)
        correction = self.orders_of(edited.sale_id) - before
        self.assertEqual(correction.lightspeed_kind, "correction")
        self.assertEqual(correction.partner_id, before.partner_id)

    def test_pos_orders_analysis_grouped_by_customer(self):
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        self.env.flush_all()
        groups = self.env["report.pos.order"]._read_group(
            [("order_id", "in", orders.ids)],
            ["partner_id"],
            ["price_total:sum", "order_id:count_distinct"],
        )
        by_partner = {partner: (total, count) for partner, total, count in groups}
        customers = orders.partner_id
        self.assertGreater(len(customers), 10)
        for partner in customers:
            theirs = orders.filtered(lambda o, p=partner: o.partner_id == p)
            total, count = by_partner[partner]
            self.assertEqual(count, len(theirs), partner.name)
            self.assertAlmostEqual(total, sum(theirs.mapped("amount_total")), 2)
        anonymous = orders.filtered(lambda o: not o.partner_id)
        self.assertEqual(by_partner[self.env["res.partner"]][1], len(anonymous))

    # === PRIVACY === #

    def test_raw_customer_payloads_are_for_lightspeed_administrators_only(self):
        company = self.backend.company_id
        user = new_test_user(
            self.env,
            login="ls_customer_user",
            groups="base.group_user,lightspeed_connector.group_lightspeed_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        manager = new_test_user(
            self.env,
            login="ls_customer_manager",
            groups="base.group_user,lightspeed_connector.group_lightspeed_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        record = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("record_type", "=", "customer"),
                ("lightspeed_id", "=", "1"),
            ]
        )
        self.assertEqual(record.with_user(user).read(["state"])[0]["state"], "done")
        with self.assertRaises(AccessError):
            record.with_user(user).read(["payload"])
        payload = record.with_user(manager).read(["payload"])[0]["payload"]
        self.assertEqual(Customer.from_payload(payload).customer_id, "1")
        self.assertIn("Contact", payload)
        sale = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")], limit=1
        )
        with self.assertRaises(AccessError):
            sale.with_user(user).read(["payload"])
        binding = self.binding("1").with_user(user)
        self.assertEqual(binding.read(["partner_id"])[0]["partner_id"][0], self.partner("1").id)
        with self.assertRaises(AccessError):
            binding.read(["imported_values"])
        self.assertTrue(self.binding("1").with_user(manager).read(["imported_values"]))

    def test_contacts_follow_odoo_partner_rules(self):
        other = self.env["res.company"].create({"name": "Another retail company"})
        outsider = new_test_user(
            self.env,
            login="ls_other_company",
            groups="base.group_user",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        insider = new_test_user(
            self.env,
            login="ls_same_company",
            groups="base.group_user",
            company_id=self.backend.company_id.id,
            company_ids=[Command.set(self.backend.company_id.ids)],
        )
        partner = self.partner("3")
        Partner = self.env["res.partner"]
        self.assertTrue(Partner.with_user(insider).search([("id", "=", partner.id)]))
        self.assertFalse(
            self.env["res.partner"].with_user(outsider).search([("id", "=", partner.id)]),
            "a contact of the backend's company is not shown in another company",
        )
