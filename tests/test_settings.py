"""app/settings.py: defaults, LEADERBOARD_* environment, overrides, coerced once."""

import dataclasses
import pathlib
import re

import pytest

from app.settings import PROJECT_ROOT, Settings, SettingsError

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def readme_table() -> dict[str, str]:
    """The README's configuration table: key -> its default's first `code` span."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 5)]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `([A-Z_]+)` \| `([^`]*)`", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def shown(value: object) -> str:
    """A default as the README writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_readme_lists_every_setting_with_its_default():
    table = readme_table()
    assert list(table) == list(Settings.documented_keys())
    defaults = {f.name.upper(): shown(f.default) for f in dataclasses.fields(Settings)}
    assert table == defaults


def test_environment_then_overrides_coerced_once():
    env = {
        "LEADERBOARD_MIN_REQUESTS": "250",
        "LEADERBOARD_REQUEST_DELAY": "0",
        "LEADERBOARD_HOT_PATH": "false",
        "LEADERBOARD_SOURCE": "html",
        "LEADERBOARD_DATABASE": "/tmp/x.sqlite3",
        "OTHER_MIN_REQUESTS": "7",
    }
    settings = Settings.load({"SOURCE": "api", "TESTING": True}, environ=env)
    assert settings.min_requests == 250 and isinstance(settings.min_requests, int)
    assert settings.request_delay == 0.0 and isinstance(settings.request_delay, float)
    assert settings.hot_path is False
    assert settings.source == "api"  # overrides win over the environment
    assert settings.database == "/tmp/x.sqlite3"
    assert Settings.load(environ={}).min_requests == 100


def test_a_relative_database_is_under_the_project():
    assert Settings.load(environ={}).database == f"{PROJECT_ROOT}/instance/leaderboard.sqlite3"


@pytest.mark.parametrize(
    ("key", "value"),
    [("MIN_REQUESTS", "many"), ("MIN_REQUESTS", 1.5), ("HOT_PATH", "maybe"), ("RUN_BUDGET", [])],
)
def test_a_wrong_kind_names_the_key(key, value):
    with pytest.raises(SettingsError, match=key):
        Settings.from_mapping({key: value})


def test_the_app_config_carries_the_same_coerced_values(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("LEADERBOARD_MIN_REQUESTS", "42")
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "db.sqlite3")})
    assert app.config["MIN_REQUESTS"] == 42
    assert app.config["TESTING"] is True  # Flask's own keys pass through
    assert app.config["HOT_PATH"] is True
    assert Settings.from_mapping(app.config) == app.extensions["leaderboard.settings"]
