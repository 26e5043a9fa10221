# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from werkzeug.exceptions import BadRequest, Forbidden

from odoo import _, fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .. import const

_logger = logging.getLogger(__name__)


class LightspeedOAuthController(http.Controller):
    @http.route(const.CALLBACK_PATH, type="http", auth="user", methods=["GET"])
    def oauth_callback(self, state=None, code=None, error=None, error_description=None, **kw):
        """Lightspeed sends the administrator's browser back here after the consent page."""
        if not request.env.user.has_group("lightspeed_connector.group_lightspeed_manager"):
            raise Forbidden(_("Only Lightspeed administrators can connect a backend."))
        if not state:
            raise BadRequest(_("The Lightspeed answer has no state parameter."))
        Backend = request.env["lightspeed.backend"].sudo()
        backend = Backend.search([("oauth_state", "=", state)], limit=1)
        if not backend:
            # Unknown or already used state: possible CSRF, or the link was opened twice.
            raise BadRequest(
                _("This Lightspeed authorisation is unknown or was already used; start again.")
            )
        if (
            backend.oauth_state_expires_at
            and backend.oauth_state_expires_at < fields.Datetime.now()
        ):
            backend.write({"oauth_state": False, "oauth_code_verifier": False})
            return self._back_to_backend(backend, _("The authorisation request expired."))
        if error or not code:
            backend.write({"oauth_state": False, "oauth_code_verifier": False})
            reason = error_description or error or _("no code received")
            backend.message_post(body=_("Lightspeed authorisation refused: %(r)s", r=reason))
            return self._back_to_backend(backend, reason)
        backend = backend.with_user(request.env.user).sudo()
        try:
            backend._complete_authorization(code)
        except UserError as exc:
            request.env.cr.rollback()
            _logger.info("Lightspeed[%s]: authorisation failed: %s", backend.name, exc)
            return self._back_to_backend(backend, str(exc))
        return self._back_to_backend(backend)

    def _back_to_backend(self, backend, error=None):
        if error:
            backend.sudo().write({"last_error": error})
        return request.redirect(
            f"/odoo/action-lightspeed_connector.lightspeed_backend_action/{backend.id}"
        )
