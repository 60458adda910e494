"""okc.rtp: RTP/RTCP, G.711, DTMF, jitter buffer, player and recorder, sans-I/O."""

from __future__ import annotations

# Media pieces on 16-bit PCM (tones, mixer, player, recorder, crash repair) and the RTP endpoint and relay.
from okc.rtp.endpoint import (
    EndpointError,
    PortAllocator,
    PortPair,
    RtcpReceived,
    RtpEndpoint,
    RtpReceived,
    RtpSession,
    SessionCounters,
)
from okc.rtp.mixer import Mixer, MixerError, Role
from okc.rtp.player import Player, PlayerError, PlayerFrame, PlayerState, Prompt, load_prompt
from okc.rtp.recorder import (
    CallRecorder,
    CallTimeline,
    Direction,
    Layout,
    RecorderError,
    RecordingFormat,
    RecordingOptions,
    RecordingSummary,
)
from okc.rtp.relay import Relay, RelayError, RewriteMode, StreamRewriter, relay
from okc.rtp.repair import RecoveryReport, RepairError, RepairReport, recover, repair
from okc.rtp.tones import BUSY, CONGESTION, DIAL, RINGBACK, ComfortNoise, ToneError, ToneGenerator, ToneSpec

__all__ = [
    "BUSY",
    "CONGESTION",
    "DIAL",
    "RINGBACK",
    "CallRecorder",
    "CallTimeline",
    "ComfortNoise",
    "Direction",
    "EndpointError",
    "Layout",
    "Mixer",
    "MixerError",
    "Player",
    "PlayerError",
    "PlayerFrame",
    "PlayerState",
    "PortAllocator",
    "PortPair",
    "Prompt",
    "RecorderError",
    "RecordingFormat",
    "RecordingOptions",
    "RecordingSummary",
    "RecoveryReport",
    "Relay",
    "RelayError",
    "RepairError",
    "RepairReport",
    "RewriteMode",
    "Role",
    "RtcpReceived",
    "RtpEndpoint",
    "RtpReceived",
    "RtpSession",
    "SessionCounters",
    "StreamRewriter",
    "ToneError",
    "ToneGenerator",
    "ToneSpec",
    "load_prompt",
    "recover",
    "relay",
    "repair",
]
