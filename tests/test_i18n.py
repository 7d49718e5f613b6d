"""The Chinese catalog is complete and compiled: every visible string has its translation."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import campusdesk

LOCALE = Path(campusdesk.__file__).parent / "locale"


def parse_po(path: Path) -> list[tuple[str, str, bool, str]]:
    """(msgid, msgstr, fuzzy, msgid_plural) of each entry; plurals by their first form."""
    entries: list[tuple[str, str, bool, str]] = []
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        msgid = _field(block, "msgid")
        msgstr = _field(block, "msgstr") or _field(block, r"msgstr\[0\]")
        if msgid:
            entries.append((msgid, msgstr, fuzzy, _field(block, "msgid_plural")))
    return entries


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} ((?:".*"\n?)+)', block + "\n", re.MULTILINE)
    if not match:
        return ""
    parts = re.findall(r'"(.*)"', match.group(1))
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_chinese_catalog_is_complete_and_compiled():
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    entries = parse_po(po)
    assert len(entries) > 100
    untranslated = [e[0] for e in entries if not e[1]]
    fuzzy = [e[0] for e in entries if e[2]]
    assert untranslated == [], f"untranslated: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy: {fuzzy[:10]}"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _, plural in entries
        if (compiled.ngettext(msgid, plural, 1) if plural else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], f"django.mo is older than django.po (run make messages): {stale[:5]}"
