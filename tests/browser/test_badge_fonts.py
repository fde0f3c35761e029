"""The badge's width table against a real browser's fonts: text never wider than its box."""

import json
import os
import string

import pytest

from app.web.badge_svg import FONT, SAFETY, text_width

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
]
playwright_sync = pytest.importorskip("playwright.sync_api")

SAMPLES = [
    "chutes TPS",
    "no data",
    "unknown",
    "1,234.5 tok/s",
    "88,888.8 tok/s",
    "WWWWWWWWWW",
    "%%%%%%",
    string.ascii_letters,
    string.punctuation,
]


def test_measured_widths_cover_the_browsers_font(browser):
    """Canvas measures the badge's font stack (Verdana where installed, else DejaVu Sans):
    the table with its safety margin is never narrower, per character or per text."""
    texts = list(string.printable.strip()) + SAMPLES
    page = browser.new_page()
    try:
        widths = page.evaluate(
            """([font, texts]) => {
                const ctx = document.createElement("canvas").getContext("2d");
                ctx.font = "11px " + font;
                return texts.map((t) => ctx.measureText(t).width);
            }""",
            [FONT, texts],
        )
    finally:
        page.close()
    too_narrow = {
        text: (round(width, 2), text_width(text))
        for text, width in zip(texts, widths, strict=True)
        if text_width(text) * SAFETY < width
    }
    assert not too_narrow, json.dumps(too_narrow)
