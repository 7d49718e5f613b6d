"""Fill msgstr of a .po file from a JSON dictionary (msgid -> translation).

Used after `make messages`: new strings are added to tools/zh_hans.json (or a
tools/zh_hans_<area>.json beside it: every tools/zh_hans*.json is read), then
`python tools/fill_po.py` writes them into the catalog and reports what is missing.
A msgid with a context (pgettext, {% translate … context … %}) is keyed
"<context>\u0004<msgid>", as gettext keys it in a .mo file.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src/campusdesk/locale/zh_Hans/LC_MESSAGES/django.po"
DICTS = sorted((ROOT / "tools").glob("zh_hans*.json"))


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_text: str, table: dict[str, str]) -> tuple[str, list[str]]:
    missing: list[str] = []
    out: list[str] = []
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block + "\n", re.MULTILINE)
        msgid = _unquote(re.findall(r'".*"', match.group(1))) if match else ""
        context = re.search(r'^msgctxt ((?:".*"\n?)+)', block + "\n", re.MULTILINE)
        key = _unquote(re.findall(r'".*"', context.group(1))) + "\x04" + msgid if context else msgid
        if not msgid and "Content-Type" in block:
            block = block.replace("#, fuzzy\n", "").replace(
                '"Language: \\n"', '"Language: zh_Hans\\n"'
            )
        if msgid and "msgid_plural" not in block:
            translation = table.get(key)
            if translation is None:
                missing.append(key)
            else:
                block = re.sub(
                    r'^msgstr (?:".*"\n?)+',
                    f"msgstr {_quote(translation)}\n",
                    block + "\n",
                    flags=re.MULTILINE,
                ).rstrip("\n")
                block = block.replace("#, fuzzy\n", "").replace(", fuzzy", "")
        out.append(block)
    return "\n\n".join(out), missing


def main() -> int:
    table: dict[str, str] = {}
    source: dict[str, str] = {}
    for path in DICTS:
        for msgid, text in json.loads(path.read_text(encoding="utf-8")).items():
            if table.get(msgid, text) != text:  # the later file wins: say so
                print(f"conflict: {msgid!r} is {table[msgid]!r} in {source[msgid]}, "
                      f"{text!r} in {path.name}")  # fmt: skip
            table[msgid], source[msgid] = text, path.name
    text, missing = fill(PO.read_text(encoding="utf-8"), table)
    PO.write_text(text, encoding="utf-8")
    for msgid in missing:
        print(f"missing: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
