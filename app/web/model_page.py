"""One model's page: its figures, charts and daily history."""

import contextlib
import json
from datetime import date, timedelta
from urllib.parse import quote

from flask import Response, abort, current_app, render_template, url_for
from markupsafe import escape

from app import clock
from app.db import flaskdb
from app.db import models as model_store
from app.methodology import SPEED_CHANGE_WINDOW_DAYS, response_seconds
from app.plumbing.pages import Page, page_lifetime, serve_cached
from app.readmodel import events_as_shown, model_as_shown, models_as_shown, recent_probes
from app.web import charts, formatting
from app.web.blueprint import bp
from app.web.capacity_view import compare_partner, rate_limited_chart
from app.web.freshness import freshness
from app.web.lineage_view import model_extras
from app.web.probes_view import probe_section
from app.web.table import unranked_text


@bp.get("/models/<chute_id:chute_id>")
def model(chute_id: str) -> Response:
    # The embed code holds absolute URLs: cached per host.
    return serve_cached(lambda: render_model(chute_id), vary_on_host=True)


def render_model(chute_id: str) -> Page:
    conn = flaskdb.get_db()
    now = clock.now()
    today = now.date().isoformat()
    # Its place on the board (the speed rank), among active models.
    min_requests = current_app.config["MIN_REQUESTS"]
    ranked = models_as_shown(conn, min_requests=min_requests, today=today)
    found = model_as_shown(conn, chute_id, min_requests=min_requests, today=today, shown=ranked)
    if found is None:
        abort(404)
    history = model_store.model_history(conn, chute_id)
    # Today's figures are a day in progress: marked in the charts and the table.
    partial = today if any(h["date"] == today for h in history) else None
    events = events_as_shown(conn, MAX_EVENTS, chute_id)
    marks = [event_mark(e) for e in events]
    tps_series = [(h["date"], h["tps"]) for h in history]
    charts_ = {
        "tps": charts.chart(
            tps_series,
            marks=marks,
            value_format=lambda v: f"{formatting.tps(v)} tok/s",
            tick_format=charts.tick_label,
            partial_day=partial,
        ),
        "ttft": charts.chart(
            [(h["date"], h["ttft"]) for h in history],
            marks=marks,
            value_format=formatting.seconds,
            tick_format=charts.tick_label,
            partial_day=partial,
        ),
        "requests": charts.chart(
            [(h["date"], h["requests"]) for h in history],
            marks=marks,
            kind="bar",
            value_format=lambda v: f"{formatting.count(v)} requests",
            tick_format=formatting.compact,
            partial_day=partial,
        ),
        "rate_limited": rate_limited_chart(conn, chute_id),
    }
    fresh = freshness(conn, now)
    html = render_template(
        "model.html",
        model=found,
        rank=found["rank"],
        unranked_text=unranked_text(found, min_requests),
        ranked_count=sum(1 for m in ranked if m["rank"]),
        low_sample=found["low_sample"],
        partial_day=found["partial_day"],
        often_rate_limited=found["often_rate_limited"],
        compare_with=compare_partner(ranked, chute_id),
        today=today,
        days_7d=days_with_speed(history, found.get("latest_date"), 7),
        days_30d=days_with_speed(history, found.get("latest_date"), 30),
        history=list(reversed(history)),
        charts=charts_,
        events=events,
        embed=embed_code(chute_id, found["name"]),
        action=action_context(found, current_app.config["WEB_URL"], current_app.config["LLM_URL"]),
        fresh=fresh,
        **model_extras(conn, found, history, today, current_app.config["LINEAGE"]),
        probe=probe_section(found, recent_probes(conn, now, chute_id), now),
    )
    return html, page_lifetime(fresh, now)


def days_with_speed(history: list[dict], last_day: str | None, window: int) -> int:
    """How many days with TPS the `window`-day average ending at `last_day` rests on."""
    if not last_day:
        return 0
    first = (date.fromisoformat(last_day) - timedelta(days=window - 1)).isoformat()
    return sum(1 for h in history if first <= h["date"] <= last_day and h["tps"] is not None)


MAX_EVENTS = 200
# Chart labels by event kind: a word or the speed change's percentage.
MARK_LABELS = {
    "model_added": "added",
    "model_removed": "removed",
    "rate_limited": "rate-limited",
    "rate_limited_cleared": "cleared",
    "price_change": "price",
    "probe_failing": "probes failing",
    "probe_recovered": "probes ok",
}


def event_mark(event: dict) -> charts.Mark:
    """An API event object as a chart mark: (UTC day, short label, summary).

    Marked on the day it was found, except a speed change: on the first day of the first
    week that differed, where the shift shows on the chart.
    """
    day = event["at"][:10]
    label = MARK_LABELS.get(event["kind"], event["kind"])
    detail = event["detail"]
    if event["kind"] == "speed_change" and isinstance(detail.get("change"), int | float):
        label = f"{detail['change']:+.0%}"
        with contextlib.suppress(TypeError, ValueError):
            since = date.fromisoformat(detail.get("since"))
            day = (since - timedelta(days=SPEED_CHANGE_WINDOW_DAYS - 1)).isoformat()
    return (day, label, event["summary"])


def embed_code(chute_id: str, name: str) -> dict[str, str]:
    """Copy-ready Markdown and HTML for the model's badge, with absolute URLs."""
    page = url_for("views.model", chute_id=chute_id, _external=True)
    badge = url_for("views.model_badge", chute_id=chute_id, _external=True)
    return {
        "badge": url_for("views.model_badge", chute_id=chute_id),
        "markdown": f"[![chutes TPS]({badge})]({page})",
        "html": f'<a href="{escape(page)}"><img src="{escape(badge)}"'
        f' alt="chutes TPS of {escape(name)}" height="20"></a>',
    }


# The answer lengths the model page times (the board's choices).
ACTION_TOKENS = (256, 1000, 4000)


def action_context(model: dict, web_url: str, llm_url: str) -> dict:
    """The model page's way to action: its page on chutes.ai, a ready curl request (the
    API's model id is the catalogue name), and the time for N tokens from the figures the
    board shows (the ranked day's, else the latest)."""
    ranked = model.get("rank") is not None
    tps = model.get("rank_tps") if ranked else model.get("latest_tps")
    ttft = model.get("rank_ttft") if ranked else model.get("latest_ttft")
    body = json.dumps(
        {
            "model": model["name"],
            "messages": [{"role": "user", "content": "Say hello in one sentence."}],
            "max_tokens": 256,
        },
        indent=2,
    )
    curl = (
        f"curl {llm_url.rstrip('/')}/v1/chat/completions \\\n"
        '  -H "Authorization: Bearer $CHUTES_API_TOKEN" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'"
    )
    return {
        "chutes_url": f"{web_url.rstrip('/')}/app/chute/{quote(model['chute_id'], safe='')}",
        "curl": curl,
        "times": [{"tokens": n, "seconds": response_seconds(ttft, tps, n)} for n in ACTION_TOKENS],
        "times_day": model.get("rank_date") if ranked else model.get("latest_date"),
    }
