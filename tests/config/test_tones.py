"""telephony.tones: Russian defaults, every rule with its field and line, dump/load and the JSON Schema."""

from __future__ import annotations

import textwrap

import jsonschema
import pydantic
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from okc import config
from okc.config.telephony import Tone, Tones
from okc.errors import OkcError


def _tones(body: str) -> str:
    """A configuration whose telephony.tones section is body (indented YAML lines; tones: is line 2)."""
    return "telephony:\n  tones:\n" + "".join(
        f"    {line}\n" for line in textwrap.dedent(body).strip().splitlines()
    )


def test_defaults_are_the_russian_tones() -> None:
    tones = config.loads("", "okc.yaml").telephony.tones
    assert tones == Tones()
    assert {t.frequencies for t in (tones.dial, tones.ringback, tones.busy, tones.congestion)} == {(425.0,)}
    assert tones.dial.cadence == ()
    assert tones.ringback.cadence == ((1000, 4000),)
    assert tones.busy.cadence == ((400, 400),)
    assert tones.congestion.cadence == ((200, 200),)
    assert tones.busy.level_dbm0 == -10.0


def test_custom_tone_is_read() -> None:
    text = _tones(
        """
        busy: {frequencies: [480, 620], level_dbm0: -24, cadence: [[500, 500]]}
        dial: {cadence: continuous}
        ringback: {cadence: [[400, 200], [400, 2000]]}
        """
    )
    tones = config.loads(text, "okc.yaml").telephony.tones
    assert tones.busy == Tone(frequencies=(480.0, 620.0), level_dbm0=-24.0, cadence=((500, 500),))
    assert tones.dial == Tone()
    assert tones.ringback.cadence == ((400, 200), (400, 2000))
    assert tones.congestion == Tones().congestion


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("busy: {frequencies: [4000]}", "telephony.tones.busy.frequencies[0]", "less than 4000"),
        ("busy: {frequencies: [40]}", "telephony.tones.busy.frequencies[0]", "greater than or equal to 50"),
        ("busy: {frequencies: []}", "telephony.tones.busy.frequencies", "one or two frequencies, not 0"),
        ("busy: {frequencies: [350, 440, 480]}", "telephony.tones.busy.frequencies", "not 3"),
        ("busy: {frequencies: [425, 425]}", "telephony.tones.busy.frequencies", "listed twice"),
        ("busy: {level_dbm0: 3}", "telephony.tones.busy.level_dbm0", "less than or equal to 0"),
        ("busy: {level_dbm0: -31}", "telephony.tones.busy.level_dbm0", "greater than or equal to -30"),
        ("busy: {cadence: [[300]]}", "telephony.tones.busy.cadence[0][1]", "required field is missing"),
        ("busy: {cadence: [[300, 300, 300]]}", "telephony.tones.busy.cadence[0]", "at most 2"),
        ("busy: {cadence: [[5, 300]]}", "telephony.tones.busy.cadence[0][0]", "greater than or equal to 10"),
        (
            "busy: {cadence: [[300, 60001]]}",
            "telephony.tones.busy.cadence[0][1]",
            "less than or equal to 60000",
        ),
        ("busy: {cadence: [[0.5, 300]]}", "telephony.tones.busy.cadence[0][0]", "fractional part"),
        ("busy: {cadence: []}", "telephony.tones.busy.cadence", 'write "continuous"'),
        ("busy: {cadence: steady}", "telephony.tones.busy.cadence", "not 'steady'"),
        ("busy: {pitch: 425}", "telephony.tones.busy.pitch", "unknown field"),
        ("hold: {frequencies: [425]}", "telephony.tones.hold", "unknown field"),
    ],
)
def test_rule_names_field_and_line(body: str, field: str, message: str) -> None:
    with pytest.raises(config.ConfigError) as info:
        config.loads(_tones("dial: {cadence: continuous}\n" + body), "okc.yaml")
    assert isinstance(info.value, OkcError)
    (problem,) = info.value.problems
    assert problem.field == field
    assert message in problem.message
    assert (problem.file, problem.line) == ("okc.yaml", 4)


def test_dump_writes_continuous_and_pairs_and_loads_back() -> None:
    text = _tones("dial: {frequencies: [350, 440]}\nbusy: {cadence: [[300, 300], [300, 900]]}")
    center = config.loads(text, "okc.yaml")
    dumped = config.dump(center)
    document = yaml.safe_load(dumped)["telephony"]["tones"]
    assert document == {
        "dial": {"frequencies": [350.0, 440.0]},
        "busy": {"cadence": [[300, 300], [300, 900]]},
    }
    assert config.loads(dumped, "okc.yaml") == center
    # A continuous ringback differs from the default ringback only in a field whose own default is continuous.
    steady = config.loads(_tones("ringback: {cadence: continuous}"), "okc.yaml")
    assert yaml.safe_load(config.dump(steady))["telephony"]["tones"] == {"ringback": {}}
    assert config.loads(config.dump(steady), "okc.yaml").telephony.tones.ringback.cadence == ()


@pytest.mark.parametrize(
    ("tone", "valid"),
    [
        ({"cadence": "continuous"}, True),
        ({"cadence": [[1000, 4000]]}, True),
        ({"frequencies": [350, 440], "level_dbm0": -13}, True),
        ({"cadence": []}, False),
        ({"cadence": "steady"}, False),
        ({"cadence": [[300]]}, False),
        ({"cadence": [[5, 300]]}, False),
        ({"frequencies": [4000]}, False),
        ({"frequencies": [425, 425]}, False),
        ({"frequencies": [1, 2, 3]}, False),
        ({"level_dbm0": 1}, False),
    ],
)
def test_schema_agrees_with_the_model(tone: dict[str, object], valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(config.json_schema())
    assert validator.is_valid({"telephony": {"tones": {"busy": tone}}}) is valid
    try:
        Tone.model_validate(tone)
    except pydantic.ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted is valid


def test_schema_defaults_are_valid_values() -> None:
    schema = config.json_schema()
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    assert defs["Tone"]["properties"]["cadence"]["default"] == "continuous"
    validator = jsonschema.Draft202012Validator(schema)
    tones_defaults = {name: prop["default"] for name, prop in defs["Tones"]["properties"].items()}
    assert validator.is_valid({"telephony": {"tones": tones_defaults}})
    assert tones_defaults["ringback"]["cadence"] == [[1000, 4000]]


_tone_values = st.builds(
    Tone,
    frequencies=st.lists(st.integers(50, 3999).map(float), min_size=1, max_size=2, unique=True).map(tuple),
    level_dbm0=st.integers(-60, 0).map(lambda half: half / 2),
    cadence=st.lists(st.tuples(st.integers(10, 60_000), st.integers(10, 60_000)), max_size=4).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(dial=_tone_values, busy=_tone_values)
def test_any_tones_survive_dump_and_load(dial: Tone, busy: Tone) -> None:
    center = config.CenterConfig().model_copy(
        update={"telephony": config.Telephony(tones=Tones(dial=dial, busy=busy))}
    )
    assert config.loads(config.dump(center), "okc.yaml") == center
