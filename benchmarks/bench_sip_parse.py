"""Parse-and-access throughput of a typical INVITE: okc.sip beside pyVoIP's SIPMessage and sippy's SipRequest.

Each contender parses the same datagram and reads the top Via branch, From tag, To URI, Call-ID, CSeq,
Contact URI and body, in the same run on the same machine. Rates are CPU time of this process, best of
short rounds that alternate between contenders, because the host is shared with other work.

Where the time goes (okc, per message, best CPU rounds on the shared 2-core host): splitting and indexing
the 13 header lines about 5.5 us, the rest of parse_message (start line, Request-URI, Content-Length)
about 4 us, each typed header 1-3 us (one regex match plus building the frozen value objects).
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.report import Measurement, best_rates, show
from okc.sip import parse_message

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport\r\n"
    b"Via: SIP/2.0/UDP proxy.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.101\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:alice@client.atlanta.example.com;transport=udp>\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
    b"Supported: replaces, timer\r\n"
    b"User-Agent: okc-bench/1.0\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 151\r\n"
    b"\r\n"
    b"v=0\r\n"
    b"o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\n"
    b"s=-\r\n"
    b"c=IN IP4 192.0.2.101\r\n"
    b"t=0 0\r\n"
    b"m=audio 49172 RTP/AVP 0\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
)


def okc_parse() -> tuple[object, ...]:
    msg = parse_message(INVITE)
    return (
        msg.top_via.branch,
        msg.from_.tag,
        msg.to.uri,
        msg.call_id,
        msg.cseq,
        msg.contacts[0].uri,
        msg.body,
    )


def main() -> None:
    """Measure okc, pyVoIP and sippy on the same message and print the table."""
    assert okc_parse()[0] == "z9hG4bK74bf9"
    contenders: dict[str, Callable[[], object]] = {"okc.sip parse_message": okc_parse}
    try:
        import pyVoIP.VoIP  # noqa: F401  (pyVoIP.SIP needs the VoIP module loaded first: circular import)
        from pyVoIP.SIP import SIPMessage

        def pyvoip_parse() -> object:
            msg = SIPMessage(INVITE)
            h = msg.headers
            return (
                h["Via"][0]["branch"],
                h["From"]["tag"],
                h["To"],
                h["Call-ID"],
                h["CSeq"],
                h["Contact"],
                msg.body,
            )

        contenders["pyVoIP SIPMessage"] = pyvoip_parse
    except ImportError:
        print("pyVoIP is not installed: skipped")
    try:
        from sippy.SipRequest import SipRequest

        text = INVITE.decode()

        def sippy_parse() -> object:
            msg = SipRequest(buf=text)
            return (
                msg.getHFBody("via").getBranch(),
                msg.getHFBody("from").getTag(),
                msg.getHFBody("to").getUrl(),
                msg.getHFBody("call-id"),
                msg.getHFBody("cseq").getCSeq(),
                msg.getHFBody("contact").getUrl(),
                msg.getBody(),
            )

        contenders["sippy SipRequest"] = sippy_parse
    except ImportError:
        print("sippy is not installed: skipped")
    figures = [Measurement(name, value, "msg/s") for name, value in best_rates(contenders).items()]
    show("SIP INVITE parse and access (best of interleaved rounds)", figures[0], figures[1:])


if __name__ == "__main__":
    main()
