"""The stand-in's data: the fixture catalogue and stats, synthetic models, their rows."""

from __future__ import annotations

import itertools
import json
import math
import pathlib
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "chutes"
FIXTURE_NEWEST_DAY = date(2026, 10, 3)
ROW_KEYS = (
    "chute_id",
    "name",
    "date",
    "total_requests",
    "total_input_tokens",
    "total_output_tokens",
    "average_tps",
    "average_ttft",
)


_TAO_USD = 197.41658  # USD per TAO, as implied by the fixture's prices
_SYSTEM_USER = {
    "username": "chutes",
    "user_id": "8930c58d-8a7a-5f0c-b5a8-a1f4d9b6b2f1",
    "logo_id": None,
    "created_at": "2024-12-04T17:21:03.119254Z",
    "logo": None,
}
_NS = uuid.UUID("6f1c2a4e-8a0b-5c3d-9e7f-112233445566")  # for stable synthetic ids


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(_NS, "/".join(map(str, parts))))


def _iso_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_model_entry(
    name: str,
    chute_id: str,
    *,
    engine: str = "vllm",
    prompt: float = 0.1,
    completion: float = 0.4,
    context_length: int | None = 131072,
    quantization: str | None = "bf16",
    created: int = 1788000000,
    root: str | None = None,
) -> dict[str, Any]:
    """A `/v1/models` entry in the real key order (Postgres JSONB order, hence unusual)."""
    cache_read = round(prompt / 2, 6)
    entry: dict[str, Any] = {
        "id": name,
        "root": root or name.removesuffix("-TEE"),
        "price": {
            "input": {"tao": prompt / _TAO_USD, "usd": prompt},
            "output": {"tao": completion / _TAO_USD, "usd": completion},
            "input_cache_read": {"tao": cache_read / _TAO_USD, "usd": cache_read},
        },
        "object": "model",
        "parent": None,
        "created": created,
        "pricing": {"prompt": prompt, "completion": completion, "input_cache_read": cache_read},
        "chute_id": chute_id,
        "owned_by": engine,
    }
    if quantization is not None:
        entry["quantization"] = quantization
    if context_length is not None:
        entry["max_model_len"] = context_length
        entry["context_length"] = context_length
    entry["input_modalities"] = ["text"]
    if context_length is not None:
        entry["max_output_length"] = min(context_length, 65536)
    entry["output_modalities"] = ["text"]
    entry["supported_features"] = ["json_mode", "tools", "structured_outputs"]
    entry["confidential_compute"] = name.endswith("-TEE")
    entry["supported_sampling_parameters"] = ["temperature", "top_p", "top_k", "stop", "seed"]
    return entry


