"""WAV header reading and the audio rules: what okc can play without transcoding.

System sounds must be uncompressed PCM, 16-bit, 8000 Hz, mono. Audio messages may also be G.711 A-law or
µ-law (8-bit) at 8000 Hz mono. No file may exceed 20 MB. The check reads the RIFF chunks itself, so it
names exactly what is wrong (format, rate, width, channels, size).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_AUDIO_BYTES",
    "AudioUse",
    "WavFormat",
    "WavInfo",
    "audio_problems",
    "read_wav_info",
]

MAX_AUDIO_BYTES = 20 * 1024 * 1024
_FORMAT_NAMES = {
    0x0001: "PCM",
    0x0002: "Microsoft ADPCM",
    0x0003: "IEEE float",
    0x0006: "A-law",
    0x0007: "µ-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0055: "MP3",
}
_EXTENSIBLE = 0xFFFE


class WavFormat(enum.IntEnum):
    """The WAV format tags okc accepts."""

    PCM = 0x0001
    ALAW = 0x0006
    ULAW = 0x0007


class AudioUse(enum.Enum):
    """What a file is for, which decides the formats it may have."""

    SYSTEM_SOUND = "system sound"
    AUDIO_MESSAGE = "audio message"


@dataclass(frozen=True, slots=True)
class WavInfo:
    """The facts of a WAV file's fmt chunk that decide whether okc can play it."""

    format_tag: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    data_bytes: int

    @property
    def format_name(self) -> str:
        """The format tag in words."""
        return _FORMAT_NAMES.get(self.format_tag, f"format tag {self.format_tag:#06x}")


class WavHeaderError(Exception):
    """Internal: the bytes are not a readable WAV (turned into a Problem message by audio_problems)."""


def read_wav_info(path: Path) -> WavInfo:
    """Read the RIFF/WAVE header of path; raises WavHeaderError when it is not a readable WAV."""
    with path.open("rb") as stream:
        head = stream.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavHeaderError("not a WAV file (no RIFF/WAVE header)")
        fmt: tuple[int, int, int, int] | None = None
        while True:
            chunk = stream.read(8)
            if len(chunk) < 8:
                break
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                body = stream.read(size)
                if len(body) < 16:
                    raise WavHeaderError("the WAV fmt chunk is truncated")
                tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == _EXTENSIBLE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the sub-format GUID
                fmt = (tag, channels, rate, bits)
                if size % 2:
                    stream.read(1)
            elif chunk_id == b"data":
                if fmt is None:
                    raise WavHeaderError("the WAV data chunk comes before its fmt chunk")
                return WavInfo(fmt[0], fmt[1], fmt[2], fmt[3], size)
            else:
                stream.seek(size + (size % 2), 1)
    raise WavHeaderError("the WAV file has no fmt chunk" if fmt is None else "the WAV file has no data chunk")


def audio_problems(path: Path, use: AudioUse) -> tuple[str, ...]:
    """What is wrong with the audio file at path for this use (empty when it is fine)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return (f"audio file {path} does not exist",)
    except OSError as exc:
        return (f"audio file {path} cannot be read: {exc.strerror}",)
    problems: list[str] = []
    if size > MAX_AUDIO_BYTES:
        problems.append(f"{path}: size {size / 1048576:.1f} MB is over the 20 MB limit")
    try:
        info = read_wav_info(path)
    except WavHeaderError as exc:
        return (*problems, f"{path}: {exc}")
    except OSError as exc:
        return (*problems, f"audio file {path} cannot be read: {exc.strerror}")
    allowed = {WavFormat.PCM} if use is AudioUse.SYSTEM_SOUND else set(WavFormat)
    if info.format_tag not in allowed:
        wanted = "PCM" if use is AudioUse.SYSTEM_SOUND else "PCM, A-law or µ-law"
        problems.append(f"{path}: format {info.format_name}, {use.value}s must be {wanted}")
    if info.sample_rate != 8000:
        problems.append(f"{path}: sample rate {info.sample_rate} Hz, must be 8000 Hz")
    if info.channels != 1:
        problems.append(f"{path}: {info.channels} channels, must be mono")
    expected_bits = 16 if info.format_tag == WavFormat.PCM else 8
    if info.format_tag in allowed and info.bits_per_sample != expected_bits:
        problems.append(
            f"{path}: sample width {info.bits_per_sample}-bit, {info.format_name} must be {expected_bits}-bit"
        )
    return tuple(problems)
