"""Import users from a CSV file into the configuration's users file.

The CSV has a header row; ``login`` is required, the other known columns are optional: ``first_name``,
``last_name``, ``extension``, ``roles`` (separated by ``;`` or ``|``), ``email``, ``phone`` (softphone or
hardware), ``do_not_record`` (yes/no) and ``password``. A row whose login exists updates that user (only
the columns the CSV has), any other row adds one. A user without a password column value gets a generated
password when new (an existing user keeps theirs). Every bad row is reported by line and reason; nothing is
changed when any row is bad unless the caller asks to skip bad rows.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from okc.credentials import GeneratedPassword, generate_password, make_credentials
from okc.errors import OkcError

__all__ = [
    "CSV_COLUMNS",
    "USER_ROLES",
    "BadRow",
    "ImportPlan",
    "ImportResult",
    "UserRow",
    "UsersImportError",
    "import_users",
    "parse_users_csv",
]

# The roles of the guide (administrator, security administrator, agent, supervisor, client, list API).
USER_ROLES = ("administrator", "security_administrator", "agent", "supervisor", "client", "list_api")
CSV_COLUMNS = (
    "login",
    "first_name",
    "last_name",
    "extension",
    "roles",
    "email",
    "phone",
    "do_not_record",
    "password",
)
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EXTENSION = re.compile(r"^[0-9]{2,8}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = frozenset({"yes", "y", "true", "1", "да"})
_FALSE = frozenset({"no", "n", "false", "0", "нет", ""})
_PHONES = frozenset({"softphone", "hardware"})


class UsersImportError(OkcError):
    """The CSV file cannot be imported (unreadable, no header, unknown columns, or bad rows)."""


class _BadValueError(UsersImportError):
    """One column of a row holds a value okc cannot take."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BadRow:
    """A CSV row that cannot be imported: its line in the file, the column at fault ("" = the row), why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.where()}"

    def where(self) -> str:
        """``column: reason`` (or only the reason when the whole row is at fault)."""
        return f"{self.column}: {self.reason}" if self.column else self.reason


@dataclass(frozen=True, slots=True)
class UserRow:
    """One good CSV row: the login and the fields the CSV sets (None = column absent or left empty)."""

    line: int
    login: str
    first_name: str | None = None
    last_name: str | None = None
    extension: str | None = None
    roles: tuple[str, ...] | None = None
    email: str | None = None
    phone: str | None = None
    do_not_record: bool | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The parsed file: good rows in file order and bad rows with their reasons."""

    rows: tuple[UserRow, ...]
    bad: tuple[BadRow, ...] = field(default=())


def _dialect(text: str) -> str:
    """The delimiter: spreadsheet exports in Russian locales use ';', others ','."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _row(line: int, values: Mapping[str, str], known_roles: frozenset[str]) -> UserRow:
    """Validate one row's values; raises _BadValueError naming the column and the reason for a bad one."""

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value is not None and value.strip() else None

    login = get("login")
    if login is None:
        raise _BadValueError("login", "is empty")
    if not _LOGIN.match(login):
        raise _BadValueError("login", f"{login!r} must be letters, digits, '.', '_' or '-' (at most 64)")
    extension = get("extension")
    if extension is not None and not _EXTENSION.match(extension):
        raise _BadValueError("extension", f"{extension!r} must be 2 to 8 digits")
    email = get("email")
    if email is not None and not _EMAIL.match(email):
        raise _BadValueError("email", f"{email!r} is not an e-mail address")
    phone = get("phone")
    if phone is not None:
        phone = phone.lower()
        if phone not in _PHONES:
            raise _BadValueError("phone", f"{phone!r} must be softphone or hardware")
    roles: tuple[str, ...] | None = None
    raw_roles = get("roles")
    if raw_roles is not None:
        roles = tuple(dict.fromkeys(r.strip().lower() for r in re.split(r"[;|]", raw_roles) if r.strip()))
        unknown = [r for r in roles if r not in known_roles]
        if unknown:
            raise _BadValueError(
                "roles", f"unknown role {unknown[0]!r} (known: {', '.join(sorted(known_roles))})"
            )
    do_not_record: bool | None = None
    raw_dnr = values.get("do_not_record")
    if raw_dnr is not None:
        flag = raw_dnr.strip().lower()
        if flag in _TRUE:
            do_not_record = True
        elif flag in _FALSE:
            do_not_record = False if flag else None
        else:
            raise _BadValueError("do_not_record", f"{raw_dnr!r} must be yes or no")
    password = values.get("password") or None  # a password keeps its spaces
    if password is not None and len(password) < 8:
        raise _BadValueError("password", "must have at least 8 characters")
    return UserRow(
        line=line,
        login=login,
        first_name=get("first_name"),
        last_name=get("last_name"),
        extension=extension,
        roles=roles,
        email=email,
        phone=phone,
        do_not_record=do_not_record,
        password=password,
    )


