"""Includes: merged sections, positions in the included file, paths relative to the right folder, loops."""

from __future__ import annotations

from pathlib import Path

import pytest

from okc import config
from tests.config.conftest import write_pcm


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    return [str(p) for p in info.value.problems]


def test_lists_are_appended_and_errors_point_into_the_included_file(tmp_path: Path) -> None:
    main = write(
        tmp_path / "okc.yaml", "include: [more/users.yaml]\nusers:\n  - {login: a, extension: '1001'}\n"
    )
    write(tmp_path / "more" / "users.yaml", "users:\n  - {login: b, extension: '1002'}\n")
    assert [u.login for u in config.load(main).users] == ["a", "b"]
    write(tmp_path / "more" / "users.yaml", "users:\n  - {login: b, extension: '1001'}\n")
    included = tmp_path / "more" / "users.yaml"
    assert problems(main) == [
        f"{included}:2: users[1].extension: user 'b': extension 1001 already belongs to user 'a'"
    ]


def test_relative_paths_are_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    write_pcm(tmp_path / "audio" / "hello.wav")
    main = write(tmp_path / "okc.yaml", "include: audio/messages.yaml\n")
    write(tmp_path / "audio" / "messages.yaml", "audio_messages:\n  - {name: Hi, files: {ru: hello.wav}}\n")
    center = config.load(main)
    assert center.audio_messages[0].files["ru"] == "audio/hello.wav"  # now relative to okc.yaml
    assert config.loads(config.dump(center), str(main)) == center


def test_a_section_may_be_set_once(tmp_path: Path) -> None:
    main = write(tmp_path / "okc.yaml", "include: [b.yaml]\ngeneral: {language: en}\n")
    write(tmp_path / "b.yaml", "\ngeneral: {language: ru}\n")
    assert problems(main) == [f"{tmp_path / 'b.yaml'}:2: general: section 'general' is already set in {main}"]


def test_missing_looping_and_malformed_includes(tmp_path: Path) -> None:
    main = write(tmp_path / "okc.yaml", "include: [gone.yaml, loop.yaml]\n")
    write(tmp_path / "loop.yaml", "include: [okc.yaml]\n")
    assert problems(main) == [
        f"{main}:1: include: included file gone.yaml does not exist",
        f"{tmp_path / 'loop.yaml'}:1: include: okc.yaml includes itself (a loop)",
    ]
    write(main, "include: {a: 1}\n")
    assert problems(main) == [f"{main}:1: include: include must be a file name or a list of them"]


def test_syntax_error_in_an_included_file(tmp_path: Path) -> None:
    main = write(tmp_path / "okc.yaml", "include: [bad.yaml]\n")
    write(tmp_path / "bad.yaml", "users:\n  - {login: a\n")
    found = problems(main)
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'bad.yaml'}:3: YAML syntax error:")


def test_yaml_checks(tmp_path: Path) -> None:
    main = write(tmp_path / "okc.yaml", "general:\n  language: ru\n  language: en\n")
    assert problems(main) == [f"{main}:3: general.language: key 'language' appears twice in the same mapping"]
    write(main, "- just\n- a list\n")
    assert problems(main) == [f"{main}:1: the top level must be a mapping of sections"]
    assert problems(tmp_path / "absent.yaml") == [
        f"{tmp_path / 'absent.yaml'}: configuration file does not exist"
    ]
    (tmp_path / "latin1.yaml").write_bytes(b"general: {language: \xe9}\n")
    assert "not UTF-8 text" in problems(tmp_path / "latin1.yaml")[0]


def test_yaml_1_2_scalars(tmp_path: Path) -> None:
    text = (
        "calendars: [{name: no, weekdays: [mon]}]\n"  # `no` is a name, not False
        "dial_in_plans: [{name: on, scenario: s, internal_numbers: [0505]}]\n"  # 0505 keeps its zero
        "scenarios: [{name: s, blocks: [{type: hangup}]}]\n"
        "hours: [{name: h, calendar: no, start: 9:00, end: 17:30}]\n"  # 9:00 is a time, not 540
        "anchors: &a {x: 1}\n"
    )
    with pytest.raises(config.ConfigError) as info:
        config.loads(text, "okc.yaml")
    assert [str(p) for p in info.value.problems] == [
        "okc.yaml:5: anchors: unknown field (not part of the configuration; check the spelling)"
    ]
    center = config.loads(text.replace("anchors: &a {x: 1}\n", ""), "okc.yaml")
    assert center.calendars[0].name == "no"
    assert center.dial_in_plans[0].internal_numbers == ("0505",)
    assert center.hours[0].periods[0].start.hour == 9


def test_merge_keys_and_anchors() -> None:
    text = "calendars:\n  - &base {name: a, weekdays: [mon]}\n  - {<<: *base, name: b}\n"
    center = config.loads(text, "okc.yaml")
    assert [c.name for c in center.calendars] == ["a", "b"]
    assert center.calendars[1].weekdays == (config.Weekday.MON,)
