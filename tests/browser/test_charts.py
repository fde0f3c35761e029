"""Chart text that overlaps nothing, and sparklines that are lines (defects 8 and 12 of
issue 19), measured on the rendered pages in Chromium: both themes, a phone and a laptop,
over a catalogue whose charts crowd (tests/browser/chart_data.py).

- the board's speed-vs-price chart: no label's box meets another chart text's box or a
  dot other than its own;
- a model page's charts: no text meets another, no event label meets a point of the
  plotted line (sampled along its path) or a point's circle;
- the board's sparklines: none draws a lone dot (a line that ends inside its end dot).
"""

from collections.abc import Iterator

import pytest

from tests.browser.chart_data import MARKED, seed_crowded
from tests.browser.screens import SIZES, THEMES, themed_context
from tests.browser.test_site import LiveServer

pytestmark = pytest.mark.browser


# Every pair of shown texts (and text and circle, but a label's own dot) whose boxes share
# more than half a pixel, in one chart; with `line`, every event label a point of the
# chart's series path runs through.
OVERLAPS = r"""(selector) => {
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).display !== 'none';
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                         Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const name = el => `"${el.textContent.trim().slice(0, 30)}"`;
  const found = [];
  for (const svg of document.querySelectorAll(selector)) {
    if (!shown(svg)) continue;
    const texts = [...svg.querySelectorAll('text')].filter(shown);
    const dots = [...svg.querySelectorAll('circle')].filter(shown);
    texts.forEach((t, i) => {
      const box = t.getBoundingClientRect();
      texts.slice(i + 1).forEach(u => {
        if (meet(box, u.getBoundingClientRect())) found.push(`${name(t)} on ${name(u)}`);
      });
      for (const c of dots) {
        const own = c.closest('a') && c.closest('a') === t.closest('a');
        if (!own && meet(box, c.getBoundingClientRect()))
          found.push(`${name(t)} on the dot of ${name(c.closest('a') || c)}`);
      }
      if (!t.closest('.mark')) return;
      for (const path of svg.querySelectorAll('path.series')) {
        const m = path.getScreenCTM(), length = path.getTotalLength();
        for (let at = 0; at <= length; at += 1) {
          const p = path.getPointAtLength(at);
          const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
          if (x > box.left && x < box.right && y > box.top && y < box.bottom) {
            found.push(`${name(t)} on the line at ${Math.round(x)},${Math.round(y)}`);
            break;
          }
        }
      }
    });
  }
  return found;
}"""

# Sparklines that draw a lone dot: a line no wider than the dot at its end (one day, or two
# days 4 px apart in a 30-day window), in the sparkline's own units.
LONE_DOTS = r"""() => [...document.querySelectorAll('svg.spark')].filter(svg => {
  const line = svg.querySelector('.spark-line');
  if (!line) return false;
  const dot = svg.querySelector('circle');
  const reach = line.getBBox().width + (svg.querySelector('.spark-gap')?.getBBox().width || 0);
  return reach <= (dot ? 2 * dot.r.baseVal.value : 0) + 1;
}).map(svg => svg.closest('[data-id]').dataset.id)"""

NOTES = """() => [...document.querySelectorAll('.spark-note')].map(el => {
  const r = el.getBoundingClientRect();
  return [el.closest('[data-id]').dataset.id, el.textContent, Math.round(r.height)];
})"""


@pytest.fixture(scope="module")
def crowded(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(seed_crowded(tmp_path_factory.mktemp("crowded")))
    yield server
    server.stop()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_chart_text_overlaps_nothing_and_sparklines_are_lines(
    browser, crowded, theme, width, height
):
    context = themed_context(browser, theme, width, height)
    page = context.new_page()
    try:
        where = f"{theme} {width}px"
        page.goto(crowded.url + "/")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        labels = page.eval_on_selector_all(
            ".scatter .dot text", "ts => ts.filter(t => t.getClientRects().length).length"
        )
        assert labels >= 3, f"the leaders' labels are gone on {where}"
        assert page.evaluate(OVERLAPS, "svg.scatter") == [], f"/ {where}"
        assert page.evaluate(LONE_DOTS) == [], f"/ {where}"
        # One and two days: said in words, in the sparkline's 32 px box.
        notes = sorted(page.evaluate(NOTES))
        assert notes == [
            ["chute-new-1", "1 day of data", 32],
            ["chute-new-2", "2 days of data", 32],
        ]
        page.goto(crowded.url + f"/models/{MARKED}")
        marks = page.eval_on_selector_all(".chart .mark text", "ts => ts.length")
        assert marks >= 6, f"event labels are gone on {where}"  # 2+ on each of 3 charts
        assert page.evaluate(OVERLAPS, ".chart svg") == [], f"/models/{MARKED} {where}"
    finally:
        context.close()
