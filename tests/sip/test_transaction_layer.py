"""The sans-I/O transaction layer: two layers piped together, matching, stamping, CANCEL, absorption."""

from __future__ import annotations

from okc.sip import (
    Datagram,
    MessageDropped,
    NameAddr,
    Request,
    RequestReceived,
    Response,
    ResponseReceived,
    StrayResponse,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    Via,
    parse_message,
    parse_uri,
    response_to,
)

ALICE = ("192.0.2.1", 5060)
BOB = ("192.0.2.2", 5060)


def make_request(
    method: str, branch: str = "z9hG4bKabc", host: str = "192.0.2.1", rport: bool = False
) -> Request:
    via = Via("UDP", host, 5060)
    params = via.params.with_param("branch", branch)
    if rport:
        params = params.with_param("rport", None)
    return Request.build(
        method,
        "sip:bob@192.0.2.2",
        via=via.with_params(params),
        from_=NameAddr(parse_uri("sip:alice@example.com")).with_tag("a1"),
        to=NameAddr(parse_uri("sip:bob@example.com")),
        call_id="call-1",
        cseq=1,
    )


def deliver(datagrams: list[Datagram], to: TransactionLayer, source: tuple[str, int], now: float) -> None:
    for d in datagrams:
        to.receive(d.data, source, now)


def test_invite_with_final_error_ack_absorbed() -> None:
    uac, uas = TransactionLayer(), TransactionLayer()
    invite = make_request("INVITE")
    key = uac.send_request(invite, BOB, 0.0)
    deliver(uac.datagrams(), uas, ALICE, 0.01)
    (received,) = uas.events()
    assert isinstance(received, RequestReceived)
    assert received.request.method == "INVITE"
    # a retransmission is absorbed: no new event
    uas.receive(bytes(invite), ALICE, 0.5)
    assert uas.events() == []
    uas.send_response(response_to(received.request, 486, "Busy Here", to_tag="b1"), 0.1)
    deliver(uas.datagrams(), uac, BOB, 0.11)
    events = uac.events()
    assert isinstance(events[0], ResponseReceived)
    assert events[0].key == key
    assert events[0].response.status == 486
    acks = uac.datagrams()
    assert parse_message(acks[0].data).method == "ACK"  # type: ignore[union-attr]
    deliver(acks, uas, ALICE, 0.12)
    assert uas.events() == []  # ACK for a non-2xx stays in the transaction
    uas.handle_timer(100.0)
    uac.handle_timer(100.0)
    assert len(uas) == 0
    assert len(uac) == 0
    assert any(isinstance(e, TransactionTerminated) for e in uac.events())


def test_2xx_then_ack_reaches_tu() -> None:
    uac, uas = TransactionLayer(), TransactionLayer()
    uac.send_request(make_request("INVITE"), BOB, 0.0)
    deliver(uac.datagrams(), uas, ALICE, 0.0)
    (received,) = uas.events()
    assert isinstance(received, RequestReceived)
    ok = response_to(received.request, 200, "OK", to_tag="b1")
    uas.send_response(ok, 0.05)
    deliver(uas.datagrams(), uac, BOB, 0.05)
    (event,) = uac.events()
    assert isinstance(event, ResponseReceived)
    ack = make_request("ACK", branch="z9hG4bKack1")
    uac.send_stateless(ack, BOB)
    deliver(uac.datagrams(), uas, ALICE, 0.06)
    (got_ack,) = uas.events()
    assert isinstance(got_ack, RequestReceived)
    assert got_ack.key is None


def test_100_trying_sent_after_200ms() -> None:
    uas = TransactionLayer()
    uas.receive(bytes(make_request("INVITE")), ALICE, 0.0)
    assert uas.get_timer() == 0.2
    uas.handle_timer(0.2)
    (trying,) = uas.datagrams()
    msg = parse_message(trying.data)
    assert isinstance(msg, Response)
    assert msg.status == 100
    assert trying.address == ALICE


def test_cancel_matches_invite() -> None:
    uas = TransactionLayer()
    uas.receive(bytes(make_request("INVITE")), ALICE, 0.0)
    (inv,) = uas.events()
    uas.receive(bytes(make_request("CANCEL")), ALICE, 0.1)
    (cancel,) = uas.events()
    assert isinstance(inv, RequestReceived)
    assert isinstance(cancel, RequestReceived)
    assert cancel.cancels == inv.key
    assert cancel.key != inv.key


def test_cancel_without_invite_matches_nothing() -> None:
    uas = TransactionLayer()
    uas.receive(bytes(make_request("CANCEL")), ALICE, 0.1)
    (cancel,) = uas.events()
    assert isinstance(cancel, RequestReceived)
    assert cancel.cancels is None


def test_received_and_rport_stamped_and_used() -> None:
    uas = TransactionLayer()
    nat = ("203.0.113.7", 40000)
    uas.receive(bytes(make_request("OPTIONS", host="10.0.0.5", rport=True)), nat, 0.0)
    (event,) = uas.events()
    assert isinstance(event, RequestReceived)
    via = event.request.top_via
    assert via.received == "203.0.113.7"
    assert via.rport == 40000
    uas.send_response(response_to(event.request, 200, "OK", to_tag="x"), 0.0)
    (out,) = uas.datagrams()
    assert out.address == nat


