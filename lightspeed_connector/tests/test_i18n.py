# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Translations: the committed .pot is what Odoo exports from this code, and the Dutch, French
and German .po files translate every msgid of it, keeping placeholders and markup.

When a string changes, regenerate and translate (README, "Translations"):

    python3 scripts/update_translations.py              # .pot from the code, .po merged
    python3 scripts/update_translations.py --untranslated
"""

import io
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

MODULE = "lightspeed_connector"
I18N = Path(__file__).resolve().parents[1] / "i18n"
LANGS = ("nl", "fr", "de")
HOW_TO = (
    "Regenerate with `python3 scripts/update_translations.py` (exports the .pot with Odoo and "
    "merges nl/fr/de.po), then list what to translate with "
    "`python3 scripts/update_translations.py --untranslated`."
)
# printf-style (%s, %(name)s, %d, %%) and format-style ({name}) placeholders; HTML/XML tags.
PLACEHOLDER_RE = re.compile(r"%\([a-zA-Z_][a-zA-Z0-9_]*\)[sdfr]|%[sdfr%]|\{[a-zA-Z0-9_]*\}")
TAG_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def msgids(po):
    return {entry.msgid for entry in po if not entry.obsolete and entry.msgid}


def sample(items, limit=15):
    items = sorted(items)
    more = f"\n  ... and {len(items) - limit} more" if len(items) > limit else ""
    return "\n".join(f"  {item!r}" for item in items[:limit]) + more


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pot = polib.pofile(str(I18N / f"{MODULE}.pot"))

    def exported_pot(self):
        """The .pot Odoo exports now, from the installed code (Settings > Translations)."""
        buffer = io.BytesIO()
        trans_export(None, [MODULE], buffer, "po", self.env.cr)
        return polib.pofile(buffer.getvalue().decode())

    def test_pot_is_current(self):
        exported = msgids(self.exported_pot())
        committed = msgids(self.pot)
        self.assertGreater(len(exported), 300, "the export found the module's strings")
        new, gone = exported - committed, committed - exported
        self.assertFalse(
            new or gone,
            f"i18n/{MODULE}.pot is not current: {len(new)} msgid(s) in the code are not in it, "
            f"{len(gone)} in it are gone from the code.\nNew:\n{sample(new)}\nGone:\n"
            f"{sample(gone)}\n{HOW_TO}",
        )

    def test_every_language_translates_every_msgid(self):
        pot_ids = msgids(self.pot)
        for lang in LANGS:
            with self.subTest(lang=lang):
                po = polib.pofile(str(I18N / f"{lang}.po"))
                entries = {e.msgid: e for e in po if not e.obsolete}
                missing = {
                    msgid
                    for msgid in pot_ids
                    if msgid not in entries
                    or not entries[msgid].msgstr.strip()
                    or "fuzzy" in entries[msgid].flags
                }
                self.assertFalse(
                    missing,
                    f"{lang}.po leaves {len(missing)} msgid(s) untranslated (or fuzzy):\n"
                    f"{sample(missing)}\n{HOW_TO}",
                )

    def test_translations_keep_placeholders_and_markup(self):
        for lang in LANGS:
            po = polib.pofile(str(I18N / f"{lang}.po"))
            broken = []
            for entry in po:
                if entry.obsolete or not entry.msgstr:
                    continue
                if sorted(PLACEHOLDER_RE.findall(entry.msgid)) != sorted(
                    PLACEHOLDER_RE.findall(entry.msgstr)
                ) or sorted(TAG_RE.findall(entry.msgid)) != sorted(TAG_RE.findall(entry.msgstr)):
                    broken.append(f"{entry.msgid!r} -> {entry.msgstr!r}")
            with self.subTest(lang=lang):
                self.assertFalse(
                    broken,
                    f"{lang}.po changes placeholders or tags of {len(broken)} message(s) "
                    "(a translation must keep every %s, %(name)s, {name} and tag):\n"
                    + sample(broken),
                )

    def test_placeholder_check_catches_a_dropped_placeholder(self):
        # The check above must be able to fail: a translation that drops %(name)s.
        msgid = "Shop %(shop)s: choose a warehouse."
        self.assertNotEqual(
            sorted(PLACEHOLDER_RE.findall(msgid)),
            sorted(PLACEHOLDER_RE.findall("Winkel: kies een magazijn.")),
        )
        self.assertEqual(
            sorted(PLACEHOLDER_RE.findall(msgid)),
            sorted(PLACEHOLDER_RE.findall("Winkel %(shop)s: kies een magazijn.")),
        )
