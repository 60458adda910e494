"""`okc users import` against the starter center: adds, updates, bad rows, --skip-bad, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from okc.cli.main import cli

from okc.credentials import HA1Algorithm, digest_ha1, verify_password
from okc.starter import CONFIG_FILE_NAME, DEFAULT_REALM, USERS_FILE_NAME, create_starter
from okc.users_import import UsersImportError, import_users

GOOD_CSV = (
    "login,first_name,last_name,extension,roles,email,password\n"
    "agent3,Анна,Кузнецова,1006,agent,anna@example.com,\n"
    "agent1,Ирина,Сидорова,,,,\n"
    "boss,Олег,Орлов,1007,supervisor;agent,,Very secret 1\n"
)
BAD_CSV = GOOD_CSV + "agent4,Пётр,Петров,1002,agent,,\nagent5,Ян,Ли,12x,agent,,\n"


@pytest.fixture
def center(tmp_path: Path) -> Path:
    """A starter center; returns its okc.yaml."""
    return create_starter(tmp_path / "center").config_path


def _users(config: Path) -> dict[str, dict[str, object]]:
    document = yaml.safe_load((config.parent / USERS_FILE_NAME).read_text(encoding="utf-8"))
    return {str(u["login"]): u for u in document["users"]}


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rows_add_and_update(center: Path, tmp_path: Path) -> None:
    main_before = center.read_text(encoding="utf-8")
    result = import_users(center, _csv(tmp_path, GOOD_CSV))
    assert result.added == ("agent3", "boss")
    assert result.updated == ("agent1",)
    assert result.bad == ()
    assert [p.login for p in result.passwords] == ["agent3"]  # boss brought a password
    users = _users(center)
    assert users["agent1"]["last_name"] == "Сидорова"
    assert users["agent1"]["extension"] == "1002"  # not in the CSV row: kept
    assert users["boss"]["roles"] == ["supervisor", "agent"]
    generated = result.passwords[0].password
    assert verify_password(generated, str(users["agent3"]["password_hash"]))
    assert verify_password("Very secret 1", str(users["boss"]["password_hash"]))
    assert users["boss"]["ha1_sha256"] == digest_ha1(
        "boss", DEFAULT_REALM, "Very secret 1", HA1Algorithm.SHA_256
    )
    users_text = (center.parent / USERS_FILE_NAME).read_text(encoding="utf-8")
    assert generated not in users_text
    assert "Very secret 1" not in users_text
    assert users_text.startswith("# The center's users.")
    assert center.read_text(encoding="utf-8") == main_before  # the rest of the configuration is untouched


def test_imported_users_load_with_the_configuration_model(center: Path, tmp_path: Path) -> None:
    config = pytest.importorskip("okc.config")
    import_users(center, _csv(tmp_path, GOOD_CSV))
    logins = {u.login for u in config.load(center).users}
    assert {"agent3", "boss", "ccadmin"} <= logins


def test_any_bad_row_changes_nothing(center: Path, tmp_path: Path) -> None:
    before = (center.parent / USERS_FILE_NAME).read_text(encoding="utf-8")
    with pytest.raises(UsersImportError) as info:
        import_users(center, _csv(tmp_path, BAD_CSV))
    message = str(info.value)
    assert "2 bad row(s), nothing imported" in message
    assert "users.csv:5: extension: 1002 belongs to user 'agent1'\n" in message
    assert "users.csv:6: extension: '12x' must be 2 to 8 digits\n" in message
    assert (center.parent / USERS_FILE_NAME).read_text(encoding="utf-8") == before


def test_skip_bad_imports_the_good_rows(center: Path, tmp_path: Path) -> None:
    result = import_users(center, _csv(tmp_path, BAD_CSV), skip_bad=True)
    assert result.added == ("agent3", "boss")
    assert [b.line for b in result.bad] == [5, 6]
    assert "agent4" not in _users(center)


def test_new_user_needs_an_extension(center: Path, tmp_path: Path) -> None:
    with pytest.raises(UsersImportError, match=r"users\.csv:2: extension: new user 'nobody' needs one"):
        import_users(center, _csv(tmp_path, "login,first_name\nnobody,Без номера\n"))


def test_missing_configuration_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsersImportError, match="does not exist"):
        import_users(tmp_path / "okc.yaml", _csv(tmp_path, GOOD_CSV))


def test_cli_import(center: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(cli, ["users", "import", str(_csv(tmp_path, GOOD_CSV)), "--config", str(center)])
    assert good.exit_code == 0, good.output
    assert "2 added, 1 updated" in good.output
    assert "agent3" in good.output
    assert "shown only now" in good.output


def test_cli_bad_rows_exit_2_and_skip_bad(center: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path = _csv(tmp_path, BAD_CSV)
    bad = runner.invoke(cli, ["users", "import", str(csv_path), "--config", str(center)])
    assert bad.exit_code == 2
    assert f"error: {csv_path}:5: extension: 1002 belongs to user 'agent1'\n" in bad.output
    assert f"error: {csv_path}:6: extension: '12x' must be 2 to 8 digits\n" in bad.output
    assert "Traceback" not in bad.output
    skipped = runner.invoke(cli, ["users", "import", str(csv_path), "--config", str(center), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert "2 bad rows skipped" in skipped.output
    assert CONFIG_FILE_NAME in str(center)