def test_received_without_rport_uses_via_port() -> None:
    uas = TransactionLayer()
    uas.receive(bytes(make_request("OPTIONS", host="10.0.0.5")), ("203.0.113.7", 40000), 0.0)
    (event,) = uas.events()
    assert isinstance(event, RequestReceived)
    assert event.request.top_via.received == "203.0.113.7"
    assert event.request.top_via.rport is None
    uas.send_response(response_to(event.request, 200, "OK", to_tag="x"), 0.0)
    assert uas.datagrams()[0].address == ("203.0.113.7", 5060)


def test_rfc2543_fallback_matching() -> None:
    uas = TransactionLayer()
    old = make_request("INVITE", branch="oldstyle1")
    uas.receive(bytes(old), ALICE, 0.0)
    uas.receive(bytes(old), ALICE, 0.3)
    events = uas.events()
    assert len(events) == 1
    assert len(uas) == 1
    (event,) = events
    assert isinstance(event, RequestReceived)
    uas.send_response(response_to(event.request, 486, "Busy Here", to_tag="b"), 0.4)
    assert len(uas.datagrams()) == 1
    uas.receive(bytes(old), ALICE, 0.5)  # retransmission: the final response is sent again
    (again,) = uas.datagrams()
    assert parse_message(again.data).status == 486  # type: ignore[union-attr]


def test_timeout_and_transport_error_events() -> None:
    uac = TransactionLayer()
    key = uac.send_request(make_request("OPTIONS"), BOB, 0.0)
    while (deadline := uac.get_timer()) is not None:
        uac.handle_timer(deadline)
    events = uac.events()
    assert any(isinstance(e, TransactionTimedOut) and e.key == key for e in events)
    assert len(uac) == 0
    sent = uac.datagrams()
    assert len(sent) == 11  # the original and ten retransmissions within 64*T1
    key2 = uac.send_request(make_request("OPTIONS", branch="z9hG4bKother"), BOB, 0.0)
    uac.transport_error(key2, 0.1)
    assert any(isinstance(e, TransportFailed) for e in uac.events())


def test_stray_and_garbage_inputs() -> None:
    layer = TransactionLayer()
    layer.receive(b"\x00garbage", ALICE, 0.0)
    ok = response_to(make_request("OPTIONS"), 200, "OK", to_tag="t")
    layer.receive(bytes(ok), BOB, 0.0)
    events = layer.events()
    assert isinstance(events[0], MessageDropped)
    assert isinstance(events[1], StrayResponse)


def test_request_missing_headers_gets_stateless_400() -> None:
    layer = TransactionLayer()
    layer.receive(
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n",
        ALICE,
        0,
    )
    (out,) = layer.datagrams()
    reply = parse_message(out.data)
    assert isinstance(reply, Response)
    assert reply.status == 400


def test_ack_before_final_is_dropped_not_raised() -> None:
    uas = TransactionLayer()
    invite = make_request("INVITE")
    uas.receive(bytes(invite), ALICE, 0.0)
    uas.events()
    ack = make_request("ACK")
    uas.receive(bytes(ack), ALICE, 0.1)
    assert isinstance(uas.events()[0], MessageDropped)


def _over(request: Request, transport: str) -> Request:
    """The request as sent over `transport`: its top Via names it."""
    via = request.top_via
    return request.replace(
        headers=request.headers.with_replaced("Via", str(Via(transport, via.host, via.port, via.params)))
    )


def test_request_over_tcp_from_a_udp_layer_is_not_retransmitted() -> None:
    """§17.1.1.2: timers A/E are for unreliable transports only; a UDP agent's TCP fallback is reliable."""
    layer = TransactionLayer()
    layer.send_request(_over(make_request("OPTIONS"), "TCP"), BOB, 0.0)
    assert len(layer.datagrams()) == 1
    layer.handle_timer(4.0)
    assert layer.datagrams() == []
    layer.handle_timer(32.0)  # Timer F still ends it
    assert any(isinstance(e, TransactionTimedOut) for e in layer.events())


def test_request_over_udp_from_the_same_layer_is_retransmitted() -> None:
    layer = TransactionLayer()
    layer.send_request(make_request("OPTIONS"), BOB, 0.0)
    layer.datagrams()
    layer.handle_timer(0.5)
    assert len(layer.datagrams()) == 1


def test_invite_answered_over_tcp_is_not_retransmitted_and_goes_to_the_connection() -> None:
    """A server transaction for a request that came over TCP: no Timer G, the 486 goes to the source."""
    layer = TransactionLayer()
    invite = _over(make_request("INVITE"), "TCP")
    source = ("192.0.2.1", 40000)  # the connection's ephemeral port, not Via's 5060
    layer.receive(bytes(invite), source, 0.0)
    (event,) = [e for e in layer.events() if isinstance(e, RequestReceived)]
    layer.datagrams()
    layer.send_response(response_to(event.request, 486, "Busy Here"), 0.0)
    assert [d.address for d in layer.datagrams()] == [source]
    layer.handle_timer(2.0)
    assert layer.datagrams() == []


def test_abandon_drops_a_transaction_silently() -> None:
    layer = TransactionLayer()
    key = layer.send_request(make_request("INVITE"), BOB, 0.0)
    layer.datagrams()
    layer.abandon(key)
    layer.abandon(key)  # unknown keys are ignored
    assert len(layer) == 0
    assert layer.state_of(key) is None
    layer.handle_timer(100.0)
    assert layer.datagrams() == []
    assert layer.events() == []
    assert layer.get_timer() is None
