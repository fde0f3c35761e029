"""The screens every layout check runs on: both themes at a phone's and a laptop's size
(the browser itself is conftest.py's `browser` fixture)."""

from typing import Any

SIZES = [(390, 844), (1366, 900)]
THEMES = ["dark", "light"]


def themed_context(browser: Any, theme: str, width: int, height: int) -> Any:
    """A browser context of that size whose visitor chose `theme` (theme.js reads the
    choice from localStorage before the first paint, as for a returning visitor)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(f"try {{ localStorage.setItem('theme', '{theme}') }} catch (e) {{}}")
    return context
