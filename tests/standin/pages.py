"""SvelteKit pages as chutes.ai's server renders them: `/app`, the stats pages and their
`__data.json` twins, in every page form."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from tests.standin.encoders import devalue_stringify, devalue_uneval

# "hoisted6": the hoisted form as devalue 6 writes it, `(function(){let a=…;…}())`.
PAGE_FORMS = ("inline", "hoisted", "hoisted6", "streamed", "legacy")
HOISTED_FORMS = ("hoisted", "hoisted6")

KIT_GLOBAL = "__sveltekit_1qmvh4f"
# Where the `/app` page sits and which route node it loads.
_APP_ROUTE: dict[str, Any] = {
    "prefix": "./",
    "base": ".",
    "node_file": "12.BxN4r6Qa.js",
    "node_ids": [0, 3, 12],
    "title": "Chutes",
}
_USER_NODE: dict[str, Any] = {
    "type": "data",
    "data": {"user": None, "authenticated": False},
    "uses": {"dependencies": ["app:user"]},
}


def _head(prefix: str, node_file: str, title: str) -> str:
    links = [
        "assets/0.C4xR2m1Q.css",
        "entry/start.B7pQx2Lk.js",
        "chunks/DqW1n0a5.js",
        "entry/app.D3hYk9sT.js",
        "nodes/0.CmV8fT2e.js",
        f"nodes/{node_file}",
    ]
    tags = [
        f'\t\t<link href="{prefix}_app/immutable/{link}" '
        + ('rel="stylesheet">' if link.endswith(".css") else 'rel="modulepreload">')
        for link in links
    ]
    tags[-1] += f"<!--1xg2h7r--><title>{html.escape(title, quote=False)}</title>"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "\t<head>",
            '\t\t<meta charset="utf-8" />',
            f'\t\t<link rel="icon" href="{prefix}favicon.png" />',
            '\t\t<meta name="viewport" content="width=device-width, initial-scale=1" />',
            "\t\t",
            *tags,
            "\t</head>",
            '\t<body data-sveltekit-preload-data="hover">',
        ]
    )


def _body_open(main: str) -> str:
    return (
        '\t\t<div style="display: contents"><!--[--><!--[--><!----><!--[-->'
        + main
        + "<!--]--><!----><!--]--> <!--[!--><!--]--><!--]-->"
    )


def _kit_script(base: str, prefix: str, node_ids: list[int], data: str, legacy: bool) -> str:
    """SvelteKit's hydration script: ≥ 2.11 inline `data:[…]`, or 1.x `const data = […]`."""
    imports = [
        "\t\t\t\t\tPromise.all([",
        f'\t\t\t\t\t\timport("{prefix}_app/immutable/entry/start.B7pQx2Lk.js"),',
        f'\t\t\t\t\t\timport("{prefix}_app/immutable/entry/app.D3hYk9sT.js")',
        "\t\t\t\t\t]).then(([kit, app]) => {",
    ]
    ids = ", ".join(map(str, node_ids))
    if legacy:
        lines = [
            "\t\t\t<script>",
            "\t\t\t\t{",
            f"\t\t\t\t\t{KIT_GLOBAL} = {{",
            "\t\t\t\t\t\tenv: {},",
            f'\t\t\t\t\t\tbase: new URL("{base}", location).pathname.slice(0, -1),',
            "\t\t\t\t\t\telement: document.currentScript.parentElement",
            "\t\t\t\t\t};",
            "",
            f"\t\t\t\t\tconst data = {data};",
            "",
            *imports,
            f"\t\t\t\t\t\tkit.start(app, {KIT_GLOBAL}.element, {{",
            f"\t\t\t\t\t\t\tnode_ids: [{ids}],",
            "\t\t\t\t\t\t\tdata,",
        ]
    else:
        lines = [
            "\t\t\t<script>",
            "\t\t\t\t{",
            f"\t\t\t\t\t{KIT_GLOBAL} = {{",
            f'\t\t\t\t\t\tbase: new URL("{base}", location).pathname.slice(0, -1)',
            "\t\t\t\t\t};",
            "",
            "\t\t\t\t\tconst element = document.currentScript.parentElement;",
            "",
            *imports,
            "\t\t\t\t\t\tkit.start(app, element, {",
            f"\t\t\t\t\t\t\tnode_ids: [{ids}],",
            f"\t\t\t\t\t\t\tdata: {data},",
        ]
    lines += [
        "\t\t\t\t\t\t\tform: null,",
        "\t\t\t\t\t\t\terror: null",
        "\t\t\t\t\t\t});",
        "\t\t\t\t\t});",
        "\t\t\t\t}",
        "\t\t\t</script>",
    ]
    return "\n".join(lines)


