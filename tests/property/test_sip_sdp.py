"""Property tests: SDP round trips, and answers are subsets of the offer in the offer's order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.sip.sdp import Codec, Direction, LocalMedia, SdpError, SessionDescription, answer, make_offer

_KNOWN = [
    Codec(0, "PCMU"),
    Codec(8, "PCMA"),
    Codec(18, "G729"),
    Codec(9, "G722"),
    Codec(96, "opus", 48000, 2),
    Codec(101, "telephone-event", fmtp="0-16"),
    Codec(97, "iLBC", fmtp="mode=30"),
]

codec_lists = st.lists(st.sampled_from(_KNOWN), unique_by=lambda c: c.payload_type, min_size=1, max_size=7)


@st.composite
def offers(draw: st.DrawFn) -> SessionDescription:
    """A valid offer built by okc with random codecs, port, direction and extra lines."""
    codecs = tuple(draw(codec_lists))
    direction = draw(st.sampled_from(list(Direction)))
    port = draw(st.integers(1, 65535))
    local = LocalMedia(
        "192.0.2.1",
        port,
        draw(st.integers(0, 2**40)),
        codecs=codecs,
        telephone_event=False,
        direction=direction,
    )
    offer = make_offer(local)
    extra = draw(st.lists(st.from_regex(r"x-[a-z]{1,8}:[a-z0-9]{0,8}", fullmatch=True), max_size=3))
    media = offer.media[0]
    media = type(media)(
        media.media, media.port, media.proto, media.formats, media.lines + tuple(("a", e) for e in extra)
    )
    return SessionDescription(offer.lines, (media,))


@given(offers())
def test_round_trip(offer: SessionDescription) -> None:
    assert SessionDescription.parse(bytes(offer)) == offer
    assert str(SessionDescription.parse(str(offer))) == str(offer)


@given(
    offers(),
    st.sampled_from([(Codec(8, "PCMA"), Codec(0, "PCMU")), (Codec(0, "PCMU"),), (Codec(8, "PCMA"),)]),
)
def test_answer_is_ordered_subset_of_offer(offer: SessionDescription, mine: tuple[Codec, ...]) -> None:
    local = LocalMedia("127.0.0.1", 5004, 7, codecs=mine)
    offered = offer.media[0].codecs
    if not any(c.same_format(m) for c in offered for m in mine):
        with pytest.raises(SdpError) as info:
            answer(offer, local)
        assert info.value.status == 488
        return
    result = answer(offer, local)
    answered = result.media[0].codecs
    positions = [next(i for i, c in enumerate(offered) if c.payload_type == a.payload_type) for a in answered]
    assert positions == sorted(positions)
    assert all(any(a.same_format(c) for c in offered) for a in answered)
    assert len(result.media) == len(offer.media)


@pytest.mark.parametrize("direction", list(Direction))
def test_reverse_is_involution(direction: Direction) -> None:
    assert direction.reversed().reversed() is direction
