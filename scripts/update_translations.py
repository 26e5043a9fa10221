#!/usr/bin/env python3
"""Regenerate lightspeed_connector/i18n/lightspeed_connector.pot from the code and merge it into
the .po files (nl, fr, de); list what is left to translate; fill translations from a JSON file.

    # 1. export the .pot (fresh throwaway database, or --db an existing one, which is updated
    #    with -u first) and merge every .po with it:
    python3 scripts/update_translations.py
    python3 scripts/update_translations.py --template ls_base     # faster: copy a database
    python3 scripts/update_translations.py --db mydb              # reuse a database
    # 2. what is left: untranslated or fuzzy msgids per language (exit 1 when any):
    python3 scripts/update_translations.py --untranslated
    python3 scripts/update_translations.py --untranslated --json > /tmp/todo.json
    # 3. fill them: {"nl": {"msgid": "msgstr", ...}, "fr": {...}, "de": {...}}
    python3 scripts/update_translations.py --apply /tmp/todo.json

The export is Odoo's own (``odoo --i18n-export``, the same as Settings > Translations >
Export), so the .pot holds every string a user can see: field labels and help, selection
values, view texts, ``_()`` and ``_lt()`` strings in Python. Merging uses gettext's
``msgmerge`` when installed (fuzzy matches for changed strings, which count as untranslated
until reviewed: remove the ``fuzzy`` flag once the msgstr is right), else polib (an Odoo
dependency). ``tests/test_i18n.py`` (Odoo suite) fails when the .pot is not current or a .po
misses a msgid or breaks a placeholder.

Options for the export: PYTHON (default python3), ODOO_ADDONS_PATH (Odoo's addons folders,
default /opt/odoo18/odoo/addons), PGHOST/PGPORT/PGUSER (default localhost/5432/odoo).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = "lightspeed_connector"
I18N = ROOT / MODULE / "i18n"
POT = I18N / f"{MODULE}.pot"
LANGS = ("nl", "fr", "de")
# printf-style (%s, %(name)s, %d, %%) and format-style ({name}, {0}) placeholders, HTML tags.
PLACEHOLDER_RE = re.compile(r"%\([a-zA-Z_][a-zA-Z0-9_]*\)[sdfr]|%[sdfr%]|\{[a-zA-Z0-9_]*\}")
TAG_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def placeholders(text):
    """The placeholders of a message, as a sorted list (a translation keeps every one)."""
    return sorted(PLACEHOLDER_RE.findall(text))


def tags(text):
    return sorted(TAG_RE.findall(text))


def untranslated(po):
    """msgids of ``po`` (a polib file) without a usable translation: empty or fuzzy."""
    return [
        entry.msgid
        for entry in po
        if not entry.obsolete and (not entry.msgstr or "fuzzy" in entry.flags)
    ]


def psql_args():
    return [
        f"--db_host={os.environ.get('PGHOST', 'localhost')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        f"--db_user={os.environ.get('PGUSER', 'odoo')}",
    ]


def odoo(db, *args):
    python = os.environ.get("PYTHON", "python3")
    addons = os.environ.get("ODOO_ADDONS_PATH", "/opt/odoo18/odoo/addons")
    cmd = [
        python, "-m", "odoo", *psql_args(), "-d", db, f"--addons-path={addons},{ROOT}",
        "--stop-after-init", "--no-http", "--max-cron-threads=0", "--without-demo=all",
        "--log-level=warn", *args,
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    errors = [
        line for line in result.stderr.splitlines() + result.stdout.splitlines()
        if re.search(r" (ERROR|CRITICAL) ", line)
    ]  # fmt: skip
    if result.returncode or errors:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        sys.exit(f"odoo {' '.join(args[:2])} failed on database {db}")


def pg(*cmd):
    env = dict(os.environ)
    host = ["-h", env.get("PGHOST", "localhost"), "-p", env.get("PGPORT", "5432")]
    subprocess.run([cmd[0], *host, "-U", env.get("PGUSER", "odoo"), *cmd[1:]], check=True)


def export_pot(db=None, template=None):
    """Export the module's terms into POT with Odoo's exporter; returns the path."""
    own_db = not db
    if own_db:
        db = f"lightspeed_i18n_{os.getpid()}"
        if template:
            pg("createdb", "-T", template, db)
        else:
            pg("createdb", db)
    try:
        # Install (own database) or update (given one): the database must hold this code's
        # fields, selections and views.
        odoo(db, "-i" if own_db else "-u", MODULE)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{MODULE}.pot"
            odoo(db, f"--i18n-export={out}", f"--modules={MODULE}")
            I18N.mkdir(exist_ok=True)
            if POT.exists() and undated(POT.read_text()) == undated(out.read_text()):
                print(f"{POT.relative_to(ROOT)} is current (only its dates would change)")
            else:
                shutil.copyfile(out, POT)
                print(f"wrote {POT.relative_to(ROOT)}")
    finally:
        if own_db:
            pg("dropdb", "--if-exists", db)
    return POT


def undated(text):
    """A .pot without its creation and revision dates (they change on every export)."""
    return re.sub(r'^"(POT-Creation|PO-Revision)-Date: .*\\n"$', "", text, flags=re.M)


def merge(lang):
    """Bring ``<lang>.po`` in line with the .pot: new msgids added empty, gone ones dropped."""
    po_path = I18N / f"{lang}.po"
    if not po_path.exists():
        import polib

        po = polib.pofile(str(POT))
        po.metadata["Language"] = lang
        po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
        po.save(str(po_path))
    elif shutil.which("msgmerge"):
        subprocess.run(
            ["msgmerge", "--quiet", "--update", "--backup=none", "--no-wrap",
             "--previous", "--lang", lang, str(po_path), str(POT)],
            check=True,
        )  # fmt: skip
        # msgmerge keeps gone msgids as "#~" obsolete entries: drop them.
        import polib

        po = polib.pofile(str(po_path), wrapwidth=0)
        for entry in [e for e in po if e.obsolete]:
            po.remove(entry)
        po.save(str(po_path))
    else:
        import polib

        po = polib.pofile(str(po_path), wrapwidth=0)
        po.merge(polib.pofile(str(POT)))
        for entry in [e for e in po if e.obsolete]:
            po.remove(entry)
        po.save(str(po_path))
    print(f"merged {po_path.relative_to(ROOT)}")


def check(lang):
    """Problems of ``<lang>.po`` against the .pot: missing msgids, broken placeholders/tags."""
    import polib

    pot_ids = {entry.msgid for entry in polib.pofile(str(POT))}
    po = polib.pofile(str(I18N / f"{lang}.po"))
    by_id = {entry.msgid: entry for entry in po if not entry.obsolete}
    problems = []
    for msgid in sorted(pot_ids - set(by_id)):
        problems.append(f"{lang}: missing msgid {msgid!r}")
    for msgid in untranslated(po):
        if msgid in pot_ids:
            problems.append(f"{lang}: untranslated {msgid!r}")
    for msgid, entry in by_id.items():
        if msgid not in pot_ids or not entry.msgstr:
            continue
        if placeholders(msgid) != placeholders(entry.msgstr):
            problems.append(
                f"{lang}: placeholders {placeholders(msgid)} of {msgid!r} became "
                f"{placeholders(entry.msgstr)} in {entry.msgstr!r}"
            )
        if tags(msgid) != tags(entry.msgstr):
            problems.append(f"{lang}: HTML/XML tags of {msgid!r} changed in {entry.msgstr!r}")
    return problems


def apply(path):
    """Fill msgstrs from ``{"lang": {"msgid": "msgstr"}}`` (clears the fuzzy flag)."""
    import polib

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for lang, translations in data.items():
        po_path = I18N / f"{lang}.po"
        po = polib.pofile(str(po_path), wrapwidth=0)
        filled = 0
        for entry in po:
            msgstr = translations.get(entry.msgid)
            if msgstr:
                entry.msgstr = msgstr
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                filled += 1
        po.save(str(po_path))
        print(f"{lang}: {filled} msgstr filled")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="existing database with the addon (updated with -u)")
    parser.add_argument("--template", help="create the throwaway database from this template")
    parser.add_argument("--no-export", action="store_true", help="only merge the .po files")
    parser.add_argument("--untranslated", action="store_true", help="list what is left")
    parser.add_argument("--json", action="store_true", help="with --untranslated: JSON output")
    parser.add_argument("--apply", metavar="JSON", help="fill translations from a JSON file")
    parser.add_argument("--check", action="store_true", help="placeholders and coverage")
    args = parser.parse_args()

    if args.apply:
        apply(args.apply)
        return 0
    if args.untranslated:
        import polib

        todo = {}
        for lang in LANGS:
            todo[lang] = {
                msgid: "" for msgid in untranslated(polib.pofile(str(I18N / f"{lang}.po")))
            }
        if args.json:
            print(json.dumps(todo, ensure_ascii=False, indent=2))
        else:
            for lang, msgids in todo.items():
                print(f"== {lang}: {len(msgids)} untranslated")
                for msgid in msgids:
                    print(f"  {msgid!r}")
        return 1 if any(todo.values()) else 0
    if args.check:
        problems = [p for lang in LANGS for p in check(lang)]
        print("\n".join(problems) or "every .po translates every msgid of the .pot")
        return 1 if problems else 0

    if not args.no_export:
        export_pot(args.db, args.template)
    for lang in LANGS:
        merge(lang)
    left = {}
    import polib

    for lang in LANGS:
        left[lang] = len(untranslated(polib.pofile(str(I18N / f"{lang}.po"))))
    print("untranslated:", ", ".join(f"{lang} {n}" for lang, n in left.items()))
    if any(left.values()):
        print("list them: python3 scripts/update_translations.py --untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
