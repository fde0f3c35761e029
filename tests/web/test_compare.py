"""/compare and the model page's capacity section through Flask's test client, plus the
compare page's pure pieces (id parsing, overlay geometry)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.web.compare import parse_ids
from app.web.overlay import MARKERS, overlay
from tests.api.test_capacity import seed_board
from tests.seed import days_ago, seed, simple_model
from tests.seed_capacity import seed_capacity, snapshot


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["b,a"], ["b", "a"]),
        (["a, b ,a,,c"], ["a", "b", "c"]),
        (["a", "b,a"], ["a", "b"]),
        ([""], []),
    ],
)
def test_ids_keep_their_order_without_duplicates(values, expected):
    assert parse_ids(values) == expected


def column_names(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    # The full name is the link's title (the text may hold <wbr> break points).
    return re.findall(r'<a href="/models/[^"]+" title="([^"]+)">', head)


def test_compare_shows_the_models_in_the_order_given(client, db_path):
    seed_board(db_path)
    html = client.get("/compare?ids=calm,busy,calm,dark").data.decode()
    assert column_names(html) == ["Calm Model", "Busy Model", "No Capacity"]
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r'<tr><th scope="row" class="text">([^<]+)</th>(.*?)</tr>',
            html.replace("\u2011", "-"),
            re.S,
        )
    }
    assert re.findall(r"<td>([^<]+)", rows["Instances (active)"]) == ["2", "5", "—"]
    rate_limited = rows["Rate-limited (24 h)"]
    assert re.findall(r"<td>([^< ]+ ?%?)", rate_limited) == ["20 %", "25 %", "—"]
    assert rate_limited.count("flag-ratelimited") == 1  # busy only; calm is at 19.9 %
    # Three overlaid charts; the rate-limited one has markers for the two with snapshots.
    charts = html.split('class="chart overlay"')[1:]
    assert len(charts) == 3
    rate_chart = charts[2].split("</svg>")[0]
    series = re.findall(
        r'<g class="overlay-series series-(\d)" data-marker="(\w+)">(.*?)</g>', rate_chart, re.S
    )
    assert [(i, shape) for i, shape, _ in series] == [
        ("0", "circle"),
        ("1", "square"),
        ("2", "triangle"),
    ]
    assert [body.count("overlay-marker") for _, _, body in series][2] == 0
    assert all(body.count("overlay-marker") >= 1 for _, _, body in series[:2])


@pytest.mark.parametrize("ids", ["", "busy", "busy,busy", "a,b,c,d,e", "x" * 201 + ",busy"])
def test_too_few_or_too_many_ids_is_a_400_page(client, db_path, ids):
    seed_board(db_path)
    response = client.get(f"/compare?ids={ids}")
    assert response.status_code == 400
    html = response.data.decode()
    assert 'class="error-page"' in html and "Pick 2 to 4 models" in html
    assert 'class="site-header"' in html  # the site's own page, not a bare error


def test_unknown_ids_are_a_404_page_naming_them(client, db_path):
    seed_board(db_path)
    response = client.get("/compare?ids=busy,<script>x</script>")
    assert response.status_code == 404
    html = response.data.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert 'class="error-page"' in html


def test_compare_page_follows_new_data(client, db_path):
    seed_board(db_path)
    first = client.get("/compare?ids=busy,calm").data.decode()
    assert first.count("flag-ratelimited") == 1
    later = datetime.now(UTC) - timedelta(minutes=1)
    seed_capacity(db_path, [snapshot("calm", later, 100.0, 90.0)])
    second = client.get("/compare?ids=busy,calm").data.decode()
    assert second.count("flag-ratelimited") == 2


def test_model_page_shows_capacity_and_a_compare_link(client, db_path):
    seed_board(db_path)
    html = client.get("/models/calm").data.decode()
    section = html.split('<section class="capacity"', 1)[1].split("</section>\n", 2)
    capacity = "".join(section[:2])
    values = re.findall(r'<span class="figure-value">([^<]+)</span>', capacity)
    assert values == ["2", "25 %", "20 %", "20 %"]  # 199 of 1,000 is shown as 20 %
    assert "flag-ratelimited" not in capacity  # 0.199 is under the 0.2 line
    assert capacity.count('class="point"') == 1
    assert 'href="/compare?ids=calm,busy"' in html  # with the #1 model
    busy = client.get("/models/busy").data.decode()
    assert "flag-ratelimited" in busy.split('<section class="capacity"', 1)[1][:2000]
    assert 'href="/compare?ids=busy,calm"' in busy  # the #1 compares with the #2
    dark = client.get("/models/dark").data.decode()
    assert "No capacity snapshot for this model yet." in dark


def test_inactive_models_stay_comparable(client, db_path):
    seed_board(db_path)
    entry, rows = simple_model("only", "Only One Left", {1: (10.0, 500)})
    seed(db_path, [entry], rows)  # busy, calm and dark leave the catalogue
    response = client.get("/compare?ids=only,busy")
    assert response.status_code == 200
    assert column_names(response.data.decode()) == ["Only One Left", "Busy Model"]


def test_overlay_puts_every_series_on_one_axis_with_its_own_marker():
    start, end = days_ago(29), days_ago(0)
    a = [(days_ago(29), 10.0), (days_ago(28), 20.0), (days_ago(0), 40.0)]
    b = [(days_ago(10), 5.0)]
    chart = overlay([("A", a), ("B", b), ("C", [])], start, end)
    first, last = chart.series[0].markers[0], chart.series[0].markers[-1]
    assert (first.x, last.x) == (chart.left + 6, chart.right - 6)  # the whole window
    assert [s.marker for s in chart.series] == list(MARKERS[:3])
    assert chart.series[0].path.count("M") == 2  # a gap (days 27..1) splits the line
    lone = chart.series[1].path  # one day alone: a zero-length line drawn as a dot
    assert lone.startswith("M") and lone.endswith("l0 0") and lone.count("M") == 1
    assert chart.series[2].markers == [] and not chart.empty
    assert [t.label for t in chart.y_ticks][-1] == "40"
    capped = overlay([("A", [(end, 0.25)])], start, end, y_max=1.0)
    assert capped.y_ticks[-1].label == "1.0" and capped.series[0].markers[0].y > capped.top + 100
    assert overlay([("A", [])], start, end).empty
