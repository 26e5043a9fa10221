# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LightspeedOAuthToken(models.Model):
    """The OAuth token pair of one backend, in a table of its own.

    Lightspeed rotates refresh tokens: each refresh revokes the previous one. The refresh
    therefore runs in its own cursor under a row lock on *this* row and commits at once. Keeping
    the pair off the ``lightspeed_backend`` row means the import transaction that asked for the
    refresh can keep writing its cursors on the backend without a serialization conflict
    (Odoo runs in REPEATABLE READ) and without waiting on its own lock.
    """

    _name = "lightspeed.oauth.token"
    _description = "Lightspeed OAuth Token"
    _rec_name = "backend_id"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True
    )
    access_token = fields.Text(copy=False)
    refresh_token = fields.Text(copy=False)
    expires_at = fields.Datetime(copy=False)
    refreshed_at = fields.Datetime(copy=False)

    _sql_constraints = [
        ("backend_uniq", "unique(backend_id)", "A backend has exactly one token pair."),
    ]
