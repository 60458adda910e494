"""Bad input to every `okc` command, run as a real process: `error: FILE:LINE: field: message`, exit 2.

Each case is what an administrator could plausibly get wrong; none may end in a Python traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from okc.starter import create_starter


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("center")
    create_starter(directory)
    silence = np.zeros(4410, dtype=np.int16)
    soundfile.write(directory / "sounds" / "cd.wav", np.stack([silence, silence], axis=1), 44100)
    (directory / "sounds" / "text.wav").write_text("not audio\n", encoding="utf-8")
    files = {
        "broken.yaml": "general:\n  time_zone: Europe/Moscow\n   language: ru\n",
        "unknown.yaml": "general:\n  colour: red\n",
        "type.yaml": "telephony:\n  rtp_ports: {start: many}\n",
        "include.yaml": "general: {language: ru}\ninclude: [nowhere.yaml]\n",
        "reference.yaml": "groups:\n  - name: G\n    members: [ghost]\n",
        "sound.yaml": "system_sounds:\n  music_on_hold: sounds/cd.wav\n",
        "text-wav.yaml": "audio_messages:\n  - name: x\n    files: {ru: sounds/text.wav}\n",
        "rows.csv": "login,extension\nagent9,12x\n",
        "header.csv": "login,colour\nagent9,red\n",
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _okc(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okc", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (("validate", "broken.yaml"), r"broken\.yaml:3: YAML syntax error: .+"),
        (("validate", "unknown.yaml"), r"unknown\.yaml:2: general\.colour: unknown field .+"),
        (("validate", "type.yaml"), r"type\.yaml:2: telephony\.rtp_ports\.start: .*integer.*"),
        (("validate", "include.yaml"), r"include\.yaml:2: include: .*nowhere\.yaml.* does not exist"),
        (("validate", "reference.yaml"), r"reference\.yaml:3: groups\[0\]\.members\[0\]: .*user 'ghost'"),
        (
            ("validate", "sound.yaml"),
            r"sound\.yaml:2: system_sounds\.music_on_hold: .*sounds/cd\.wav.*(44100|8000).*",
        ),
        (("validate", "text-wav.yaml"), r"text-wav\.yaml:3: audio_messages\[0\]\.files\.ru: .*not a WAV.*"),
        (("users", "import", "rows.csv"), r"rows\.csv:2: extension: '12x' must be 2 to 8 digits"),
        (("users", "import", "header.csv"), r"header\.csv:1: header: unknown column 'colour'.*"),
    ],
    ids=["broken-yaml", "unknown-field", "wrong-type", "missing-include", "unknown-name", "sound-rate",
         "not-a-wav", "bad-csv-row", "bad-csv-header"],
)  # fmt: skip
def test_bad_input_is_one_clean_error(center: Path, args: tuple[str, ...], first_line: str) -> None:
    users_before = (center / "users.yaml").read_bytes()
    result = _okc(center, *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert re.fullmatch(f"error: {first_line}", result.stderr.splitlines()[0]), result.stderr
    assert (center / "users.yaml").read_bytes() == users_before


def test_other_commands_fail_cleanly(center: Path, tmp_path: Path) -> None:
    existing = _okc(center, "init", ".")
    assert existing.returncode == 2
    assert re.fullmatch(r"error: okc\.yaml already exists \(use --force to overwrite it\)\n", existing.stderr)
    database = _okc(center, "db", "status", "--url", "mysql://nobody@127.0.0.1/okc")
    assert database.returncode == 2
    assert database.stderr.startswith("error: unsupported database")
    erlang = _okc(center, "erlang", "--calls", "100", "--aht", "3x")
    assert erlang.returncode == 2
    assert erlang.stderr.startswith("error: --aht: '3x' is not a duration")
    unwritable = _okc(center, "schema", "--output", str(tmp_path / "missing" / "schema.json"))
    assert unwritable.returncode == 2
    assert unwritable.stderr == f"error: {tmp_path / 'missing' / 'schema.json'}: No such file or directory\n"
    unreachable = _okc(center, "db", "upgrade", "--url", "postgresql+psycopg://okc:s3cret@127.0.0.1:1/none")
    assert unreachable.returncode == 2
    assert len(unreachable.stderr.splitlines()) == 1
    assert "s3cret" not in unreachable.stderr
    missing = _okc(center, "users", "import", "nowhere.csv")
    assert missing.returncode == 2
    assert missing.stderr == (
        "error: Invalid value for 'FILE.csv': File 'nowhere.csv' does not exist.\n"
        "Try 'okc users import --help' for help.\n"
    )
    for result in (existing, database, erlang, unwritable, unreachable, missing):
        assert "Traceback" not in result.stderr


def test_a_clean_center_validates(center: Path) -> None:
    result = _okc(center, "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("okc.yaml: valid — 5 users")
    assert result.stderr == ""