@dataclass
class _Deferred:
    """A promise in page data: SvelteKit writes `defer(id)` and streams the value later."""

    value: Any


def _serialise_nodes(
    nodes: list[dict[str, Any] | None], legacy: bool, major: int = 5
) -> tuple[str, list[str]]:
    """The `data:[…]` text for the page nodes, and the `<script>` chunks streamed after it."""
    chunks: list[str] = []
    next_id = 1

    def replacer(thing: Any) -> str | None:
        nonlocal next_id
        if not isinstance(thing, _Deferred):
            return None
        promise_id = next_id
        next_id += 1
        text = devalue_uneval([thing.value], replacer, major=major)
        chunks.append(f"<script>{KIT_GLOBAL}.resolve({promise_id}, () => {text})</script>\n")
        return f"{KIT_GLOBAL}.defer({promise_id})"

    parts = []
    for node in nodes:
        if node is None:
            parts.append("null")
        elif legacy:
            # SvelteKit 1.x: quoted wrapper keys, `uses` as plain JSON.
            uses = json.dumps(node["uses"], separators=(",", ":"))
            parts.append(
                f'{{"type":"data","data":{devalue_uneval(node["data"], replacer, major=major)},'
                f'"uses":{uses}}}'
            )
        else:
            parts.append(devalue_uneval(node, replacer, major=major))
    return "[" + ",".join(parts) + "]", chunks


