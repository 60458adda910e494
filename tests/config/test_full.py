"""The full fixture: loads, sets every field of the model, matches the JSON Schema, round-trips."""

from __future__ import annotations

import datetime as dt
import types
import typing
from pathlib import Path

import jsonschema
import pydantic
import pytest

from okc import config
from okc.config.source import read_source
from okc.starter import create_starter


def _plain(value: object) -> object:
    """YAML data as JSON would hold it (dates become ISO strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _models(annotation: object, found: set[type[pydantic.BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models(arg, found)


def _fields_set(value: object, seen: dict[type, set[str]]) -> None:
    if isinstance(value, pydantic.BaseModel):
        seen.setdefault(type(value), set()).update(value.model_fields_set)
        for name in type(value).model_fields:
            _fields_set(getattr(value, name), seen)
    elif isinstance(value, tuple):
        for item in value:
            _fields_set(item, seen)


def test_full_fixture_loads(full_center: Path) -> None:
    center = config.load(full_center)
    assert [u.login for u in center.users][:2] == ["ccadmin", "agent1"]  # from the included people.yaml
    assert center.service("Входящие вызовы").routing is config.RoutingPolicy.SKILL_WEIGHTED
    assert center.general.language.value == "en"


def test_full_fixture_sets_every_field_of_the_model(full_center: Path) -> None:
    reachable: set[type[pydantic.BaseModel]] = set()
    _models(config.CenterConfig, reachable)
    seen: dict[type, set[str]] = {}
    _fields_set(config.load(full_center), seen)
    missing = {
        f"{model.__name__}.{name}"
        for model in reachable
        for name in model.model_fields
        if name not in seen.get(model, set())
    }
    assert missing == set()


def test_full_fixture_matches_the_json_schema(full_center: Path) -> None:
    schema = config.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("full.yaml", "people.yaml"):
        path = full_center.parent / name
        raw = read_source(path.read_text(encoding="utf-8"), str(path), path.parent).data
        if name == "full.yaml":
            raw = {k: v for k, v in raw.items() if k not in ("users", "groups", "skill_levels")}
            raw["include"] = ["people.yaml"]
        errors = [e.message for e in validator.iter_errors(_plain(raw))]
        assert errors == []


def test_schema_rejects_what_the_model_rejects() -> None:
    validator = jsonschema.Draft202012Validator(config.json_schema())
    assert not validator.is_valid({"services": [{"name": "x", "type": "fax"}]})
    assert not validator.is_valid({"users": [{"login": "a", "password": "clear text"}]})
    assert not validator.is_valid({"recording": {"percent": 101}})
    assert validator.is_valid({"include": "users.yaml"})


def test_no_field_is_untyped() -> None:
    schema = config.json_schema()

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                for name, sub in node["properties"].items():
                    assert sub != {}, f"{where}.{name} accepts anything"
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(schema, "")
    reachable: set[type[pydantic.BaseModel]] = set()
    _models(config.CenterConfig, reachable)
    for model in reachable:
        for name, field in model.model_fields.items():
            assert field.annotation is not typing.Any, f"{model.__name__}.{name} is Any"


def test_round_trip_full(full_center: Path) -> None:
    first = config.load(full_center)
    text = config.dump(first)
    second = config.loads(text, str(full_center.parent / "dumped.yaml"))
    assert second == first
    assert config.dump(second) == text


def test_round_trip_starter(tmp_path: Path) -> None:
    path = create_starter(tmp_path / "demo").config_path
    first = config.load(path)
    assert config.loads(config.dump(first), str(path)) == first


def test_models_are_immutable(full_center: Path) -> None:
    center = config.load(full_center)
    with pytest.raises(pydantic.ValidationError):
        center.users[0].login = "other"
    levels = center.skill_levels[0].levels
    assert isinstance(levels, types.MappingProxyType)
    with pytest.raises(TypeError):
        levels["x"] = 1  # type: ignore[index]
    assert isinstance(center.users, tuple)


def test_lookups_and_implicit_service_skills(full_center: Path) -> None:
    center = config.load(full_center)
    # agent1 is in "Контакт центр", which staffs both services: 100 on each unless set otherwise.
    assert dict(center.effective_skills("agent1")) == {
        "Входящие вызовы": 100,
        "Обзвон": 100,
        "Английский": 70,
        "Продажи": 100,
    }
    assert center.effective_skills("agent2")["Входящие вызовы"] == 50  # explicit level wins
    assert dict(center.effective_skills("ccadmin")) == {}  # "ИТ" staffs no service
    assert center.after_call_work_limit("agent1") == 30  # the group's limit
    assert center.after_call_work_limit("admin") == 60  # the center's
    assert center.user("agent2").forwards_to_voicemail() == (False, False, False)  # hardware phone
    assert center.user("agent1").forwards_to_voicemail() == (True, True, True)  # softphone
    assert center.user("ccadmin").forwards_to_voicemail() == (True, False, True)
    assert center.skill_names() >= {"Входящие вызовы", "Английский"}
    with pytest.raises(config.UnknownNameError):
        center.user("nobody")
    with pytest.raises(config.UnknownNameError):
        center.hours_of_operation("nothing")
    assert len(center.service("Обзвон").all_dispositions()) == 6 + 5


def test_dial_in_lookups(full_center: Path) -> None:
    center = config.load(full_center)
    plan = center.dial_in_plan_for("+74996538393")
    assert plan is not None
    assert plan.name == "Входящие"
    assert center.dial_in_plan_for("4040") == plan
    assert center.dial_in_plan_for("9999") is None
    assert center.dial_in_hours(plan).name == "Рабочее время"
    inherited = plan.model_copy(update={"hours": None})
    assert center.dial_in_hours(inherited).name == "Рабочее время"  # the service's hours
    bare = plan.model_copy(update={"hours": None, "service": None})
    assert center.dial_in_hours(bare).always


def test_the_guides_defaults() -> None:
    center = config.loads(
        "services: [{name: Обзвон, type: outbound, use_dispositions: true}]\n"
        "campaigns: [{service: Обзвон}]\n"
        "users: [{login: a}, {login: b, phone: hardware}]\n",
        "okc.yaml",
    )
    campaign = center.campaigns[0]
    assert (campaign.no_answer_limit, campaign.agent_answer_limit) == (45, 2)
    assert campaign.mode is config.CampaignMode.PREVIEW
    level = center.services[0].service_level
    assert (level.percent, level.seconds) == (80, 20)
    assert center.quality.categories == config.DEFAULT_QUALITY_CATEGORIES
    assert len(center.quality.categories) == 10
    assert center.recording.format is config.RecordingFormat.GSM_WAV
    assert not center.recording.continue_on_transfer
    assert center.general.time_zone == "Europe/Moscow"
    assert center.general.language.value == "ru"
    assert center.user("a").forwards_to_voicemail() == (True, True, True)  # softphone: on
    assert center.user("b").forwards_to_voicemail() == (False, False, False)  # hardware: off
    assert center.services[0].hours == config.ALWAYS
    assert center.telephony.realm == "okc.local"
