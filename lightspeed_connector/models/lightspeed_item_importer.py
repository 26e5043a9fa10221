# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Items adapter of the import engine: the Lightspeed catalogue -> Odoo products.

Incremental on ``timeStamp`` (the first run reads every item, archived ones too), each item
staged with a fingerprint of what the import applies. Processing binds each item to one product
through ``lightspeed.item`` (the binding the sales import uses as well): new plain items are
created in one batch per chunk, items of an ``ItemMatrix`` become the variants of one template.
See README.md, "Catalogue and stock".
"""

from odoo import Command, _, models

from ..api import Item
from ..mapping.item import (
    PRICE_FIELD,
    ItemMappingError,
    attribute_values,
    category_path,
    changed_vals,
    default_code,
    item_fingerprint,
    prepare_matrix_template_vals,
    prepare_product_vals,
    prepare_variant_vals,
)
from ..tools import to_aware_utc, to_naive_utc
from .lightspeed_importer import CURSOR_OVERLAP

ITEM_RELATIONS = ("Category", "ItemAttributes", "ItemShops")
TEMPLATE_FIELDS = ("categ_id", "pos_categ_ids", "taxes_id")


class LightspeedItemImporter(models.AbstractModel):
    _name = "lightspeed.item.importer"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Item Importer"

    _stream = "item"
    _requires_shops = False

    # === QUERIES AND STAGING === #

    def _queries(self, backend, scope):
        cursor = backend.items_cursor
        since = to_aware_utc(cursor - CURSOR_OVERLAP) if cursor else None
        return [{"updated_from": since}]

    def _fetch(self, client, query, scope):
        return client.iter_items(
            updated_from=query["updated_from"], relations=ITEM_RELATIONS, sort="timeStamp"
        )

    def _staging_vals(self, item):
        stamp = item.timestamp
        return {
            "lightspeed_id": item.item_id,
            "payload": item.raw,
            "fingerprint": item_fingerprint(item),
            "remote_version": stamp.isoformat() if stamp else False,
            "remote_date": to_naive_utc(stamp) if stamp else False,
        }

    def _after_stage_page(self, backend, items, query):
        stamps = [item.timestamp for item in items if item.timestamp]
        if stamps:
            newest = to_naive_utc(max(stamps))
            if not backend.items_cursor or newest > backend.items_cursor:
                backend.items_cursor = newest

    def _select_domain(self, scope):
        return []

    # === PROCESSING === #

    def _begin_processing(self, records, run, stats):
        backend = run.backend_id
        self.env.cr.execute(
            """SELECT payload->>'itemID', payload->>'upc', payload->>'ean',
                      payload->>'customSku', payload->>'systemSku', payload->>'itemMatrixID'
                 FROM lightspeed_sync_record WHERE id = ANY(%s)""",
            [records.ids],
        )
        rows = self.env.cr.fetchall()
        item_ids = [row[0] for row in rows if row[0]]
        bindings = {
            binding.lightspeed_id: binding
            for binding in self.env["lightspeed.item"]
            .with_context(active_test=False)
            .search([("backend_id", "=", backend.id), ("lightspeed_id", "in", item_ids)])
        }
        codes = {code for row in rows for code in row[1:3] if code}
        Product = self.env["product.product"].with_context(active_test=False)
        owners = {}
        for product in Product.search([("barcode", "in", list(codes))]) if codes else ():
            owners[product.barcode] = product.id
        refs = {ref for row in rows for ref in row[3:5] if ref}
        by_ref = {}
        for product in (
            Product.search(
                [
                    ("default_code", "in", list(refs)),
                    ("company_id", "in", (backend.company_id.id, False)),
                ],
                order="id",
            )
            if refs
            else ()
        ):
            by_ref.setdefault(product.default_code, product.id)
        bound = {
            binding.product_id.id: binding.lightspeed_id
            for binding in self.env["lightspeed.item"]
            .with_context(active_test=False)
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("product_id", "in", list(owners.values()) + list(by_ref.values())),
                ]
            )
        }
        matrices = {}
        if any(row[5] not in (None, "", "0") for row in rows):
            client = backend._get_client()
            matrices = {m.item_matrix_id: m for m in client.iter_item_matrices()}
        return {
            "backend": backend,
            "masters": backend._item_field_masters(),
            "bindings": bindings,
            "owners": owners,  # barcode -> product id (or "item <id>" created in this run)
            "by_ref": by_ref,
            "bound": bound,  # product id -> itemID bound to it
            "categories": {},
            "pos_categories": {},
            "taxes": {},
            "matrices": matrices,
            "templates": {},
            "attributes": {},
            "to_create": [],
            "touched_templates": set(),
        }

    def _process_record(self, record, state, final):
        item = self._read_payload(record, Item)
        backend = state["backend"]
        vals = prepare_product_vals(item, state["masters"])
        if not (item.description or "").strip():
            vals["name"] = _("Lightspeed item %(id)s", id=item.item_id)
        vals.update(self._relational_vals(item, state))
        binding = state["bindings"].get(item.item_id)
        product = binding.product_id if binding else self.env["product.product"]
        if not binding:
            product = self._adoptable_product(item, state)
        self._check_barcode(item, vals["barcode"], product, state)
        if product:
            outcome = self._update_product(product, item, vals, state)
            binding = self._bind(backend, item, product, binding, state)
            record._mark_done(product)
            return outcome
        if item.item_matrix_id:
            product = self._create_variant(item, vals, state)
            self._bind(backend, item, product, binding, state)
            record._mark_done(product)
            return "created"
        if vals["barcode"]:
            state["owners"][vals["barcode"]] = _("item %(id)s", id=item.item_id)
        state["to_create"].append((record.id, item, vals))
        return "created"

    def _end_chunk(self, chunk, run, state, stats):
        """Create the chunk's new plain products in one batch, then their bindings."""
        pending, state["to_create"] = state["to_create"], []
        if not pending:
            return
        backend = state["backend"]
        Product = self.env["product.product"].with_context(active_test=False)
        SyncRecord = self.env["lightspeed.sync.record"]
        try:
            with self.env.cr.savepoint():
                products = self.env["lightspeed.item"]._create_products(
                    [vals for _rid, _item, vals in pending]
                )
        except Exception:  # noqa: BLE001 - one bad row: create them one by one to find it
            products = None
        if products is None:
            created = []
            for record_id, item, vals in pending:
                try:
                    with self.env.cr.savepoint():
                        created.append((record_id, item, Product.create(vals)))
                except Exception as exc:  # noqa: BLE001 - becomes the record's error
                    SyncRecord.browse(record_id)._mark_error(str(exc), run=run)
                    stats["created"] -= 1
                    stats["failed"] += 1
        else:
            created = [
                (record_id, item, product)
                for (record_id, item, _vals), product in zip(pending, products, strict=True)
            ]
        archived = self.env["product.product"].union(
            *(product for _rid, _item, product in created if not product.active)
        )
        archived.product_tmpl_id.write({"active": False})
        Binding = self.env["lightspeed.item"]
        Binding.create(
            [Binding._binding_vals(backend, item, product.id) for _rid, item, product in created]
        )
        for record_id, _item, product in created:
            SyncRecord.browse(record_id)._mark_done(product)

    def _end_processing(self, state, stats):
        """Variants a matrix template got from combining values no item has: archived."""
        for template in state["touched_templates"]:
            bound = set(
                self.env["lightspeed.item"]
                .search([("product_id.product_tmpl_id", "=", template.id)])
                .product_id.ids
            )
            template.product_variant_ids.filtered(lambda p, b=bound: p.id not in b).write(
                {"active": False}
            )

    # --- matching and checks --- #

    def _adoptable_product(self, item, state):
        """An existing product of this item's barcode or reference bound to no other item."""
        Product = self.env["product.product"]
        for code in filter(None, (item.upc, item.ean)):
            owner = state["owners"].get(code)
            if isinstance(owner, int) and owner not in state["bound"]:
                return Product.browse(owner)
        for ref in filter(None, (item.custom_sku, item.system_sku)):
            owner = state["by_ref"].get(ref)
            if owner and owner not in state["bound"]:
                return Product.browse(owner)
        return Product

    def _check_barcode(self, item, code, product, state):
        owner = state["owners"].get(code) if code else None
        if owner is None or owner == product.id:
            return
        if isinstance(owner, int):
            other = self.env["product.product"].browse(owner)
            what = other.display_name
            if owner in state["bound"]:
                what = _(
                    "%(product)s (Lightspeed item %(item)s)",
                    product=other.display_name,
                    item=state["bound"][owner],
                )
        else:
            what = owner
        raise ItemMappingError(
            _(
                "Item %(item)s has barcode %(barcode)s, which product %(other)s already uses. "
                "Barcodes are unique in Odoo: correct the barcode in Lightspeed (or on the other "
                "product), then retry.",
                item=item.item_id,
                barcode=code,
                other=what,
            )
        )

    # --- values needing the database --- #

    def _relational_vals(self, item, state):
        path = tuple(category_path(item))
        return {
            "categ_id": self._category(path, state),
            "pos_categ_ids": [self._pos_category(path, state)],
            "taxes_id": self._item_taxes(item, state),
        }

    def _category(self, path, state):
        cache = state["categories"]
        if path not in cache:
            parent = self._category(path[:-1], state) if len(path) > 1 else False
            Category = self.env["product.category"]
            category = Category.search(
                [("name", "=", path[-1]), ("parent_id", "=", parent)], limit=1
            ) or Category.create({"name": path[-1], "parent_id": parent})
            cache[path] = category.id
        return cache[path]

    def _pos_category(self, path, state):
        cache = state["pos_categories"]
        if path not in cache:
            parent = self._pos_category(path[:-1], state) if len(path) > 1 else False
            PosCategory = self.env["pos.category"]
            category = PosCategory.search(
                [("name", "=", path[-1]), ("parent_id", "=", parent)], limit=1
            ) or PosCategory.create({"name": path[-1], "parent_id": parent})
            cache[path] = category.id
        return cache[path]

    def _item_taxes(self, item, state):
        """The mapped Odoo taxes of the main shop's tax category (its per tax class rates when
        it has some for the item's class); none for an item sold without tax."""
        key = (item.tax, item.tax_class_id)
        cache = state["taxes"]
        if key not in cache:
            cache[key] = state["backend"]._item_tax_ids(item.tax, item.tax_class_id)
        return cache[key]

    # --- writing --- #

    def _current_vals(self, record, keys):
        current = {}
        for key in keys:
            value = record[key]
            if isinstance(value, models.BaseModel):
                value = (
                    value.ids if record._fields[key].type in ("many2many", "one2many") else value.id
                )
            current[key] = value
        return current

    def _update_product(self, product, item, vals, state):
        if product.product_tmpl_id.lightspeed_matrix_lightspeed_id:
            variant_vals = prepare_variant_vals(vals)
            template_vals = {
                key: vals[key]
                for key in (
                    *TEMPLATE_FIELDS,
                    PRICE_FIELD,
                    "type",
                    "is_storable",
                    "available_in_pos",
                )
                if key in vals
            }
            changed = changed_vals(self._current_vals(product, variant_vals), variant_vals)
            template = product.product_tmpl_id
            changed_template = changed_vals(
                self._current_vals(template, template_vals), template_vals
            )
            if changed_template:
                template.write(self._x2many(changed_template))
            if changed:
                product.write(self._x2many(changed))
            return "updated" if changed or changed_template else "unchanged"
        changed = changed_vals(self._current_vals(product, vals), vals)
        if not changed:
            return "unchanged"
        product.write(self._x2many(changed))
        if "active" in changed:
            product.product_tmpl_id.active = changed["active"]
        return "updated"

    @staticmethod
    def _x2many(vals):
        return {
            key: [Command.set(value)] if key in ("pos_categ_ids", "taxes_id") else value
            for key, value in vals.items()
        }

    def _bind(self, backend, item, product, binding, state):
        Binding = self.env["lightspeed.item"]
        vals = Binding._binding_vals(backend, item, product.id)
        if binding:
            changed = {
                key: value
                for key, value in vals.items()
                if key not in ("synced_at", "backend_id")
                and Binding._stored_value(binding, key) != value
            }
            if changed:
                binding.write(changed)
        else:
            binding = Binding.create(vals)
            state["bindings"][item.item_id] = binding
        state["bound"][product.id] = item.item_id
        if vals["barcode"]:
            state["owners"][vals["barcode"]] = product.id
        return binding

    # --- matrices --- #

    def _create_variant(self, item, vals, state):
        """The variant of ``item`` on its matrix's template (created with the first item met),
        its attribute values added to the template."""
        matrix = state["matrices"].get(item.item_matrix_id)
        names = matrix.attribute_names if matrix else ("", "", "")
        pairs = attribute_values(item, names)
        values = [self._attribute_value(name, value, state) for name, value in pairs]
        template = self._matrix_template(item, state)
        if not template:
            template_vals = prepare_matrix_template_vals(
                item, matrix.description if matrix else "", vals
            )
            template_vals.update(
                categ_id=vals["categ_id"],
                pos_categ_ids=[Command.set(vals["pos_categ_ids"])],
                taxes_id=[Command.set(vals["taxes_id"])],
                lightspeed_matrix_lightspeed_id=item.item_matrix_id,
                attribute_line_ids=[
                    Command.create(
                        {
                            "attribute_id": value.attribute_id.id,
                            "value_ids": [Command.set(value.ids)],
                        }
                    )
                    for value in values
                ],
            )
            template = self.env["product.template"].create(template_vals)
            state["templates"][item.item_matrix_id] = template
        else:
            for value in values:
                line = template.attribute_line_ids.filtered(
                    lambda ln, v=value: ln.attribute_id == v.attribute_id
                )
                if not line:
                    raise ItemMappingError(
                        _(
                            "Item %(item)s of matrix %(matrix)s has attribute %(attribute)s, "
                            "which the matrix's other items do not have.",
                            item=item.item_id,
                            matrix=item.item_matrix_id,
                            attribute=value.attribute_id.name,
                        )
                    )
                if value not in line.value_ids:
                    line.value_ids = [Command.link(value.id)]
        state["touched_templates"].add(template)
        wanted = {value.id for value in values}
        variant = template.with_context(active_test=False).product_variant_ids.filtered(
            lambda p: (
                set(p.product_template_attribute_value_ids.product_attribute_value_id.ids) == wanted
            )
        )
        if not variant:
            raise ItemMappingError(
                _(
                    "No variant of %(template)s matches item %(item)s.",
                    template=template.name,
                    item=item.item_id,
                )
            )
        variant = variant[:1]
        variant_vals = prepare_variant_vals(vals)
        variant_vals.setdefault("default_code", default_code(item))
        variant.write(variant_vals)
        return variant

    def _matrix_template(self, item, state):
        templates = state["templates"]
        if item.item_matrix_id not in templates:
            templates[item.item_matrix_id] = (
                self.env["product.template"]
                .with_context(active_test=False)
                .search(
                    [
                        ("lightspeed_matrix_lightspeed_id", "=", item.item_matrix_id),
                        ("company_id", "in", (state["backend"].company_id.id, False)),
                    ],
                    limit=1,
                )
            )
        return templates[item.item_matrix_id]

    def _attribute_value(self, name, value, state):
        key = (name, value)
        cache = state["attributes"]
        if key not in cache:
            Attribute = self.env["product.attribute"]
            attribute = Attribute.search([("name", "=", name)], limit=1) or Attribute.create(
                {"name": name, "create_variant": "always"}
            )
            Value = self.env["product.attribute.value"]
            record = Value.search(
                [("attribute_id", "=", attribute.id), ("name", "=", value)], limit=1
            ) or Value.create({"attribute_id": attribute.id, "name": value})
            cache[key] = record
        return cache[key]

    def _run_message(self, scope, fetched, stats):
        return _(
            "%(fetched)s items fetched: %(created)s products created, %(updated)s updated, "
            "%(unchanged)s unchanged, %(failed)s failed.",
            fetched=fetched,
            created=stats["created"],
            updated=stats["updated"],
            unchanged=stats["unchanged"] + stats["skipped"],
            failed=stats["failed"],
        )
