"""Reading configuration YAML with the position of every key and item, across included files.

The loader resolves scalars the YAML 1.2 way (``no`` and ``on`` are strings, ``0505`` keeps its zero,
``9:00`` is text, not 540), refuses duplicate keys, and records the file, line and column of every mapping
key and sequence item, so a model error or a broken cross-reference points at the line that caused it.

A main file may ``include:`` other files (paths relative to the including file). Their top-level list
sections are appended to the main file's; any other section may be set in one file only. Relative file
paths inside an included file are rewritten to be relative to the main file's directory, so the merged
configuration means the same wherever it is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
import yaml.composer
import yaml.constructor
import yaml.nodes
import yaml.parser
import yaml.reader
import yaml.resolver
import yaml.scanner

__all__ = ["Position", "Source", "SourceProblem", "read_source"]

FieldPath = tuple[str | int, ...]
_PATH_KEYS = frozenset({"certificate", "private_key", "secret_file", "file"})
"""Keys whose string value is a file path (besides audio `files` values and `system_sounds` values)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where something is written: file name, line and column (both counted from 1)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A problem found while reading YAML (syntax, duplicate key, bad include) with its position."""

    position: Position
    path: FieldPath
    message: str


@dataclass(slots=True)
class Source:
    """The merged plain data of a configuration and where each of its parts was written."""

    data: dict[str, object]
    positions: dict[FieldPath, Position] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def locate(self, path: FieldPath) -> Position | None:
        """The position of path, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return None


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema implicit types (with plain dates), instead of PyYAML's YAML 1.1 set."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp", re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), list("0123456789")
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    """Composes YAML into nodes (which keep their marks) and constructs plain scalars."""

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


