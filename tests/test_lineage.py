"""app/lineage.py on plain data: the `-TEE` name rule, LINEAGE overrides, loops."""

import pytest

from app.lineage import NO_OVERRIDES, LineageOverrides, Listed, link


def gone(chute_id, name, first_seen="2026-01-01T00:00:00+00:00"):
    return Listed(chute_id, name, active=False, first_seen=first_seen)


def listed(chute_id, name, first_seen="2026-06-01T00:00:00+00:00"):
    return Listed(chute_id, name, active=True, first_seen=first_seen)


def test_a_departed_model_precedes_the_listed_one_named_like_it_plus_tee():
    lineage = link([gone("old", "Qwen/Qwen3-32B"), listed("new", "Qwen/Qwen3-32B-TEE")])
    assert lineage.of("new") == {"predecessors": ["old"], "successor": None}
    assert lineage.of("old") == {"predecessors": [], "successor": "new"}


def test_the_rule_ignores_case_and_needs_the_old_one_gone():
    assert link([gone("o", "qwen/QWEN3-32b"), listed("n", "Qwen/Qwen3-32B-tee")]).successor == {
        "o": "n"
    }
    # Both still listed: no move happened.
    assert link([listed("o", "Qwen/Qwen3-32B"), listed("n", "Qwen/Qwen3-32B-TEE")]).successor == {}
    # Other names, or a suffix that is not a trailing -TEE, link nothing.
    models = [gone("o", "Qwen/Qwen3-32B"), listed("n", "Qwen/Qwen3-32B-TEE-2")]
    assert link(models).successor == {}
    assert link([gone("o", "Qwen/Qwen3"), listed("n", "Qwen/Qwen3-32B-TEE")]).successor == {}


def test_one_successor_per_old_chute_listed_and_newest_first():
    models = [
        gone("old", "m/X"),
        gone("older-tee", "m/X-TEE", first_seen="2026-03-01T00:00:00+00:00"),
        listed("new", "m/x-tee", first_seen="2026-05-01T00:00:00+00:00"),
    ]
    lineage = link(models)
    assert lineage.successor == {"old": "new"}
    assert lineage.predecessors == {"new": ("old",)}


def test_several_predecessors_oldest_first():
    models = [
        gone("b", "m/X", first_seen="2026-02-01T00:00:00+00:00"),
        gone("a", "m/x", first_seen="2026-01-01T00:00:00+00:00"),
        listed("new", "m/X-TEE"),
    ]
    assert link(models).of("new")["predecessors"] == ["a", "b"]


def test_departed_namesakes_do_not_loop():
    # Two departed chutes of one name without -TEE: each would be the other's predecessor.
    models = [
        gone("a", "m/X", "2026-01-01T00:00:00+00:00"),
        gone("b", "m/X", "2026-02-01T00:00:00+00:00"),
    ]
    lineage = link(models)
    assert lineage.successor == {"a": "b"}


def test_overrides_link_unlink_and_never_loop():
    models = [
        gone("old", "m/Alpha"),
        listed("new", "m/Alpha-Fast"),
        gone("o2", "m/Beta"),
        listed("n2", "m/Beta-TEE"),
    ]
    assert link(models).successor == {"o2": "n2"}
    lineage = link(models, LineageOverrides({"old": "new", "o2": None, "ghost": "new"}))
    assert lineage.successor == {"old": "new"}  # o2 unlinked, an unknown id ignored
    looped = link([listed("a", "A"), listed("b", "B")], {"a": "b", "b": "a"})
    assert len(looped.successor) == 1


def test_the_setting_parses_json_and_refuses_the_rest():
    assert LineageOverrides.parse('{"a": "b", "c": null}') == {"a": "b", "c": None}
    assert LineageOverrides.parse("") == NO_OVERRIDES == {}
    assert str(LineageOverrides.parse({"a": "b"})) == '{"a": "b"}'
    assert hash(NO_OVERRIDES) == hash(LineageOverrides())
    for bad in ("[1]", "{", '{"a": 1}', '{"a": "a"}', {"": "b"}):
        with pytest.raises(ValueError):
            LineageOverrides.parse(bad)
