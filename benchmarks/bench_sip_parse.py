"""Parse-and-access throughput of a typical INVITE: okc.sip beside pyVoIP's SIPMessage and sippy's SipRequest.

Each contender parses the same datagram and reads the top Via branch, From tag, To URI, Call-ID, CSeq,
Contact URI and body, in the same run on the same machine.
"""

from __future__ import annotations

from benchmarks.report import Measurement, rate, show
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
    ours = Measurement("okc.sip parse_message", rate(okc_parse, min_seconds=3.0), "msg/s")
    peers: list[Measurement] = []
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

        peers.append(Measurement("pyVoIP SIPMessage", rate(pyvoip_parse, min_seconds=3.0), "msg/s"))
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

        peers.append(Measurement("sippy SipRequest", rate(sippy_parse, min_seconds=3.0), "msg/s"))
    except ImportError:
        print("sippy is not installed: skipped")
    show("SIP INVITE parse and access", ours, peers)


if __name__ == "__main__":
    main()
