"""load, loads, dump and json_schema: from YAML files to a checked CenterConfig and back.

Loading collects every problem before it gives up — YAML syntax, model validation, cross-references and
the audio files — each with its file, line and field, and raises them together in one ConfigError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydantic
import yaml

from okc.config.center import CenterConfig
from okc.config.checks import check_center
from okc.config.source import FieldPath, Position, Source, read_source
from okc.config.wav import AudioUse, audio_problems
from okc.errors import ConfigError as _BaseConfigError

__all__ = ["ConfigError", "Problem", "dump", "json_schema", "load", "loads"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration: where (file, line, column, field) and what."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(_BaseConfigError):
    """The configuration is invalid; `problems` lists every problem found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(path: FieldPath) -> str:
    """A field path as people read it: services[0].staff.groups[1]."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _raw_path(data: object, loc: Sequence[str | int]) -> FieldPath:
    """Map a model location to the path written in the YAML (skipping union tags and shorthand hops)."""
    path: list[str | int] = []
    current: object = data
    parts = [part for part in loc if part != "[key]"]  # pydantic's marker of a mapping key
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(current, dict):
            if isinstance(part, str) and part in current:
                current = current[part]
                path.append(part)
            elif part == current.get("type"):
                pass  # the tag of a discriminated union
            elif part == "periods" and "periods" not in current and i + 1 < len(parts) and parts[i + 1] == 0:
                i += 1  # the hours shorthand: calendar/start/end written on the hours entry itself
            else:
                path.append(part)
                current = None
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        else:
            path.append(part)
            current = None
        i += 1
    return tuple(path)


def _problem(source: Source, main: str, path: FieldPath, message: str) -> Problem:
    position: Position | None = source.locate(path)
    if position is None:
        return Problem(main, None, None, format_path(path), message)
    return Problem(position.file, position.line, position.column, format_path(path), message)


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (not part of the configuration; check the spelling)",
}


def _validation_problems(source: Source, main: str, error: pydantic.ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        message = _MESSAGES.get(item["type"], item["msg"])
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.append(_problem(source, main, _raw_path(source.data, item["loc"]), message))
    return problems


def _file_problems(config: CenterConfig, base_dir: Path) -> list[tuple[FieldPath, str]]:
    """Audio files that okc cannot play, and other named files that are missing."""
    found: list[tuple[FieldPath, str]] = []

    def resolve(relative: str) -> Path:
        return base_dir / relative

    for name in type(config.system_sounds).model_fields:
        value = getattr(config.system_sounds, name)
        if value is not None:
            found.extend(
                (("system_sounds", name), m) for m in audio_problems(resolve(value), AudioUse.SYSTEM_SOUND)
            )
    for i, message in enumerate(config.audio_messages):
        for language, file in message.files.items():
            found.extend(
                (("audio_messages", i, "files", language), f"audio message {message.name!r}: {m}")
                for m in audio_problems(resolve(file), AudioUse.AUDIO_MESSAGE)
            )
    named: list[tuple[FieldPath, str | None]] = []
    for i, listen in enumerate(config.telephony.listen):
        named += [(("telephony", "listen", i, "certificate"), listen.certificate)]
        named += [(("telephony", "listen", i, "private_key"), listen.private_key)]
    named += [
        (("telephony", "trunks", i, "secret_file"), t.secret_file)
        for i, t in enumerate(config.telephony.trunks)
    ]
    if config.general.smtp is not None:
        named.append((("general", "smtp", "secret_file"), config.general.smtp.secret_file))
    named += [(("export_jobs", i, "secret_file"), j.secret_file) for i, j in enumerate(config.export_jobs)]
    named += [(("calling_lists", i, "file"), x.file) for i, x in enumerate(config.calling_lists)]
    named += [(("dnc_lists", i, "file"), x.file) for i, x in enumerate(config.dnc_lists)]
    for path, relative in named:
        if relative is not None and not resolve(relative).is_file():
            found.append((path, f"file {resolve(relative)} does not exist"))
    return found


def loads(text: str, source_name: str = "<string>", *, check_files: bool = True) -> CenterConfig:
    """Load a configuration from YAML text; includes and relative paths resolve from source_name's folder.

    Raises ConfigError with every problem found. check_files=False skips reading the audio and other
    files the configuration names (for text that is not on disk beside its files).
    """
    base_dir = Path(source_name).parent
    source = read_source(text, source_name, base_dir)
    problems = [
        Problem(p.position.file, p.position.line, p.position.column, format_path(p.path), p.message)
        for p in source.problems
    ]
    if any(p.message.startswith("YAML") for p in problems):
        raise ConfigError(problems)
    try:
        config = CenterConfig.model_validate(source.data)
    except pydantic.ValidationError as exc:
        problems += _validation_problems(source, source_name, exc)
        raise ConfigError(sorted(problems, key=_order(source))) from None
    for finding in check_center(config):
        problems.append(_problem(source, source_name, _raw_path(source.data, finding.path), finding.message))
    if check_files:
        for path, message in _file_problems(config, base_dir):
            problems.append(_problem(source, source_name, _raw_path(source.data, path), message))
    if problems:
        raise ConfigError(sorted(problems, key=_order(source)))
    return config


def _order(source: Source) -> Callable[[Problem], tuple[int, int, int]]:
    """Sort key: the order files were read, then line and column."""
    files = {name: index for index, name in enumerate(source.files)}

    def key(problem: Problem) -> tuple[int, int, int]:
        return (files.get(problem.file, len(files)), problem.line or 0, problem.column or 0)

    return key


def load(path: Path | str) -> CenterConfig:
    """Load and check the configuration in the YAML file at path (and the files it includes)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), None, None, "", "configuration file does not exist")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), None, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, None, "", f"cannot be read: {exc.strerror}")]) from None
    return loads(text, str(path))


def dump(config: CenterConfig) -> str:
    """The configuration as one YAML document (includes merged), leaving out values equal to defaults."""
    document = config.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)


def json_schema() -> dict[str, object]:
    """The JSON Schema of a configuration file, generated from the model (for editors and CI checks)."""
    schema: dict[str, object] = CenterConfig.model_json_schema(mode="validation")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        properties["include"] = {
            "description": "Other configuration files to merge into this one (paths relative to this file).",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "okc contact center configuration"
    return schema
