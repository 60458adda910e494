"""Writing the starter center: the YAML files, the generated sounds and the one-time passwords."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from okc.credentials import GeneratedPassword, generate_password, make_credentials
from okc.errors import OkcError
from okc.starter import content
from okc.starter.audio import StarterSound
from okc.storage import DEFAULT_FILE_NAME, Database

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_REALM",
    "SOUNDS_DIR",
    "USERS_FILE_NAME",
    "StarterCenter",
    "StarterError",
    "create_starter",
]

CONFIG_FILE_NAME = "okc.yaml"
USERS_FILE_NAME = "users.yaml"
SOUNDS_DIR = "sounds"
DEFAULT_REALM = "okc.local"


class StarterError(OkcError):
    """The starter center cannot be written (it exists already, or the directory is not writable)."""


@dataclass(frozen=True, slots=True)
class StarterCenter:
    """What `create_starter` wrote: the main configuration file, every file, and the passwords."""

    config_path: Path
    database_path: Path
    files: tuple[Path, ...]
    passwords: tuple[GeneratedPassword, ...]


def _dump_yaml(header: str, document: object) -> str:
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)
    return f"{header}\n{body}"


def _write(path: Path, text: str) -> None:
    """Write text through a temporary file, so an interrupted init never leaves half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def create_starter(directory: Path, *, force: bool = False, realm: str | None = None) -> StarterCenter:
    """Write the starter center into directory (created if missing); refuses to overwrite unless force.

    The directory gets okc.yaml, users.yaml, the generated sounds and the SQLite database okc.db at the
    newest schema revision.
    """
    realm = realm or DEFAULT_REALM
    config_path = directory / CONFIG_FILE_NAME
    if config_path.exists() and not force:
        raise StarterError(f"{config_path} already exists (use --force to overwrite it)")
    if directory.exists() and not directory.is_dir():
        raise StarterError(f"{directory} exists and is not a directory")
    try:
        sounds = directory / SOUNDS_DIR
        sounds.mkdir(parents=True, exist_ok=True)
        written = [sound.write(sounds) for sound in StarterSound]
        passwords: list[GeneratedPassword] = []
        users: list[content.StarterUser] = []
        for spec in content.USERS:
            password = generate_password()
            passwords.append(GeneratedPassword(spec.login, spec.extension, password))
            users.append(content.StarterUser(spec, make_credentials(spec.login, realm, password)))
        users_path = directory / USERS_FILE_NAME
        _write(users_path, _dump_yaml(content.USERS_HEADER, content.users_document(users)))
        _write(
            config_path,
            _dump_yaml(content.CONFIG_HEADER, content.center_document(realm, USERS_FILE_NAME, SOUNDS_DIR)),
        )
    except OSError as exc:
        raise StarterError(f"cannot write the starter center into {directory}: {exc}") from exc
    database_path = _create_database(directory)
    return StarterCenter(
        config_path, database_path, (config_path, users_path, *written, database_path), tuple(passwords)
    )


def _create_database(directory: Path) -> Path:
    """Create (or, with --force over an existing center, migrate) the SQLite database beside okc.yaml.

    Records already in an existing database are kept: only the schema is brought up to date.
    """
    path = directory / DEFAULT_FILE_NAME
    database = Database.open(path)
    try:
        database.upgrade()
    finally:
        database.close()
    return path
