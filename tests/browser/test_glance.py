"""The decision at a glance in a real browser (issue 19): on every page, both themes, a
phone and a laptop, the page never scrolls sideways, no number or word splits across
lines inside a table cell, every ranked card and row shows its price, the sorted column
is marked, and nothing moves after first paint.

One browser, one tab per theme and width, reused for every page (a modest runtime).
"""

from collections.abc import Iterator

import pytest

from app.web.feed import FEED_TITLE
from tests.browser.screens import SIZES, THEMES, themed_context
from tests.browser.test_site import LiveServer, start_server

pytestmark = pytest.mark.browser


# Every table cell where a word (a run without spaces: "175.2", "REQUESTS") or a number
# with its unit ("54 %") is split across lines; visually hidden text is left out.
SPLIT_CELLS = r"""() => {
  const shown = node => {
    const el = node.parentElement;
    return el && el.offsetParent !== null && !el.closest('.visually-hidden, [hidden]');
  };
  // Line boxes of some rects: a rect starting below every earlier one's bottom opens a line.
  const lineCount = rects => {
    rects = rects.filter(r => r.width > 0 && r.height > 0).sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) lines += 1;
      bottom = Math.max(bottom, r.bottom);
    }
    return lines;
  };
  const found = [];
  for (const cell of document.querySelectorAll('table th, table td')) {
    if (cell.offsetParent === null) continue;
    const texts = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.data.trim() && shown(n)) texts.push(n);
    }
    if (!texts.length) continue;
    // A number with its unit ("175.2 tok/s", "54 %") is one text node: on one line.
    for (const n of texts) {
      const r = document.createRange(); r.selectNodeContents(n);
      if (/^[\s$\d.,%KMB\u2212+\u2013-]+$/.test(n.data) && lineCount([...r.getClientRects()]) > 1)
        found.push('number on several lines: ' + n.data.trim());
    }
    for (const n of texts) {
      const re = /\S+/g; let m;
      while ((m = re.exec(n.data))) {
        const word = document.createRange();
        word.setStart(n, m.index); word.setEnd(n, m.index + m[0].length);
        if (lineCount([...word.getClientRects()]) < 2) continue;
        // Split: find where the next line starts; after a hyphen or slash is typography
        // in a prose cell, anywhere else ("17 / 5.2", "REQU / ESTS") is the defect.
        let lastTop = null;
        for (let i = 0; i < m[0].length; i++) {
          const ch = document.createRange();
          ch.setStart(n, m.index + i); ch.setEnd(n, m.index + i + 1);
          const rect = ch.getBoundingClientRect();
          if (!rect.width) continue;
          if (lastTop !== null && rect.top > lastTop + rect.height / 2 &&
              !(/[-/\u2013]/.test(m[0][i - 1]) && getComputedStyle(cell).whiteSpace !== 'nowrap')) {
            found.push('word split: ' + m[0].slice(0, 40));
            break;
          }
          lastTop = rect.top;
        }
      }
    }
  }
  return found;
}"""

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Ranked cards and rows without a visible output price.
PRICELESS = """() => [...document.querySelectorAll('#board-region [data-id]')]
  .filter(el => el.offsetParent !== null && el.querySelector('.rank-num'))
  .filter(el => {
    const price = el.querySelector('[data-field=price_out], td.c-price_out');
    if (!price || !price.textContent.trim()) return true;
    const r = price.getBoundingClientRect();
    return r.width === 0 || r.height === 0;
  }).map(el => el.getAttribute('data-id'))"""