def make_chute(
    name: str,
    chute_id: str,
    *,
    standard_template: str | None = "vllm",
    image: str = "vllm-tee",
    tag: str = "0.11.2",
    invocation_count: int = 0,
    created: datetime | None = None,
    price: tuple[float, float] | None = (0.1, 0.4),
) -> dict[str, Any]:
    """A chute object as `/chutes/` and the `/app` page carry it (real key order)."""
    created = created or datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    tee = name.endswith("-TEE")
    is_llm = standard_template == "vllm"
    per_million: dict[str, Any] = {}
    if price is not None and is_llm:
        prompt, completion = price
        per_million = {
            "per_million_tokens": {
                "input": {"usd": prompt, "tao": prompt / _TAO_USD},
                "output": {"usd": completion, "tao": completion / _TAO_USD},
                "input_cache_read": {"usd": prompt / 2, "tao": prompt / 2 / _TAO_USD},
            }
        }
    hourly = 3.5 if is_llm else 0.85
    cord_ref = "5f0b8a52-3c1e-5d47-9a8e-0f3b2c6d1e4a" if is_llm else _uid("cord", name)
    gpus = ["h200", "b200"] if is_llm else ["l40s", "a100"]
    return {
        "chute_id": chute_id,
        "name": name,
        "tagline": name if is_llm else "",
        "readme": "",
        "public": True,
        "version": "",
        "tool_description": None,
        "slug": "chutes-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        "standard_template": standard_template,
        "cords": None,
        "jobs": [],
        "cord_ref_id": cord_ref,
        "created_at": _iso_ts(created),
        "updated_at": _iso_ts(created + timedelta(days=20, hours=3)),
        "image": {
            "image_id": _uid("image", image, tag),
            "name": image,
            "readme": "",
            "tag": tag,
            "public": True,
            "status": "built and pushed",
            "created_at": _iso_ts(created - timedelta(days=3)),
            "build_started_at": _iso_ts(created - timedelta(days=3)),
            "build_completed_at": _iso_ts(created - timedelta(days=3)),
            "user": dict(_SYSTEM_USER),
            "logo_id": None,
            "patch_version": None,
            "chutes_version": "0.6.4",
            "logo": None,
        },
        "user": dict(_SYSTEM_USER),
        "supported_gpus": list(gpus),
        "node_selector": {
            "dynamic": False,
            "exclude": None,
            "include": list(gpus) if is_llm else None,
            "gpu_count": 1,
            "min_vram_gb_per_gpu": 80 if is_llm else 48,
            "max_hourly_price_per_gpu": None,
            "compute_multiplier": 6.0 if is_llm else 1.5,
            "supported_gpus": list(gpus),
        },
        "invocation_count": invocation_count,
        "current_estimated_price": {
            **per_million,
            "usd": {"hour": hourly, "second": hourly / 3600},
            "tao": {"hour": hourly / _TAO_USD, "second": hourly / 3600 / _TAO_USD},
        },
        "instances": [],
        "logo_id": None,
        "openrouter": False,
        "chutes_version": "0.6.4",
        "revision": None,
        "concurrency": 64 if is_llm else None,
        "boost": None,
        "max_instances": None,
        "scaling_threshold": None,
        "shutdown_after_seconds": None,
        "preemptible": True,
        "allow_external_egress": False,
        "tee": tee,
        "lock_modules": None,
        "effective_compute_multiplier": 13.5 if tee else 6.0,
        "compute_multiplier_factors": {"base": 6.0, "tee": 2.25} if tee else {"base": 6.0},
        "bounty": None,
        "logo": None,
        "hot": invocation_count > 0,
    }


def make_row(
    chute_id: str,
    name: str,
    day: date | str,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    tps: float | int,
    ttft: float | int,
) -> dict[str, Any]:
    """One daily stats row, keys in the API's order."""
    values = (chute_id, name, str(day), requests, input_tokens, output_tokens, tps, ttft)
    return dict(zip(ROW_KEYS, values, strict=True))


def _row_sort_key(row: dict[str, Any]) -> tuple[int, int]:
    # Date desc, then total tokens desc; used with reverse=True so ties keep their order.
    tokens = (row.get("total_input_tokens") or 0) + (row.get("total_output_tokens") or 0)
    return (date.fromisoformat(row["date"]).toordinal(), tokens)


