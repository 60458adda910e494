"""`okc init` and okc.starter: the files written, the passwords shown once, no overwrite without --force."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile
import yaml
from click.testing import CliRunner
from okc.cli.main import cli

from okc.credentials import HA1Algorithm, digest_ha1, verify_password
from okc.starter import CONFIG_FILE_NAME, DEFAULT_REALM, USERS_FILE_NAME, StarterError, create_starter

APPENDIX_1_USERS = {
    "ccadmin": "1001",
    "agent1": "1002",
    "agent2": "1003",
    "supervisor": "1004",
    "admin": "1005",
}


def _users(directory: Path) -> list[dict[str, object]]:
    document = yaml.safe_load((directory / USERS_FILE_NAME).read_text(encoding="utf-8"))
    users = document["users"]
    assert isinstance(users, list)
    return users


def test_starter_users_have_only_hashes_of_the_shown_passwords(tmp_path: Path) -> None:
    center = create_starter(tmp_path / "demo")
    shown = {p.login: p for p in center.passwords}
    assert {login: p.extension for login, p in shown.items()} == APPENDIX_1_USERS
    stored = {str(u["login"]): u for u in _users(tmp_path / "demo")}
    assert set(stored) == set(APPENDIX_1_USERS)
    every_file = "".join(
        p.read_text(encoding="utf-8") for p in (center.config_path, tmp_path / "demo" / USERS_FILE_NAME)
    )
    for login, entry in stored.items():
        password = shown[login].password
        assert password not in every_file
        assert verify_password(password, str(entry["password_hash"]))
        assert entry["ha1_md5"] == digest_ha1(login, DEFAULT_REALM, password, HA1Algorithm.MD5)
        assert entry["ha1_sha256"] == digest_ha1(login, DEFAULT_REALM, password, HA1Algorithm.SHA_256)
    assert len({p.password for p in center.passwords}) == len(center.passwords)


def test_every_written_sound_is_valid_pcm(tmp_path: Path) -> None:
    center = create_starter(tmp_path)
    sounds = [p for p in center.files if p.suffix == ".wav"]
    assert len(sounds) == 5
    for path in sounds:
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    create_starter(tmp_path)
    before = (tmp_path / CONFIG_FILE_NAME).read_text(encoding="utf-8")
    with pytest.raises(StarterError, match="already exists"):
        create_starter(tmp_path)
    assert (tmp_path / CONFIG_FILE_NAME).read_text(encoding="utf-8") == before
    again = create_starter(tmp_path, force=True, realm="pbx.example.org")
    assert "pbx.example.org" in again.config_path.read_text(encoding="utf-8")


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(StarterError, match="not a directory"):
        create_starter(tmp_path / "taken")


def test_cli_init_prints_passwords_once_and_refuses_a_second_time(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "demo"
    first = runner.invoke(cli, ["init", str(target)])
    assert first.exit_code == 0, first.output
    for login in APPENDIX_1_USERS:
        assert login in first.output
    assert "shown only now" in first.output
    second = runner.invoke(cli, ["init", str(target)])
    assert second.exit_code == 2
    assert "already exists" in second.output
    assert "--force" in second.output
    assert "Traceback" not in second.output
    forced = runner.invoke(cli, ["init", str(target), "--force"])
    assert forced.exit_code == 0, forced.output


def test_starter_validates_with_the_configuration_model(tmp_path: Path) -> None:
    config = pytest.importorskip("okc.config")
    center = create_starter(tmp_path / "demo")
    loaded = config.load(center.config_path)
    assert {u.login for u in loaded.users} == set(APPENDIX_1_USERS)
    result = CliRunner().invoke(cli, ["validate", str(center.config_path)])
    assert result.exit_code == 0, result.output
