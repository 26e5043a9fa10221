# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Without this addon the connector is what it was: the base addon knows nothing of queue_job
(its own suite, run without queue_job installed, proves the behaviour)."""

import re
from pathlib import Path

from odoo.modules.module import get_module_path
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestBaseAddonUntouched(BaseCase):
    def test_base_addon_has_no_queue_job_reference(self):
        root = Path(get_module_path("lightspeed_connector"))
        pattern = re.compile(r"queue_job|queue\.job|with_delay|RetryableJobError")
        offenders = [
            str(path.relative_to(root))
            for path in root.rglob("*")
            if path.suffix in (".py", ".xml", ".csv")
            and pattern.search(path.read_text(encoding="utf-8"))
        ]
        self.assertEqual(offenders, [])

    def test_base_addon_does_not_depend_on_this_addon(self):
        manifest = Path(get_module_path("lightspeed_connector"), "__manifest__.py").read_text()
        self.assertNotIn("queue", manifest)
