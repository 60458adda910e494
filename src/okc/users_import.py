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
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from okc.errors import OkcError

__all__ = [
    "CSV_COLUMNS",
    "BadRow",
    "ImportPlan",
    "UserRow",
    "UsersImportError",
    "parse_users_csv",
]

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


@dataclass(frozen=True, slots=True)
class BadRow:
    """A CSV row that cannot be imported, with its line number in the file and the reason."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


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
    """Validate one row's values; raises UsersImportError with the reason for a bad one."""

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value is not None and value.strip() else None

    login = get("login")
    if login is None:
        raise UsersImportError("login is empty")
    if not _LOGIN.match(login):
        raise UsersImportError(f"login {login!r} must be letters, digits, '.', '_' or '-' (at most 64)")
    extension = get("extension")
    if extension is not None and not _EXTENSION.match(extension):
        raise UsersImportError(f"extension {extension!r} must be 2 to 8 digits")
    email = get("email")
    if email is not None and not _EMAIL.match(email):
        raise UsersImportError(f"e-mail {email!r} is not an address")
    phone = get("phone")
    if phone is not None:
        phone = phone.lower()
        if phone not in _PHONES:
            raise UsersImportError(f"phone {phone!r} must be softphone or hardware")
    roles: tuple[str, ...] | None = None
    raw_roles = get("roles")
    if raw_roles is not None:
        roles = tuple(dict.fromkeys(r.strip().lower() for r in re.split(r"[;|]", raw_roles) if r.strip()))
        unknown = [r for r in roles if r not in known_roles]
        if unknown:
            raise UsersImportError(f"unknown role {unknown[0]!r} (known: {', '.join(sorted(known_roles))})")
    do_not_record: bool | None = None
    raw_dnr = values.get("do_not_record")
    if raw_dnr is not None:
        flag = raw_dnr.strip().lower()
        if flag in _TRUE:
            do_not_record = True
        elif flag in _FALSE:
            do_not_record = False if flag else None
        else:
            raise UsersImportError(f"do_not_record {raw_dnr!r} must be yes or no")
    password = values.get("password") or None  # a password keeps its spaces
    if password is not None and len(password) < 8:
        raise UsersImportError("password must have at least 8 characters")
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


def parse_users_csv(text: str, known_roles: Sequence[str]) -> ImportPlan:
    """Parse a users CSV (UTF-8, ',' or ';' separated); file-level problems raise UsersImportError."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UsersImportError("the CSV file is empty")
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise UsersImportError(f"line 1: {exc}") from None
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise UsersImportError(f"line 1: unknown column {unknown[0]!r} (known: {', '.join(CSV_COLUMNS)})")
    if "login" not in header:
        raise UsersImportError("line 1: the header has no 'login' column")
    if len(set(header)) != len(header):
        raise UsersImportError("line 1: a column appears twice")
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
                bad.append(BadRow(line, f"has {len(values)} fields, the header has {len(header)}"))
                continue
            try:
                row = _row(line, dict(zip(header, values, strict=True)), roles)
            except UsersImportError as exc:
                bad.append(BadRow(line, str(exc)))
                continue
            if row.login in seen_logins:
                bad.append(BadRow(line, f"login {row.login!r} already on line {seen_logins[row.login]}"))
                continue
            if row.extension is not None and row.extension in seen_extensions:
                other = seen_extensions[row.extension]
                bad.append(BadRow(line, f"extension {row.extension} already on line {other}"))
                continue
            seen_logins[row.login] = line
            if row.extension is not None:
                seen_extensions[row.extension] = line
            rows.append(row)
    except csv.Error as exc:
        raise UsersImportError(f"line {reader.line_num}: {exc}") from None
    return ImportPlan(tuple(rows), tuple(bad))