# Layout shifts after first paint (PerformanceObserver 'layout-shift', buffered).
CLS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 600);
})"""


# Boxes whose content must stay inside their padding (defects 2, 6 and 12: a price
# headline pushing a sparkline out of its card, "UTILIZATION last hour" running out of its
# figure, "REQUESTS" running into the card's padding). Content inside a scroller of its
# own (a wide table in .table-wrap) is the scroller's business, not the box's.
BOXES = ".card, .figure, .facts > div, .chart-card, .probe-card"
ESCAPES = r"""(boxes) => {
  const found = [];
  for (const box of document.querySelectorAll(boxes)) {
    if (box.offsetParent === null) continue;
    const b = box.getBoundingClientRect(), cs = getComputedStyle(box);
    const left = b.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft);
    const right = b.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight);
    for (const el of box.querySelectorAll('*')) {
      if (el.closest('.visually-hidden') || el.getClientRects().length === 0) continue;
      let scroller = el.parentElement, inside = false;
      for (; scroller && scroller !== box; scroller = scroller.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(scroller).overflowX)) inside = true;
      }
      if (inside) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < left - 1 || r.right > right + 1)
        found.push(`${box.className.split(' ')[0]} > ${el.tagName.toLowerCase()}.` +
                   `${el.className.baseVal ?? el.className}: ${Math.round(r.left - left)}` +
                   `/${Math.round(right - r.right)} px "${el.textContent.trim().slice(0, 30)}"`);
    }
  }
  return found;
}"""

# Chart text as rendered, in CSS px (font-size times the SVG's scale on screen): one size
# at every width (defect 7: ~6.5 px on a phone, 26 px beside 14 px on a laptop).
CHART_TEXT = """() => [...document.querySelectorAll('svg text')]
  .filter(t => t.getClientRects().length && !t.closest('[hidden], .visually-hidden'))
  .map(t => {
    const m = t.getScreenCTM();
    return Math.round(parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b) * 10) / 10;
  })"""
CHART_TEXT_PX = (11.0, 14.0)

# The table view (defect 3): a ranked name is never cut (two "moonshotai/Kimi-K2-Instr…"
# rows could not be told apart, and the cut hid the flag beside it), and when the rows
# scroll inside the table's box, the box is nearly the screen's height and its header
# stays in view (it scrolled away in a box 70 % of the screen tall).
TABLE_VIEW = """() => {
  const cut = [...document.querySelectorAll('#board tbody th a, #board tbody .flag')]
    .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
    .map(el => el.textContent.trim());
  // Nothing in a cell runs over into the next one (a flag beside a wrapped name once
  // lay on the TPS figure of its row on a phone).
  const spill = [...document.querySelectorAll('#board tbody :is(th, td)')].flatMap(cell => {
    const c = cell.getBoundingClientRect();
    return [...cell.querySelectorAll('a, .flag, .num, .sub')]
      .filter(el => el.offsetParent !== null && el.getClientRects().length)
      .filter(el => { const r = el.getBoundingClientRect();
                      return r.width && (r.right > c.right + 1 || r.left < c.left - 1); })
      .map(el => el.textContent.trim());
  });
  const wrap = document.querySelector('#board').closest('.table-wrap');
  wrap.scrollTop = (wrap.scrollHeight - wrap.clientHeight) / 2;
  const head = document.querySelector('#board thead th').getBoundingClientRect();
  const box = wrap.getBoundingClientRect();
  const scrolls = wrap.scrollHeight > wrap.clientHeight + 1;
  return {
    cut,
    spill: [...new Set(spill)],
    short_box: scrolls && wrap.clientHeight < 0.8 * window.innerHeight,
    header_gone: scrolls && (head.top < box.top - 1 || head.bottom > box.bottom),
  };
}"""

# Compare (defect 10): every compared model's column is on screen at once, under its
# name as written (ids are case-sensitive: no upper-casing).
COMPARE_VIEW = """() => {
  const heads = [...document.querySelectorAll('.compare-table thead th[scope=col], ' +
                                               '.compare-legend li')];
  const off = heads.filter(h => h.getBoundingClientRect().right >
                                document.documentElement.clientWidth + 1)
                   .map(h => h.textContent.trim());
  const upper = heads.filter(h => getComputedStyle(h).textTransform === 'uppercase')
                     .map(h => h.textContent.trim());
  return {count: heads.length, off, upper};
}"""


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("glance"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pages(live) -> list[str]:
    import json
    import urllib.request

    with urllib.request.urlopen(live.url + "/api/models?limit=3") as answer:
        ids = [m["chute_id"] for m in json.load(answer)]
    return [
        "/",
        "/?view=table",
        "/?sort=price_out",
        "/?view=table&sort=ttft",
        f"/models/{ids[0]}",
        f"/compare?ids={ids[0]},{ids[1]},{ids[2]}",
        "/api",
        "/methodology",
    ]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_page_reads_right(browser, live, pages, theme, width, height):
    context = themed_context(browser, theme, width, height)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for path in pages:
            page.goto(live.url + path)
            where = f"{path} {theme} {width}px"
            assert page.evaluate("document.documentElement.dataset.theme") == theme, where
            assert page.evaluate(SIDEWAYS) <= 0, f"sideways scroll on {where}"
            assert page.evaluate(SPLIT_CELLS) == [], where
            if path.startswith("/?") or path == "/":
                assert page.evaluate(PRICELESS) == [], f"ranked without a price on {where}"
            if "view=table" in path:
                marked = page.eval_on_selector_all(
                    "#board thead th[aria-sort]", "els => els.map(e => e.className.split(' ')[0])"
                )
                sort = path.split("sort=")[1] if "sort=" in path else "rank"
                assert marked == [f"c-{sort}"], where
        assert errors == []
    finally:
        context.close()


def test_no_layout_shift_on_a_phone(browser, live):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        shifts = {}
        for path in ("/", "/?view=table"):
            page.goto(live.url + path, wait_until="load")
            shifts[path] = page.evaluate(CLS)
        # SPEC §6: CLS < 0.02 on mobile (bench/ records the figure).
        assert all(value < 0.02 for value in shifts.values()), shifts
    finally:
        context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_box_holds_its_content(browser, live, pages, theme, width, height):
    """Defects 2, 3, 6, 7, 10 and 12 at their cause: boxes hold their content, chart text
    is one size in CSS px, the table view cuts no name, compare shows every model."""
    context = themed_context(browser, theme, width, height)
    page = context.new_page()
    try:
        for path in pages:
            page.goto(live.url + path)
            where = f"{path} {theme} {width}px"
            assert page.evaluate(ESCAPES, BOXES) == [], where
            sizes = page.evaluate(CHART_TEXT)
            low, high = CHART_TEXT_PX
            assert all(low <= size <= high for size in sizes), (where, sorted(set(sizes)))
            if "view=table" in path:
                table = page.evaluate(TABLE_VIEW)
                assert table == {
                    "cut": [],
                    "spill": [],
                    "short_box": False,
                    "header_gone": False,
                }, where
            if path.startswith("/compare"):
                shown = page.evaluate(COMPARE_VIEW)
                assert shown["count"] >= 3 and shown["off"] == [] == shown["upper"], where
    finally:
        context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_feed_reads_as_a_page_in_a_browser(browser, live, theme, width, height):
    """Defect 15: /feed.atom opened in a browser was a wall of raw XML."""
    context = themed_context(browser, theme, width, height)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        page.goto(live.url + "/feed.atom")
        assert page.locator("h1").inner_text() == FEED_TITLE
        assert page.get_by_role("link", name="Leaderboard").first.is_visible()
        assert page.locator(".event-list > li, .chart-empty").count() >= 1
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        assert page.evaluate(SIDEWAYS) <= 0
        # The site's own stylesheets style it (their design tokens are there).
        surface = "getComputedStyle(document.documentElement).getPropertyValue('--surface')"
        assert page.evaluate(surface).strip()
        assert errors == []  # a CSP refusal (XSLT's warning banner was one) shows here
    finally:
        context.close()
