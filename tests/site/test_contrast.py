"""The stylesheet's text colours read on its backgrounds: WCAG AA's 4.5:1 for normal text,
computed from app.css itself (its :root variables and every rule's colour and background)."""

from __future__ import annotations

import re
from pathlib import Path

import campusdesk

CSS = Path(campusdesk.__file__).parent / "static/campusdesk/css/app.css"
AA = 4.5


def variables(css: str) -> dict[str, str]:
    root = re.search(r":root\s*\{([^}]*)\}", css)
    assert root
    found = re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", root.group(1))
    return {name: colour(value, {}) or value for name, value in found}


def colour(value: str, names: dict[str, str]) -> str | None:
    """A declaration's value as #rrggbb (a variable resolved), or None for anything else."""
    value = value.strip()
    named = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if named:
        value = names.get(named.group(1), "")
    if not re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value):
        return None
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value.lower()


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rules(css: str, names: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(selector, text colour, background colour) of every rule that sets either."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value) for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)
        )
        text = colour(declarations.get("color", ""), names)
        background = colour(declarations.get("background", ""), names) or colour(
            declarations.get("background-color", ""), names
        )
        if text or background:
            found.append((selector.strip(), text, background))
    return found


def test_the_warning_colour_reads_on_white_and_its_light_backgrounds():
    names = variables(CSS.read_text())
    warn = names["--warn"]
    for background in ("#ffffff", names["--bg"], "#fff4e5", "#fffaf2"):
        assert ratio(warn, background) >= AA, (warn, background)


def test_every_text_colour_reads_on_the_backgrounds_it_may_stand_on():
    """Dark text of a rule on its own background, or on any light background of the sheet
    when the rule sets none (it sits on a card, the page, a badge …); light text on the dark
    background of its rule."""
    names = variables(CSS.read_text())
    found = rules(CSS.read_text(), names)
    light = {b for _s, _t, b in found if b and luminance(b) > 0.7} | {names["--bg"], "#ffffff"}
    low = []
    for selector, text, background in found:
        if text is None:
            continue
        if background is not None:
            behind = {background}
        elif luminance(text) < 0.4:
            behind = light
        else:
            continue  # light text (the top bar's): on the dark background of its container
        low += [(selector, text, b, round(ratio(text, b), 2)) for b in behind]
    low = [pair for pair in low if pair[3] < AA]
    assert low == []
    assert ratio(names["--brand-ink"], names["--brand"]) >= AA  # the top bar
