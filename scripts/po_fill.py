"""Fill zh_Hans translations from a JSON object {msgid: msgstr} into the catalogue and compile it.

    .venv/bin/python scripts/po_fill.py /tmp/my-strings.json      # then check: make messages && pytest tests/web/test_i18n.py

Entries it names lose their fuzzy flag; entries it does not name are left alone. Prints what is still untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "src/hallops/locale/zh_Hans/LC_MESSAGES/django.po"


def main() -> int:
    mapping: dict[str, str] = {}
    for arg in sys.argv[1:]:
        mapping.update(json.loads(Path(arg).read_text(encoding="utf-8")))
    po = polib.pofile(str(PO), wrapwidth=120)
    for entry in po:
        if entry.msgid in mapping:
            if entry.msgid_plural:
                value = mapping[entry.msgid]
                entry.msgstr_plural = {0: value} if isinstance(value, str) else {0: value[0]}
            else:
                entry.msgstr = mapping[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save(str(PO))
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