@dataclass
class Dataset:
    """What the stand-in serves: the catalogue (both shapes) and the raw daily rows."""

    models: list[dict[str, Any]]  # /v1/models entries, served in this order
    chutes: list[dict[str, Any]]  # /app chute objects: the LLMs plus non-LLM chutes
    rows: list[dict[str, Any]]  # daily rows of every chute, any order
    cord_refs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def chute(self, chute_id: str) -> dict[str, Any] | None:
        """The chute object with this id, or None."""
        return next((c for c in self.chutes if c["chute_id"] == chute_id), None)

    def stats(
        self,
        start: date | None = None,
        end: date | None = None,
        chute_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows with start <= date <= end (inclusive), sorted like the real API."""
        lo = start.isoformat() if start else ""
        hi = end.isoformat() if end else "9999-12-31"
        kept = [
            row
            for row in self.rows
            if lo <= row["date"] <= hi and (chute_id is None or row["chute_id"] == chute_id)
        ]
        return sorted(kept, key=_row_sort_key, reverse=True) if _needs_sort(kept) else kept

    def chutes_envelope(self) -> dict[str, Any]:
        """The `/chutes/`-shaped envelope the `/app` page carries."""
        return {
            "total": len(self.chutes),
            "page": 0,
            "limit": max(25, len(self.chutes)),
            "items": self.chutes,
            "cord_refs": self.cord_refs,
        }

    def extend(self, other: Dataset) -> Dataset:
        """A new data set with `other`'s models, chutes and rows after this one's."""
        return Dataset(
            models=self.models + other.models,
            chutes=self.chutes + other.chutes,
            rows=self.rows + other.rows,
            cord_refs={**self.cord_refs, **other.cord_refs},
        )

    @classmethod
    def from_fixtures(cls, shift_to: date | None = None) -> Dataset:
        """The fixture files' data; `shift_to` moves the newest day (2026-10-03) to that date."""
        models = json.loads((FIXTURES / "v1_models.json").read_text(encoding="utf-8"))["data"]
        listing = json.loads((FIXTURES / "chutes_list.json").read_text(encoding="utf-8"))
        rows = json.loads((FIXTURES / "stats_llm.json").read_text(encoding="utf-8"))
        by_id = {item["chute_id"]: item for item in listing["items"]}
        # The listing fixture holds two of the four catalogue LLMs (verbatim) and one
        # non-LLM chute; the other two LLMs get chute objects built in the same shape.
        llm_chutes = []
        for model in models:
            chute = by_id.get(model["chute_id"])
            if chute is None:
                calls = max(
                    (r["total_requests"] for r in rows if r["chute_id"] == model["chute_id"]),
                    default=0,
                )
                chute = make_chute(
                    model["id"],
                    model["chute_id"],
                    image="sglang-tee" if model["owned_by"] == "sglang" else "vllm-tee",
                    invocation_count=calls,
                    created=datetime.fromtimestamp(model["created"], UTC),
                    price=(model["pricing"]["prompt"], model["pricing"]["completion"]),
                )
            llm_chutes.append(chute)
        llm_chutes.sort(key=lambda c: -c["invocation_count"])  # the real order: by usage
        others = [item for item in listing["items"] if item["standard_template"] != "vllm"]
        if shift_to is not None:
            delta = shift_to - FIXTURE_NEWEST_DAY
            rows = [
                {**row, "date": (date.fromisoformat(row["date"]) + delta).isoformat()}
                for row in rows
            ]
        return cls(
            models=models, chutes=llm_chutes + others, rows=rows, cord_refs=listing["cord_refs"]
        )

    @classmethod
    def synthetic(
        cls,
        n_models: int = 60,
        days: int = 31,
        today: date | None = None,
        seed: int = 0,
    ) -> Dataset:
        """Deterministic, realistic data: `n_models` LLMs over `days` days ending `today`.

        Speeds drift day to day; some days carry no speed data (integer 0), a few models
        have no rows at all, some started mid-window, today is a partial day, and there are
        `[private]`/`[unknown]` rows and non-LLM chutes with zero tokens, like the real API.
        """
        return _synthetic(n_models, days, today or datetime.now(UTC).date(), seed)


def with_faster_week(
    dataset: Dataset, count: int, today: date, factor: float = 1.4
) -> tuple[Dataset, list[str]]:
    """`count` catalogue models made `factor` times faster over the 7 complete days ending
    yesterday (a week-on-week speed change); only models with speed and at least 100
    requests on each of the 14 days before today are picked. Returns their chute_ids."""
    days = {(today - timedelta(days=back)).isoformat() for back in range(1, 15)}
    recent = {(today - timedelta(days=back)).isoformat() for back in range(1, 8)}
    covered: dict[str, set[str]] = {}
    for row in dataset.rows:
        if row["date"] in days and row["average_tps"] and row["total_requests"] >= 100:
            covered.setdefault(row["chute_id"], set()).add(row["date"])
    picked = [m["chute_id"] for m in dataset.models if covered.get(m["chute_id"]) == days]
    picked = picked[:count]
    rows = [
        {**row, "average_tps": row["average_tps"] * factor}
        if row["chute_id"] in picked and row["date"] in recent and row["average_tps"]
        else row
        for row in dataset.rows
    ]
    return Dataset(dataset.models, dataset.chutes, rows, dataset.cord_refs), picked


def _needs_sort(rows: list[dict[str, Any]]) -> bool:
    keys = [_row_sort_key(row) for row in rows]
    return any(a < b for a, b in itertools.pairwise(keys))


_ORGS = {
    "deepseek-ai": ["DeepSeek-V", "DeepSeek-R"],
    "Qwen": ["Qwen3-", "Qwen3.5-", "QwQ-"],
    "zai-org": ["GLM-4.", "GLM-5."],
    "moonshotai": ["Kimi-K"],
    "google": ["gemma-3-", "gemma-4-"],
    "unsloth": ["Llama-3.3-", "Mistral-Small-"],
    "meta-llama": ["Llama-4-Scout-", "Llama-4-Maverick-"],
    "NousResearch": ["Hermes-4-"],
    "tngtech": ["DeepSeek-TNG-R"],
    "openai": ["gpt-oss-"],
    "microsoft": ["Phi-5-"],
    "chutesai": ["Mistral-Large-", "Devstral-"],
}
_SIZES = [4, 8, 12, 14, 24, 27, 30, 32, 70, 120, 235, 397, 480, 671]


def _synthetic(n_models: int, days: int, today: date, seed: int) -> Dataset:
    rng = random.Random(seed)
    first_day = today - timedelta(days=days - 1)
    orgs = sorted(_ORGS)
    models: list[dict[str, Any]] = []
    chutes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    names: set[str] = set()
    usage: dict[str, int] = {}
    while len(names) < n_models:
        org = rng.choice(orgs)
        family = rng.choice(_ORGS[org])
        version = rng.randint(1, 9)
        size = rng.choice(_SIZES)
        suffix = rng.choice(["-TEE", "-TEE", "-TEE", "-Instruct-TEE", ""])
        name = f"{org}/{family}{version}-{size}B{suffix}"
        if name in names:
            continue
        names.add(name)
        chute_id = _uid("chute", seed, name)
        engine = rng.choice(["vllm", "sglang"])
        prompt = round(rng.uniform(0.02, 1.2), 4)
        completion = round(prompt * rng.uniform(2, 4), 4)
        context = rng.choice([32768, 40960, 65536, 131072, 163840, 202752, 262144])
        created = datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(
            days=rng.randint(0, 300)
        )
        entry = make_model_entry(
            name,
            chute_id,
            engine=engine,
            prompt=prompt,
            completion=completion,
            context_length=None if rng.random() < 0.1 else context,
            quantization=None if rng.random() < 0.1 else rng.choice(["fp8", "bf16", "int4"]),
            created=int(created.timestamp()),
        )
        base_tps = math.exp(rng.uniform(math.log(10), math.log(200)))
        base_ttft = min(4.0, max(0.2, 40 / base_tps * rng.uniform(0.4, 1.6)))
        base_requests = math.exp(rng.uniform(math.log(50), math.log(400000)))
        in_per_req = rng.uniform(500, 20000)
        out_per_req = rng.uniform(100, 2000)
        total = 0
        if rng.random() >= 0.08:  # ~8% are new models with no stats yet
            start = rng.randint(0, days - 1) if rng.random() < 0.15 else 0
            tps, ttft = base_tps, base_ttft
            for offset in range(start, days):
                day = first_day + timedelta(days=offset)
                requests = min(400000, max(50, int(base_requests * rng.uniform(0.7, 1.3))))
                if day == today:
                    requests = max(1, int(requests * 0.45))  # today is a partial day
                tps = min(200.0, max(10.0, tps * rng.uniform(0.93, 1.07)))
                ttft = min(4.0, max(0.2, ttft * rng.uniform(0.93, 1.07)))
                speed: tuple[float | int, float | int] = (tps, ttft)
                if rng.random() < 0.05:
                    speed = (0, 0)  # the API's "no speed data" for that day
                rows.append(
                    make_row(
                        chute_id,
                        name,
                        day,
                        requests,
                        int(requests * in_per_req * rng.uniform(0.8, 1.2)),
                        int(requests * out_per_req * rng.uniform(0.8, 1.2)),
                        *speed,
                    )
                )
                total += requests
        usage[chute_id] = total
        models.append(entry)
        chutes.append(
            make_chute(
                name,
                chute_id,
                image="sglang-tee" if engine == "sglang" else "vllm-tee",
                invocation_count=total,
                created=created,
                price=(prompt, completion),
            )
        )
    models.sort(key=lambda m: -usage[m["chute_id"]])  # /v1/models lists "by usage"
    chutes.sort(key=lambda c: -c["invocation_count"])

    # Non-LLM chutes: on the /app page, never in /v1/models; rows with zero tokens.
    for template, name in [
        ("embedding", "Qwen/Qwen3-Embedding-4B-TEE"),
        ("tei", "BAAI/bge-m3"),
        ("diffusion", "chutesai/FLUX.2-dev"),
        (None, "someuser/custom-whisper"),
    ]:
        chute_id = _uid("chute", seed, name)
        chutes.append(
            make_chute(name, chute_id, standard_template=template, image=template or "custom")
        )
        for offset in range(days):
            requests = rng.randint(10, 5000)
            rows.append(
                make_row(chute_id, name, first_day + timedelta(days=offset), requests, 0, 0, 0, 0)
            )
    # Chutes outside the catalogue, named as the API names them.
    for i in range(3):
        chute_id = _uid("private", seed, i)
        for offset in range(0, days, 2):
            requests = rng.randint(1, 900)
            tokens = rng.choice([0, requests * rng.randint(500, 3000)])
            speed = (rng.uniform(10, 60), rng.uniform(0.5, 4)) if tokens else (0, 0)
            rows.append(
                make_row(
                    chute_id,
                    "[private]",
                    first_day + timedelta(days=offset),
                    requests,
                    tokens,
                    tokens // 8,
                    *speed,
                )
            )
    rows.append(make_row(_uid("unknown", seed), "[unknown]", today, 3, 0, 0, 0, 0))
    return Dataset(models=models, chutes=chutes, rows=rows)


# --- catalogue moves and price changes (lineage and price history, SPEC §4/§5) ------------


def moved_to_new_chute(
    dataset: Dataset,
    old_id: str,
    new_id: str,
    new_name: str,
    *,
    first_day: date,
    last_day: date,
    tps_factor: float = 1.0,
) -> Dataset:
    """chutes.ai moving a model to a new chute (`Qwen/Qwen3-32B` -> `Qwen/Qwen3-32B-TEE`):
    the old chute leaves the catalogue (its past rows stay in the stats, as upstream keeps
    them), the new one is listed under `new_name` with its own rows from `first_day` to
    `last_day` only (a fresh chute has no history), at `tps_factor` times the old speed."""
    old_model = next(m for m in dataset.models if m["chute_id"] == old_id)
    old_chute = dataset.chute(old_id) or {}
    pricing = old_model["pricing"]
    model = make_model_entry(
        new_name, new_id, prompt=pricing["prompt"], completion=pricing["completion"]
    )
    chute = make_chute(new_name, new_id, invocation_count=old_chute.get("invocation_count", 0))
    template = [r for r in dataset.rows if r["chute_id"] == old_id and r["average_tps"]]
    requests = max((r["total_requests"] for r in template), default=1000)
    speed = max((r["average_tps"] for r in template), default=50.0) * tps_factor
    rows = []
    day = first_day
    while day <= last_day:
        rows.append(
            make_row(new_id, new_name, day, requests, requests * 900, requests * 300, speed, 0.9)
        )
        day += timedelta(days=1)
    return Dataset(
        models=[model if m["chute_id"] == old_id else m for m in dataset.models],
        chutes=[chute if c["chute_id"] == old_id else c for c in dataset.chutes],
        rows=dataset.rows + rows,
        cord_refs=dataset.cord_refs,
    )


def repriced(dataset: Dataset, chute_id: str, **pricing: float) -> Dataset:
    """The same data with one model's `/v1/models` prices changed (USD per 1M tokens):
    `prompt`, `completion` and/or `input_cache_read`, in both its `pricing` and `price`."""
    price_keys = {"prompt": "input", "completion": "output", "input_cache_read": "input_cache_read"}
    models = []
    for model in dataset.models:
        if model["chute_id"] == chute_id:
            model = {
                **model,
                "pricing": {**model["pricing"], **pricing},
                "price": dict(model["price"]),
            }
            for key, usd in pricing.items():
                side = price_keys[key]
                model["price"][side] = {"tao": usd / _TAO_USD, "usd": usd}
        models.append(model)
    return Dataset(models, dataset.chutes, dataset.rows, dataset.cord_refs)