def _page(
    *,
    nodes: list[dict[str, Any] | None],
    page_form: str,
    script: str = "ok",
    **route: Any,
) -> tuple[str, list[str]]:
    """A whole SvelteKit document; script is "ok", "missing" or "malformed"."""
    legacy = page_form == "legacy"
    data, chunks = _serialise_nodes(nodes, legacy=legacy, major=6 if page_form == "hoisted6" else 5)
    if script == "malformed":
        data = data[: len(data) // 2]  # a literal cut off mid-value: unbalanced, unparsable
    document = _document(**route, data=None if script == "missing" else data, legacy=legacy)
    return document, chunks


def _document(
    *,
    prefix: str,
    base: str,
    node_file: str,
    node_ids: list[int],
    title: str,
    main: str,
    data: str | None,
    legacy: bool = False,
) -> str:
    """The document around a `data` literal (verbatim); None leaves the script out."""
    parts = [_head(prefix, node_file, title), _body_open(main), "\t\t\t"]
    if data is not None:
        parts.append(_kit_script(base, prefix, node_ids, data, legacy=legacy))
    parts += ["\t\t</div>", "\t</body>", "</html>", ""]
    return "\n".join(parts)


def render_page(data: str, main: str = "<main></main>") -> str:
    """An `/app`-shaped SvelteKit 2 document whose `kit.start` gets `data` verbatim.

    For literals the page renderers would never write (hand-made, malformed, with extra
    nodes); `main` is the server-rendered markup ahead of the bootstrap script, and may
    hold other `<script>`s. Streamed chunks go after the returned text, as served.
    """
    return _document(**_APP_ROUTE, main=main, data=data)


def _fmt_int(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and value else str(value or 0)


def _fmt_speed(value: Any, unit: str = "") -> str:
    # Drift tests serve renamed fields and numbers as text; the table shows what it can.
    return f"{value:.2f}{unit}" if isinstance(value, int | float) and value else "—"


def _stats_table_rows(rows: list[dict[str, Any]]) -> str:
    cells = []
    for row in rows:
        cells.append(
            f"<tr><td>{row['date']}</td><td>{_fmt_int(row.get('total_requests'))}</td>"
            f"<td>{_fmt_speed(row.get('average_tps'))}</td>"
            f"<td>{_fmt_speed(row.get('average_ttft'), 's')}</td></tr>"
        )
    return "".join(cells)


def render_app_page(
    envelope: dict[str, Any], page_form: str = "inline", script: str = "ok"
) -> tuple[str, list[str]]:
    """The `/app` catalogue page for a `/chutes/`-shaped envelope; (document, chunks)."""
    items = envelope["items"]
    links = "".join(
        f'<a href="/app/chute/{html.escape(c["chute_id"])}">'
        f"<h3>{html.escape(c['name'], quote=False)}</h3></a>"
        for c in items
    )
    main = f'<main class="catalogue"><!--[-->{links}<!--]--></main>'
    data: dict[str, Any] = {"chutes": envelope}
    if page_form in HOISTED_FORMS:
        data["featured"] = items[:3]  # the same chute objects twice: devalue hoists them
    elif page_form == "streamed":
        data = {"chutes": _Deferred(envelope)}
    nodes = [_USER_NODE, None, {"type": "data", "data": data, "uses": {"url": 1}}]
    return _page(**_APP_ROUTE, main=main, nodes=nodes, page_form=page_form, script=script)


def render_stats_page(
    chute: dict[str, Any],
    rows: list[dict[str, Any]],
    page_form: str = "inline",
    script: str = "ok",
) -> tuple[str, list[str]]:
    """A chute's `?tab=stats` page carrying `rows` (all chutes' rows, as seen live)."""
    own = [row for row in rows if row["chute_id"] == chute["chute_id"]]
    name = html.escape(chute["name"], quote=False)
    table = (
        "<table><thead><tr><th>Date</th><th>Requests</th><th>Avg TPS</th><th>Avg TTFT</th>"
        f"</tr></thead><tbody><!--[-->{_stats_table_rows(own)}<!--]--></tbody></table>"
    )
    data: dict[str, Any] = {"chute": chute, "stats": rows, "tab": "stats"}
    if page_form in HOISTED_FORMS:
        # The rows list twice (hoisted as `Array(n)`) and this chute's newest row twice
        # (hoisted as `{}` plus `b.chute_id=…` statements), as FORMATS.md describes.
        data["latest"] = own[0] if own else None
        data["chart"] = rows
    elif page_form == "streamed":
        data["stats"] = _Deferred(rows)
        table = "<p>Loading stats…</p>"  # SSR shows the pending state of the await block
    main = (
        f'<main class="chute-page"><h1>{name}</h1><nav><a href="?tab=overview">Overview</a>'
        f'<a href="?tab=stats" aria-current="page">Stats</a></nav>'
        f'<section class="stats">{table}</section></main>'
    )
    nodes = [
        _USER_NODE,
        None,
        {"type": "data", "data": data, "uses": {"params": ["chute_id"], "url": 1}},
    ]
    return _page(
        prefix="../../",
        base="../..",
        node_file="21.BxN4r6Qa.js",
        node_ids=[0, 3, 21],
        title=f"{chute['name']} | Chutes",
        main=main,
        nodes=nodes,
        page_form=page_form,
        script=script,
    )


def render_data_json(page_data: dict[str, Any], uses: dict[str, Any]) -> str:
    """A route's `__data.json` (SvelteKit's JSON form, node data in devalue `stringify`)."""
    user = (
        f'{{"type":"data","data":{devalue_stringify(_USER_NODE["data"])},'
        '"uses":{"dependencies":["app:user"]}}'
    )
    page = (
        f'{{"type":"data","data":{devalue_stringify(page_data)},'
        f'"uses":{json.dumps(uses, separators=(",", ":"))}}}'
    )
    return f'{{"type":"data","nodes":[{user},null,{page}]}}\n'