def parse_users_csv(text: str, known_roles: Sequence[str], source: str = "<csv>") -> ImportPlan:
    """Parse a users CSV (UTF-8, ',' or ';' separated); file-level problems raise UsersImportError.

    source names the file in those errors (``FILE:LINE: what: why``); bad rows are returned, not raised.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UsersImportError(f"{source}: the CSV file is empty")
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise UsersImportError(f"{source}:1: header: {exc}") from None
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise UsersImportError(
            f"{source}:1: header: unknown column {unknown[0]!r} (known: {', '.join(CSV_COLUMNS)})"
        )
    if "login" not in header:
        raise UsersImportError(f"{source}:1: header: there is no 'login' column")
    if len(set(header)) != len(header):
        raise UsersImportError(f"{source}:1: header: a column appears twice")
    roles = frozenset(known_roles)
    rows: list[UserRow] = []
    bad: list[BadRow] = []
    seen_logins: dict[str, int] = {}
    seen_extensions: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines are not rows
            if len(values) != len(header):
                bad.append(BadRow(line, "", f"has {len(values)} fields, the header has {len(header)}"))
                continue
            try:
                row = _row(line, dict(zip(header, values, strict=True)), roles)
            except _BadValueError as exc:
                bad.append(BadRow(line, exc.column, exc.reason))
                continue
            if row.login in seen_logins:
                bad.append(BadRow(line, "login", f"{row.login!r} already on line {seen_logins[row.login]}"))
                continue
            if row.extension is not None and row.extension in seen_extensions:
                other = seen_extensions[row.extension]
                bad.append(BadRow(line, "extension", f"{row.extension} already on line {other}"))
                continue
            seen_logins[row.login] = line
            if row.extension is not None:
                seen_extensions[row.extension] = line
            rows.append(row)
    except csv.Error as exc:
        raise UsersImportError(f"{source}:{reader.line_num}: {exc}") from None
    return ImportPlan(tuple(rows), tuple(bad))


# --- applying an import to the configuration's users file -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import changed, in which file, the generated passwords and the bad rows it skipped."""

    users_file: Path
    added: tuple[str, ...]
    updated: tuple[str, ...]
    passwords: tuple[GeneratedPassword, ...]
    bad: tuple[BadRow, ...]


def _load_yaml(path: Path) -> dict[str, object]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsersImportError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise UsersImportError(f"{path}{where}: not valid YAML") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise UsersImportError(f"{path}: the top level must be a mapping")
    return document


def _users_file(config_path: Path, main: Mapping[str, object]) -> Path:
    """The file holding the users: the included file with a users list, else the main file."""
    includes = main.get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if isinstance(includes, list):
        for entry in includes:
            candidate = config_path.parent / str(entry)
            if candidate.is_file() and "users" in _load_yaml(candidate):
                return candidate
    return config_path


def _realm(main: Mapping[str, object]) -> str:
    telephony = main.get("telephony")
    realm = telephony.get("realm") if isinstance(telephony, dict) else None
    if not isinstance(realm, str) or not realm:
        raise UsersImportError("the configuration has no telephony.realm to compute SIP digests for")
    return realm


def _user_entries(document: Mapping[str, object], users_file: Path) -> list[dict[str, object]]:
    users = document.get("users", [])
    if users is None:
        return []
    if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
        raise UsersImportError(f"{users_file}: 'users' must be a list of mappings")
    return users