def _position(name: str, node: yaml.nodes.Node) -> Position:
    return Position(name, node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Turns a node tree into plain data, recording positions and duplicate keys."""

    def __init__(self, loader: _Loader, name: str, source: Source) -> None:
        self.loader = loader
        self.name = name
        self.source = source
        self.positions: dict[FieldPath, Position] = {}

    def walk(self, node: yaml.nodes.Node, path: FieldPath) -> object:
        if isinstance(node, yaml.nodes.MappingNode):
            own = sum(key.tag != "tag:yaml.org,2002:merge" for key, _ in node.value)
            self.loader.flatten_mapping(node)  # `<<` merge keys: merged pairs first, then the node's own
            merged = len(node.value) - own
            result: dict[str, object] = {}
            for index, (key_node, value_node) in enumerate(node.value[merged:] + node.value[:merged]):
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) or key is None:
                    self._problem(key_node, path, "a mapping key must be a plain scalar")
                    continue
                text = (
                    key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)
                )
                if text in result:
                    if index >= own:
                        continue  # a merged key the mapping sets itself: its own value wins
                    self._problem(key_node, (*path, text), f"key {text!r} appears twice in the same mapping")
                    continue
                self.positions[(*path, text)] = _position(self.name, key_node)
                result[text] = self.walk(value_node, (*path, text))
            return result
        if isinstance(node, yaml.nodes.SequenceNode):
            items: list[object] = []
            for index, item in enumerate(node.value):
                self.positions[(*path, index)] = _position(self.name, item)
                items.append(self.walk(item, (*path, index)))
            return items
        return self.loader.construct_object(node, deep=True)

    def _problem(self, node: yaml.nodes.Node, path: FieldPath, message: str) -> None:
        self.source.problems.append(SourceProblem(_position(self.name, node), path, message))


def _parse(
    text: str, name: str, source: Source
) -> tuple[dict[str, object], dict[FieldPath, Position]] | None:
    """One file's top-level mapping and positions; None (with a problem recorded) when unreadable."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        walker = _Walker(loader, name, source)
        data = walker.walk(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(name, mark.line + 1, mark.column + 1) if mark else Position(name, 1, 1)
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        source.problems.append(SourceProblem(where, (), f"YAML syntax error: {detail}"))
        return None
    except yaml.YAMLError as exc:
        source.problems.append(SourceProblem(Position(name, 1, 1), (), f"YAML error: {exc}"))
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        source.problems.append(
            SourceProblem(_position(name, node), (), "the top level must be a mapping of sections")
        )
        return None
    return data, walker.positions


def _rewrite_paths(data: object, parent_key: str | None, top: bool, rebase: PurePosixPath) -> object:
    """Make file paths in an included file's data relative to the main file's directory."""

    def fix(value: object) -> object:
        if isinstance(value, str) and value and not PurePosixPath(value).is_absolute():
            return os.path.normpath(str(rebase / value)).replace(os.sep, "/")
        return value

    if isinstance(data, dict):
        out: dict[str, object] = {}
        for key, value in data.items():
            if key in _PATH_KEYS or parent_key == "files" or (top and parent_key == "system_sounds"):
                out[key] = fix(value)
            else:
                out[key] = _rewrite_paths(value, key, top and parent_key is None, rebase)
        return out
    if isinstance(data, list):
        return [_rewrite_paths(item, parent_key, False, rebase) for item in data]
    return data


def _includes(
    data: dict[str, object], name: str, positions: dict[FieldPath, Position], source: Source
) -> list[str]:
    raw = data.pop("include", [])
    entries = [raw] if isinstance(raw, str) else raw
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        where = positions.get(("include",), Position(name, 1, 1))
        source.problems.append(
            SourceProblem(where, ("include",), "include must be a file name or a list of them")
        )
        return []
    return [str(e) for e in entries]


def _shift(path: FieldPath, offset: int) -> FieldPath:
    if len(path) >= 2 and isinstance(path[1], int):
        return (path[0], path[1] + offset, *path[2:])
    return path


def _read(path: Path) -> str | None:
    """The text of an included file, or None when it cannot be read (the reason goes to the caller)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_source(text: str, name: str, base_dir: Path) -> Source:
    """Parse the main file's text and every file it includes into one merged Source."""
    source = Source({})
    owners: dict[str, str] = {}
    main_dir = base_dir.resolve()

    def visit(text: str, name: str, directory: Path, chain: tuple[Path, ...]) -> None:
        parsed = _parse(text, name, source)
        source.files.append(name)
        if parsed is None:
            return
        data, positions = parsed
        includes = _includes(data, name, positions, source)
        if directory != main_dir:
            rebase = PurePosixPath(os.path.relpath(directory, main_dir).replace(os.sep, "/"))
            data = {k: _rewrite_paths(v, k, True, rebase) for k, v in data.items()}
        for key, value in data.items():
            offset = 0
            existing = source.data.get(key)
            if key not in source.data:
                source.data[key] = value
                owners[key] = name
            elif isinstance(existing, list) and isinstance(value, list):
                offset = len(existing)
                existing.extend(value)
            else:
                where = positions.get((key,), Position(name, 1, 1))
                source.problems.append(
                    SourceProblem(where, (key,), f"section {key!r} is already set in {owners[key]}")
                )
                continue
            for path, position in positions.items():
                if path and path[0] == key:
                    source.positions[_shift(path, offset) if offset else path] = position
        for index, include in enumerate(includes):
            target = (directory / include).resolve()
            where = positions.get(("include", index), positions.get(("include",), Position(name, 1, 1)))
            if target in chain:
                source.problems.append(
                    SourceProblem(where, ("include",), f"{include} includes itself (a loop)")
                )
                continue
            included = _read(target)
            if included is None:
                reason = "does not exist" if not target.exists() else "cannot be read as UTF-8 text"
                source.problems.append(
                    SourceProblem(where, ("include",), f"included file {include} {reason}")
                )
            else:
                visit(included, _display(target), target.parent, (*chain, target))

    visit(text, name, main_dir, ((main_dir / Path(name).name).resolve(),))
    return source


def _display(path: Path) -> str:
    """A file name for messages: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def iter_paths(data: object, path: FieldPath = ()) -> Iterator[FieldPath]:
    """Every path in plain data (for tests of position coverage)."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_paths(value, (*path, index))
