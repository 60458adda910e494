"""Crash repair for WAV recordings: fix the RIFF and data sizes a killed writer never wrote.

libsndfile writes a WAV header with zero sizes when it creates the file and corrects them on close. After a
crash the audio blocks are on disk but the header still says the file is empty. `repair` walks the RIFF
chunks, takes the data chunk to run to the end of the file, drops a trailing partial block (a GSM 06.10
block is 65 bytes, a PCM frame 2 bytes per channel), pads the chunk to an even size as RIFF requires, and
rewrites the RIFF size, the data size and the `fact` sample count. `recover` does that at start-up for
every `<name>.wav.part` a recorder left behind and gives each its final name.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from okc.errors import OkcError

__all__ = ["RecoveryReport", "RepairError", "RepairReport", "recover", "repair"]

_GSM610: Final = 0x31
_PCM: Final = 0x01
_PART_SUFFIX: Final = ".part"


class RepairError(OkcError):
    """A file that is not a RIFF/WAVE recording, or whose header is too damaged to repair."""


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What repair found and did: the audio kept and the bytes of a partial block cut off."""

    path: Path
    format_tag: int
    channels: int
    frames: int
    data_bytes: int
    dropped_bytes: int
    changed: bool

    @property
    def seconds(self) -> float:
        """Length of the repaired audio at 8 kHz."""
        return self.frames / 8000


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What start-up recovery did: recordings repaired and renamed, and files it could not repair."""

    repaired: tuple[RepairReport, ...]
    failed: tuple[tuple[Path, str], ...]


@dataclass(frozen=True, slots=True)
class _Layout:
    format_tag: int
    channels: int
    block_align: int
    samples_per_block: int
    fact_offset: int | None  # where the fact chunk's sample count sits
    data_offset: int  # where the data chunk's size field sits


def _read_layout(path: Path, head: bytes) -> _Layout:
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise RepairError(f"{path}: not a RIFF/WAVE file")
    position = 12
    fmt: tuple[int, int, int, int] | None = None
    fact_offset: int | None = None
    while position + 8 <= len(head):
        chunk_id = head[position : position + 4]
        (size,) = struct.unpack_from("<I", head, position + 4)
        if chunk_id == b"data":
            if fmt is None:
                raise RepairError(f"{path}: the data chunk comes before the fmt chunk")
            tag, channels, block_align, samples_per_block = fmt
            return _Layout(tag, channels, block_align, samples_per_block, fact_offset, position + 4)
        if chunk_id == b"fmt ":
            if size < 16 or position + 8 + size > len(head):
                raise RepairError(f"{path}: truncated fmt chunk")
            tag, channels, _, _, block_align, bits = struct.unpack_from("<HHIIHH", head, position + 8)
            samples_per_block = 1
            if tag == _GSM610:
                if size < 20:
                    raise RepairError(f"{path}: GSM 06.10 fmt chunk without samples-per-block")
                (samples_per_block,) = struct.unpack_from("<H", head, position + 8 + 18)
            elif tag != _PCM:
                raise RepairError(f"{path}: format 0x{tag:04x} is neither PCM nor GSM 06.10")
            if channels < 1 or block_align < 1 or samples_per_block < 1 or (tag == _PCM and bits % 8):
                raise RepairError(f"{path}: impossible fmt chunk")
            fmt = (tag, channels, block_align, samples_per_block)
        elif chunk_id == b"fact" and size >= 4:
            fact_offset = position + 8
        position += 8 + size + (size & 1)
    raise RepairError(f"{path}: no data chunk in the header")


def repair(path: Path) -> RepairReport:
    """Make a WAV recording interrupted by a crash valid again; a sound file is left as it was."""
    try:
        with path.open("r+b") as file:
            head = file.read(4096)
            layout = _read_layout(path, head)
            file_size = os.fstat(file.fileno()).st_size
            data_start = layout.data_offset + 4
            (claimed,) = struct.unpack_from("<I", head, layout.data_offset)
            (riff,) = struct.unpack_from("<I", head, 4)
            if claimed and data_start + claimed + (claimed & 1) <= file_size and riff + 8 <= file_size:
                # The writer closed the file (a proper header; chunks may follow the data).
                frames = claimed // layout.block_align * layout.samples_per_block
                return RepairReport(path, layout.format_tag, layout.channels, frames, claimed, 0, False)
            available = max(0, file_size - data_start)
            data_bytes = available - available % layout.block_align
            frames = data_bytes // layout.block_align * layout.samples_per_block
            padded = data_start + data_bytes + (data_bytes & 1)
            file.truncate(data_start + data_bytes)
            if data_bytes & 1:
                file.seek(0, os.SEEK_END)
                file.write(b"\0")
            file.seek(4)
            file.write(struct.pack("<I", padded - 8))
            file.seek(layout.data_offset)
            file.write(struct.pack("<I", data_bytes))
            if layout.fact_offset is not None:
                file.seek(layout.fact_offset)
                file.write(struct.pack("<I", frames))
            file.flush()
            os.fsync(file.fileno())
    except OSError as error:
        raise RepairError(f"{path}: cannot repair: {error}") from error
    return RepairReport(
        path, layout.format_tag, layout.channels, frames, data_bytes, available - data_bytes, True
    )


def recover(directory: Path) -> RecoveryReport:
    """Repair every recording left unfinished (`*.part`) under directory and give it its final name."""
    repaired: list[RepairReport] = []
    failed: list[tuple[Path, str]] = []
    for part in sorted(directory.rglob(f"*{_PART_SUFFIX}")):
        try:
            report = repair(part)
            final = part.replace(part.with_name(part.name.removesuffix(_PART_SUFFIX)))
        except (RepairError, OSError) as error:
            failed.append((part, str(error)))
            continue
        repaired.append(dataclasses.replace(report, path=final))
    return RecoveryReport(tuple(repaired), tuple(failed))
