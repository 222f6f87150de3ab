"""The zh_Hans catalogue is complete, compiled, and knows every string the templates mark for translation."""

from __future__ import annotations

import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2] / "src" / "hallops"
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
TRANSLATE_TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    """`make messages` extracts; a string left untranslated or fuzzy would show English in the Chinese UI."""
    po = polib.pofile(str(PO))
    bad = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert bad == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    """django.mo (what Django reads) holds exactly the translations of django.po."""
    po = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if e.translated() and not e.msgid_plural}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo"))) if e.msgid and not e.msgid_plural}
    assert mo == po


def test_every_template_string_is_in_the_catalogue() -> None:
    """A `{% translate %}` added to a template without running `make messages` is caught here."""
    known = {e.msgid for e in polib.pofile(str(PO))}
    missing = []
    for template in ROOT.rglob("templates/**/*.html"):
        for match in TRANSLATE_TAG.finditer(template.read_text(encoding="utf-8")):
            if match.group(2) not in known:
                missing.append(f"{template.relative_to(ROOT)}: {match.group(2)}")
    assert missing == []
