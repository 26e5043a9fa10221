# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class LightspeedMappingMixin(models.AbstractModel):
    """A Lightspeed object read by the metadata sync, keyed by (backend, Lightspeed ID)."""

    _name = "lightspeed.mapping.mixin"
    _description = "Lightspeed Mapping"
    _order = "backend_id, name, id"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    lightspeed_id = fields.Char(string="Lightspeed ID", required=True, readonly=True, index=True)
    name = fields.Char(required=True)
    remote_archived = fields.Boolean(
        string="Archived in Lightspeed", readonly=True, help="Kept so old records still resolve."
    )
    synced_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "lightspeed_uniq",
            "unique(backend_id, lightspeed_id)",
            "This Lightspeed object is already mapped on this backend.",
        ),
    ]

    @api.model
    def _upsert(self, backend, rows):
        """Create or update one mapping per row; rows are vals dicts with ``lightspeed_id``.

        Mapping choices made in Odoo (warehouse, employee...) are never overwritten: rows only
        carry what Lightspeed owns. Returns the records in the order of ``rows``.
        """
        existing = {
            rec.lightspeed_id: rec
            for rec in self.with_context(active_test=False).search(
                [("backend_id", "=", backend.id)]
            )
        }
        now = fields.Datetime.now()
        result = self.browse()
        to_create = []
        for vals in rows:
            vals = dict(vals, synced_at=now)
            record = existing.get(vals["lightspeed_id"])
            if record:
                changed = {
                    key: value
                    for key, value in vals.items()
                    if key != "synced_at" and self._stored_value(record, key) != value
                }
                record.write(dict(changed, synced_at=now))
                result |= record
            else:
                to_create.append(dict(vals, backend_id=backend.id))
        return result | self.create(to_create)

    @api.model
    def _stored_value(self, record, key):
        value = record[key]
        return value.id if isinstance(value, models.BaseModel) else value
