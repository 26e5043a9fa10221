# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LightspeedOAuthToken(models.Model):
    """The OAuth token pair of one backend, in a table of its own.

    Lightspeed rotates refresh tokens: each refresh revokes the previous one. The refresh
    therefore runs in its own cursor under a row lock on *this* row and commits at once. Keeping
    the pair off the ``lightspeed_backend`` row means the import transaction that asked for the
    refresh can keep writing its cursors on the backend without a serialization conflict
    (Odoo runs in REPEATABLE READ) and without waiting on its own lock.

    A row without a backend is an *escrow*: the pair Lightspeed returned for a pasted refresh
    token, committed on its own before the save that pasted it (which may be the one creating
    the backend) is. Lightspeed revoked the pasted token while answering, so if that save fails
    the escrow is the only live pair; saving again with the same pasted token redeems it. See
    ``lightspeed.backend._connect_with_pasted_token``.
    """

    _name = "lightspeed.oauth.token"
    _description = "Lightspeed OAuth Token"
    _rec_name = "backend_id"

    backend_id = fields.Many2one("lightspeed.backend", ondelete="cascade", index=True)
    access_token = fields.Text(copy=False)
    refresh_token = fields.Text(copy=False)
    expires_at = fields.Datetime(copy=False)
    refreshed_at = fields.Datetime(copy=False)
    pasted_digest = fields.Char(
        copy=False,
        index="btree_not_null",
        help="SHA-256 of the pasted refresh token this pair was obtained for: finds an escrow "
        "again without storing the pasted token.",
    )

    _sql_constraints = [
        ("backend_uniq", "unique(backend_id)", "A backend has exactly one token pair."),
    ]
