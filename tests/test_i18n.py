"""The Chinese catalog is complete and compiled: every visible string has its translation."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import campusdesk

LOCALE = Path(campusdesk.__file__).parent / "locale"


def parse_po(path: Path) -> list[tuple[str, str, bool, str]]:
    """(msgid, msgstr, fuzzy, msgid_plural) of each entry; plurals by their first form.
    A msgid with a context is "<context>\\x04<msgid>", the key gettext looks it up by."""
    entries: list[tuple[str, str, bool, str]] = []
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        msgid = _field(block, "msgid")
        context = _field(block, "msgctxt")
        msgid = f"{context}\x04{msgid}" if context and msgid else msgid
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


# Msgids of ours that Django's or an app's catalogue translates otherwise, where our
# wording is right in both places (ours wins: Django reads LOCALE_PATHS first).
SHARED_MSGIDS = {
    "Add": "添加 for 增加: the same verb",
    "Administration": "管理后台 for 管理: the admin's own title is ours",
    "Filter": "筛选 for 过滤器: the same, in our words",
    "Log out": "退出 for 注销: the same",
    "active": "启用 for 有效: a user or rule in use",
    "Created": "创建时间 for 已创建 (an HTTP status text of DRF's): a column of times",
    "Old password": "原密码 for 旧密码: the same field of the same form",
    "This field is required.": "the same sentence",
    "Text": "Django's TextField description (admindocs, not installed)",
    "URL": "Django's URLField description and flatpages (not installed)",
}


def _their_catalogues() -> list[Path]:
    from django.apps import apps
    from django.conf import locale as django_locale

    roots = [Path(django_locale.__file__).parent]
    roots += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    found = [root / "zh_Hans" / "LC_MESSAGES" / "django.mo" for root in roots]
    return [path for path in found if path.exists() and LOCALE not in path.parents]


def test_our_catalogue_does_not_retranslate_djangos_words():
    """Our catalogue wins over Django's and every app's for the same msgid: the admin's
    "Change" (修改) read 变更类型 and Django's content types 文件类型. A word we use in
    another sense gets a context (pgettext) instead."""
    ours = {
        msgid: msgstr
        for msgid, msgstr, _fuzzy, plural in parse_po(LOCALE / "zh_Hans/LC_MESSAGES/django.po")
        if not plural
    }
    clashes = set()
    for path in _their_catalogues():
        with path.open("rb") as handle:
            theirs = gettext.GNUTranslations(handle)
        for msgid, msgstr in ours.items():
            their = theirs.gettext(msgid)
            if their != msgid and their.strip() != msgstr and msgid not in SHARED_MSGIDS:
                clashes.add(f"{msgid!r}: ours {msgstr!r}, {path.parts[-5]}'s {their!r}")
    assert sorted(clashes) == []
