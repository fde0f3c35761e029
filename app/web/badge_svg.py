"""Pure shields-style badge SVG: text measured per character so it never clips. No I/O.

Widths are advance widths in px at 11px: per character the wider of Verdana (the badge's
first font, as shields.io measures it) and DejaVu Sans (the usual fallback on Linux). Each
text also gets a textLength, so even a wider fallback font is fitted into the measured box
rather than overflowing it.
"""

import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
HEIGHT = 20
PADDING = 6  # px each side of a text
SAFETY = 1.05  # measured widths are scaled up by this margin
FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"
LABEL_COLOUR = "#555"
VALUE_COLOUR = "#0969da"  # white text on it: 5.2:1
GREY = "#6e7781"  # "no data" / "unknown": white text on it 4.6:1

_WIDTHS: dict[str, float] = {" ": 3.87, ".": 3.94, ",": 3.94, ":": 4.99, ";": 4.99}
_WIDTHS.update(dict.fromkeys("0123456789", 7.0))
_WIDTHS.update(dict.fromkeys("-/()[]|\\", 4.99))
_WIDTHS.update(dict.fromkeys("*_`", 6.99))
_WIDTHS.update(dict.fromkeys("+=<>^~#", 9.22))
_WIDTHS.update({"!": 4.41, "?": 5.98, "%": 11.84, "&": 8.58, "@": 11.0, "$": 7.0})
_WIDTHS.update({'"': 5.06, "'": 3.02, "{": 7.0, "}": 7.0})
_WIDTHS.update(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            *(7.52, 7.55, 7.68, 8.48, 6.96, 6.33, 8.53, 8.27, 4.63, 5.0, 7.62, 6.13, 9.49),
            *(8.23, 8.66, 6.63, 8.66, 7.64, 7.52, 6.78, 8.05, 7.52, 10.88, 7.54, 6.77, 7.54),
        ),
        strict=True,
    )
)
_WIDTHS.update(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        (
            *(6.74, 6.98, 6.05, 6.98, 6.77, 3.87, 6.98, 6.97, 3.06, 3.79, 6.51, 3.06, 10.72),
            *(6.97, 6.73, 6.98, 6.98, 4.69, 5.73, 4.33, 6.97, 6.51, 9.0, 6.51, 6.51, 5.77),
        ),
        strict=True,
    )
)
# Anything else (other scripts, symbols) is taken as wide as the widest Latin letter.
WIDEST = 11.84


def text_width(text: str) -> float:
    """The text's advance width in px at 11px (see the module docstring)."""
    return round(sum(_WIDTHS.get(char, WIDEST) for char in text), 1)


def box_width(text: str) -> float:
    """The width of the box around a text: its width with the safety margin, padded."""
    return round(text_width(text) * SAFETY + 2 * PADDING, 1)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    element.text = text
    return element


def badge(label: str, value: str, colour: str = VALUE_COLOUR) -> bytes:
    """A two-part flat badge "label │ value" (ElementTree escapes the text)."""
    label_text, value_text = text_width(label), text_width(value)
    label_box, value_box = box_width(label), box_width(value)
    width = label_box + value_box
    # Plain tag names with an xmlns attribute: ElementTree's own namespace handling
    # would print ns0: prefixes (it cannot mix a default namespace with plain attributes).
    svg = ET.Element(
        "svg", {"xmlns": SVG_NS, "width": f"{width:g}", "height": str(HEIGHT), "role": "img"}
    )
    svg.set("aria-label", f"{label}: {value}")
    _el(svg, "title", f"{label}: {value}")
    gradient = _el(svg, "linearGradient", id="shine", x2=0, y2="100%")
    _el(gradient, "stop", offset=0, **{"stop-color": "#bbb", "stop-opacity": ".1"})
    _el(gradient, "stop", offset=1, **{"stop-opacity": ".1"})
    clip = _el(svg, "clipPath", id="round")
    _el(clip, "rect", width=f"{width:g}", height=HEIGHT, rx=3, fill="#fff")
    boxes = _el(svg, "g", **{"clip-path": "url(#round)"})
    _el(boxes, "rect", width=f"{label_box:g}", height=HEIGHT, fill=LABEL_COLOUR)
    _el(boxes, "rect", x=f"{label_box:g}", width=f"{value_box:g}", height=HEIGHT, fill=colour)
    _el(boxes, "rect", width=f"{width:g}", height=HEIGHT, fill="url(#shine)")
    texts = _el(svg, "g", fill="#fff", **{"text-anchor": "middle", "font-family": FONT})
    texts.set("font-size", "11")
    for text, centre, length in (
        (label, label_box / 2, label_text),
        (value, label_box + value_box / 2, value_text),
    ):
        shadow = _el(texts, "text", text, x=f"{centre:g}", y=15, fill="#010101")
        shadow.set("fill-opacity", ".3")
        shadow.set("aria-hidden", "true")
        shadow.set("textLength", f"{length:g}")
        shadow.set("lengthAdjust", "spacingAndGlyphs")
        front = _el(texts, "text", text, x=f"{centre:g}", y=14)
        front.set("textLength", f"{length:g}")
        front.set("lengthAdjust", "spacingAndGlyphs")
    return ET.tostring(svg, encoding="utf-8")