def _conflicts(
    plan: ImportPlan, existing: Sequence[Mapping[str, object]]
) -> tuple[list[UserRow], list[BadRow]]:
    """Rows that clash with users already configured (an extension another login has) become bad rows."""
    owner = {str(u.get("extension")): str(u.get("login")) for u in existing if u.get("extension") is not None}
    logins = {str(u.get("login")) for u in existing}
    good: list[UserRow] = []
    bad = list(plan.bad)
    for row in plan.rows:
        if row.extension is not None and owner.get(row.extension, row.login) != row.login:
            bad.append(
                BadRow(row.line, "extension", f"{row.extension} belongs to user {owner[row.extension]!r}")
            )
        elif row.login not in logins and row.extension is None:
            bad.append(BadRow(row.line, "extension", f"new user {row.login!r} needs one"))
        else:
            good.append(row)
    return good, sorted(bad, key=lambda b: b.line)


def _apply(entry: dict[str, object], row: UserRow) -> None:
    """Set the fields the row has on a user entry (None means the CSV leaves the field as it is)."""
    for name in ("first_name", "last_name", "extension", "email", "phone", "do_not_record"):
        value = getattr(row, name)
        if value is not None:
            entry[name] = value
    if row.roles is not None:
        entry["roles"] = list(row.roles)


def import_users(config_path: Path, csv_path: Path, *, skip_bad: bool = False) -> ImportResult:
    """Add or update the CSV's users in the configuration's users file; all-or-nothing unless skip_bad.

    When the configuration model (okc.config) is installed, the whole resulting configuration is loaded
    with it; when it does not validate, the users file is put back as it was and the problems are raised.
    """

    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsersImportError(f"{csv_path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsersImportError(f"cannot read {csv_path}: {exc.strerror}") from None
    if not config_path.is_file():
        raise UsersImportError(f"configuration file {config_path} does not exist")
    main = _load_yaml(config_path)
    realm = _realm(main)
    users_file = _users_file(config_path, main)
    document = main if users_file == config_path else _load_yaml(users_file)
    entries = _user_entries(document, users_file)

    plan = parse_users_csv(text, USER_ROLES, str(csv_path))
    rows, bad = _conflicts(plan, entries)
    if bad and not skip_bad:
        listing = "".join(f"{csv_path}:{b.line}: {b.where()}\n" for b in bad)
        raise UsersImportError(
            f"{listing}{len(bad)} bad row(s), nothing imported (--skip-bad imports the rest)"
        )

    by_login = {str(e.get("login")): e for e in entries}
    added: list[str] = []
    updated: list[str] = []
    passwords: list[GeneratedPassword] = []
    for row in rows:
        entry = by_login.get(row.login)
        if entry is None:
            entry = {"login": row.login}
            entries.append(entry)
            by_login[row.login] = entry
            added.append(row.login)
        else:
            updated.append(row.login)
        _apply(entry, row)
        password = row.password
        if password is None and row.login in added:
            password = generate_password()
            passwords.append(GeneratedPassword(row.login, row.extension, password))
        if password is not None:
            credentials = make_credentials(row.login, realm, password)
            entry["password_hash"] = credentials.password_hash
            entry["ha1_md5"] = credentials.ha1_md5
            entry["ha1_sha256"] = credentials.ha1_sha256
    document["users"] = entries

    original = users_file.read_text(encoding="utf-8")
    header = "".join(line for line in original.splitlines(keepends=True) if line.startswith("#"))
    header = header if original.startswith("#") else ""
    _replace(users_file, header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110))
    try:
        _validate(config_path)
    except OkcError:
        _replace(users_file, original)
        raise
    return ImportResult(users_file, tuple(added), tuple(updated), tuple(passwords), tuple(bad))


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _validate(config_path: Path) -> None:
    """Load the whole configuration with okc.config, when that package is present, to check the result."""
    if importlib.util.find_spec("okc.config") is None:
        return
    config = importlib.import_module("okc.config")
    config.load(config_path)
