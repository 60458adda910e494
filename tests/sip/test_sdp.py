"""SDP parsing, serialisation and RFC 3264 offer/answer for okc's audio."""

from __future__ import annotations

import pytest

from okc.errors import OkcError
from okc.sip.sdp import (
    Codec,
    Direction,
    LocalMedia,
    SdpError,
    SessionDescription,
    answer,
    make_offer,
)

LOCAL = LocalMedia("127.0.0.1", 40000, 42)

OFFER = (
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "a=tool:foo\r\n"
    "m=audio 49170 RTP/AVP 18 0 8 96\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-16\r\n"
    "a=ptime:30\r\n"
    "a=x-unknown:kept\r\n"
    "m=video 51372 RTP/AVP 31\r\n"
    "a=rtpmap:31 H261/90000\r\n"
)


def _offer(text: str = OFFER) -> SessionDescription:
    return SessionDescription.parse(text)


def test_parse_fields_and_exact_round_trip() -> None:
    sdp = _offer()
    assert sdp.origin.username == "alice"
    assert sdp.origin.session_id == 2890844526
    assert sdp.connection == "192.0.2.10"
    audio, video = sdp.media
    assert audio.port == 49170
    assert [c.name for c in audio.codecs] == ["G729", "PCMU", "PCMA", "telephone-event"]
    assert audio.codecs[2] == Codec(8, "PCMA")  # static payload type without rtpmap
    assert audio.codecs[3].fmtp == "0-16"
    assert audio.ptime == 30
    assert video.media == "video"
    assert str(sdp) == OFFER
    assert SessionDescription.parse(bytes(sdp)) == sdp


def test_lf_line_ends_accepted() -> None:
    assert SessionDescription.parse(OFFER.replace("\r\n", "\n")) == _offer()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "o=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\no=a 1 1 IN IP4 h\r\nt=0 0\r\n",
        "v=0\r\no=a x 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n",
        "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio\r\n",
        "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
        "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\ngarbage\r\n",
        "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n",
    ],
)
def test_malformed_descriptions_raise_sdp_error(text: str) -> None:
    with pytest.raises(SdpError) as info:
        SessionDescription.parse(text)
    assert isinstance(info.value, OkcError)
    assert info.value.status == 400


def test_offer_lists_local_codecs_and_dtmf() -> None:
    offer = make_offer(LOCAL)
    (audio,) = offer.media
    assert audio.formats == ("8", "0", "101")
    assert audio.codecs[2].fmtp == "0-15"
    assert audio.direction is Direction.SENDRECV
    assert offer.connection == "127.0.0.1"
    assert SessionDescription.parse(bytes(offer)) == offer


def test_answer_follows_offer_order_and_rejects_others() -> None:
    result = answer(_offer(), LOCAL)
    audio, video = result.media
    assert [c.name for c in audio.codecs] == ["PCMU", "PCMA", "telephone-event"]
    assert audio.formats == ("0", "8", "96")
    assert audio.codecs[2].fmtp == "0-15"
    assert audio.port == 40000
    assert audio.ptime == 30
    assert video.port == 0
    assert video.formats == ("31",)
    assert result.origin.session_id == 42


def test_offer_without_supported_codec_is_488_with_warning() -> None:
    text = OFFER.replace("m=audio 49170 RTP/AVP 18 0 8 96", "m=audio 49170 RTP/AVP 18")
    with pytest.raises(SdpError) as info:
        answer(_offer(text), LOCAL)
    assert info.value.status == 488
    assert info.value.warning("okc.test") == '399 okc.test "Incompatible media format"'


def test_secure_or_disabled_audio_is_not_accepted() -> None:
    srtp = OFFER.replace("RTP/AVP 18 0 8 96", "RTP/SAVP 0")
    with pytest.raises(SdpError):
        answer(_offer(srtp), LOCAL)
    disabled = OFFER.replace("49170", "0")
    with pytest.raises(SdpError):
        answer(_offer(disabled), LOCAL)


def test_only_first_audio_stream_is_taken() -> None:
    text = OFFER + "m=audio 49180 RTP/AVP 0\r\n"
    result = answer(_offer(text), LOCAL)
    assert [m.port for m in result.media] == [40000, 0, 0]


def test_telephone_event_left_out_when_local_disables_it() -> None:
    result = answer(_offer(), LocalMedia("127.0.0.1", 40000, 1, telephone_event=False))
    assert [c.name for c in result.media[0].codecs] == ["PCMU", "PCMA"]


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        ("sendrecv", Direction.SENDRECV),
        ("sendonly", Direction.RECVONLY),
        ("recvonly", Direction.SENDONLY),
        ("inactive", Direction.INACTIVE),
    ],
)
def test_answer_direction(offered: str, expected: Direction) -> None:
    result = answer(_offer(OFFER.replace("a=ptime:30", f"a=ptime:30\r\na={offered}")), LOCAL)
    assert result.media[0].direction is expected


def test_session_level_direction_applies() -> None:
    text = OFFER.replace("a=tool:foo", "a=sendonly")
    assert answer(_offer(text), LOCAL).media[0].direction is Direction.RECVONLY


def test_old_style_hold_address() -> None:
    held = _offer(OFFER.replace("c=IN IP4 192.0.2.10", "c=IN IP4 0.0.0.0"))
    assert held.media_direction(held.media[0]) is Direction.SENDONLY
    assert answer(held, LOCAL).media[0].direction is Direction.RECVONLY


def test_local_hold_limits_answer() -> None:
    local = LocalMedia("127.0.0.1", 40000, 1, direction=Direction.SENDONLY)
    assert answer(_offer(), local).media[0].direction is Direction.SENDONLY


def test_local_media_validates() -> None:
    with pytest.raises(SdpError):
        LocalMedia("127.0.0.1", 0, 1)
    with pytest.raises(SdpError):
        LocalMedia("127.0.0.1", 4000, 1, codecs=())
    with pytest.raises(SdpError):
        Codec(128, "x")


def test_ipv6_origin() -> None:
    offer = make_offer(LocalMedia("::1", 4000, 1))
    assert offer.origin.addrtype == "IP6"
