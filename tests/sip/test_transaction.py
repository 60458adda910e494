"""Transaction machines: every row of the transition table, illegal inputs, timers in virtual time."""

from __future__ import annotations

import pytest

from okc.sip import (
    Kind,
    NameAddr,
    Request,
    Response,
    SipStateError,
    State,
    Timer,
    TimerConfig,
    Transaction,
    Via,
    parse_uri,
    response_to,
)
from okc.sip.transaction import TRANSITIONS, Input, TxAction

CFG = TimerConfig()


def make_request(method: str, branch: str = "z9hG4bKabc") -> Request:
    via = Via("UDP", "192.0.2.1", 5060)
    return Request.build(
        method,
        "sip:bob@example.com",
        via=via.with_params(via.params.with_param("branch", branch)),
        from_=NameAddr(parse_uri("sip:alice@example.com")).with_tag("a1"),
        to=NameAddr(parse_uri("sip:bob@example.com")),
        call_id="call-1",
        cseq=1,
    )


def ack_of(invite: Request) -> Request:
    fields = [(n, v) for n, v in invite.headers.fields if n != "CSeq"] + [("CSeq", "1 ACK")]
    return Request("ACK", invite.uri, type(invite.headers)(fields))


def reply(request: Request, status: int) -> Response:
    return response_to(request, status, "X", to_tag="b1" if status > 100 else None)


def new_tx(kind: Kind, reliable: bool = False) -> Transaction:
    method = "INVITE" if kind in (Kind.INVITE_CLIENT, Kind.INVITE_SERVER) else "OPTIONS"
    request = make_request(method)
    if kind in (Kind.INVITE_CLIENT, Kind.NON_INVITE_CLIENT):
        return Transaction.client(request, 0.0, reliable=reliable, config=CFG)
    return Transaction.server(request, 0.0, reliable=reliable, config=CFG)


def drive(kind: Kind, state: State) -> Transaction:
    """A fresh transaction of kind, brought into state by the ordinary path."""
    tx = new_tx(kind)
    path: dict[tuple[Kind, State], list[Input]] = {
        (Kind.INVITE_CLIENT, State.PROCEEDING): [Input.RECV_1XX],
        (Kind.INVITE_CLIENT, State.COMPLETED): [Input.RECV_FINAL],
        (Kind.INVITE_CLIENT, State.ACCEPTED): [Input.RECV_2XX],
        (Kind.NON_INVITE_CLIENT, State.PROCEEDING): [Input.RECV_1XX],
        (Kind.NON_INVITE_CLIENT, State.COMPLETED): [Input.RECV_2XX],
        (Kind.INVITE_SERVER, State.COMPLETED): [Input.SEND_FINAL],
        (Kind.INVITE_SERVER, State.CONFIRMED): [Input.SEND_FINAL, Input.RECV_ACK],
        (Kind.INVITE_SERVER, State.ACCEPTED): [Input.SEND_2XX],
        (Kind.NON_INVITE_SERVER, State.PROCEEDING): [Input.SEND_1XX],
        (Kind.NON_INVITE_SERVER, State.COMPLETED): [Input.SEND_2XX],
    }
    for step in path.get((kind, state), []):
        apply(tx, step, 0.0)
    assert tx.state is state
    return tx


_TIMERS = {
    Input.TIMER_RETRANSMIT: (Timer.A, Timer.E, Timer.G),
    Input.TIMER_TIMEOUT: (Timer.B, Timer.F, Timer.H),
    Input.TIMER_LINGER: (Timer.D, Timer.I, Timer.J, Timer.K, Timer.L, Timer.M),
    Input.TIMER_TRYING: (Timer.TRYING,),
}


def apply(tx: Transaction, event: Input, now: float) -> list[tuple[TxAction, Request | Response]]:
    request = tx.request
    if event is Input.RECV_1XX:
        return tx.receive_response(reply(request, 180), now)
    if event is Input.RECV_2XX:
        return tx.receive_response(reply(request, 200), now)
    if event is Input.RECV_FINAL:
        return tx.receive_response(reply(request, 486), now)
    if event is Input.RECV_REQUEST:
        return tx.receive_request(request, now)
    if event is Input.RECV_ACK:
        return tx.receive_request(ack_of(request), now)
    if event is Input.SEND_1XX:
        return tx.send_response(reply(request, 180), now)
    if event is Input.SEND_2XX:
        return tx.send_response(reply(request, 200), now)
    if event is Input.SEND_FINAL:
        return tx.send_response(reply(request, 486), now)
    if event is Input.TRANSPORT_ERROR:
        return tx.transport_error(now)
    (timer,) = [t for t in _TIMERS[event] if t in tx.timers]
    return tx.handle_timer(tx.timers[timer])


@pytest.mark.parametrize(("row", "expected"), list(TRANSITIONS.items()), ids=str)
def test_every_transition(row: tuple[Kind, State, Input], expected: State) -> None:
    kind, state, event = row
    tx = drive(kind, state)
    apply(tx, event, 0.0)
    assert tx.state is expected
    if expected is State.TERMINATED:
        assert tx.timers == {}


_NETWORK_AND_TU = [e for e in Input if not e.name.startswith("TIMER")]
_ILLEGAL = [
    (k, s, e)
    for k, s in [
        (Kind.INVITE_CLIENT, State.CALLING),
        (Kind.INVITE_CLIENT, State.ACCEPTED),
        (Kind.NON_INVITE_CLIENT, State.TRYING),
        (Kind.INVITE_SERVER, State.PROCEEDING),
        (Kind.INVITE_SERVER, State.CONFIRMED),
        (Kind.NON_INVITE_SERVER, State.COMPLETED),
    ]
    for e in _NETWORK_AND_TU
    if (k, s, e) not in TRANSITIONS
    and not (
        k in (Kind.INVITE_CLIENT, Kind.NON_INVITE_CLIENT)
        and e.name.startswith(("SEND", "RECV_REQ", "RECV_ACK"))
    )
    and not (
        k in (Kind.INVITE_SERVER, Kind.NON_INVITE_SERVER)
        and e in (Input.RECV_1XX, Input.RECV_2XX, Input.RECV_FINAL)
    )
]


@pytest.mark.parametrize("row", _ILLEGAL, ids=str)
def test_illegal_transition_raises(row: tuple[Kind, State, Input]) -> None:
    kind, state, event = row
    tx = drive(kind, state)
    with pytest.raises(SipStateError):
        apply(tx, event, 0.0)
    assert tx.state is state


def test_timer_a_doubles_and_b_times_out() -> None:
    tx = new_tx(Kind.INVITE_CLIENT)
    sent_at = []
    now = 0.0
    while not tx.terminated:
        deadline = min(tx.timers.values())
        now = deadline
        for action, _ in tx.handle_timer(now):
            if action is TxAction.SEND:
                sent_at.append(now)
            if action is TxAction.TIMEOUT:
                break
    assert sent_at == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert now == 32.0


def test_timer_e_caps_at_t2_and_f_times_out() -> None:
    tx = new_tx(Kind.NON_INVITE_CLIENT)
    gaps = []
    last = 0.0
    actions: list[tuple[TxAction, Request | Response]] = []
    while not tx.terminated:
        now = min(tx.timers.values())
        actions = tx.handle_timer(now)
        if actions and actions[0][0] is TxAction.SEND:
            gaps.append(now - last)
            last = now
    assert gaps[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert actions[-1][0] is TxAction.TIMEOUT


def test_timer_e_in_proceeding_uses_t2() -> None:
    tx = new_tx(Kind.NON_INVITE_CLIENT)
    tx.receive_response(reply(tx.request, 100), 0.1)
    tx.handle_timer(0.5)
    assert tx.timers[Timer.E] == 0.5 + CFG.t2


def test_reliable_transport_arms_no_retransmit_and_zero_linger() -> None:
    tx = new_tx(Kind.INVITE_CLIENT, reliable=True)
    assert set(tx.timers) == {Timer.B}
    tx.receive_response(reply(tx.request, 486), 1.0)
    assert tx.timers == {Timer.D: 1.0}
    tx.handle_timer(1.0)
    assert tx.terminated


def test_non_2xx_final_generates_ack_and_resends_it() -> None:
    tx = new_tx(Kind.INVITE_CLIENT)
    actions = tx.receive_response(reply(tx.request, 486), 1.0)
    assert [a for a, _ in actions] == [TxAction.DELIVER, TxAction.SEND]
    ack = actions[1][1]
    assert isinstance(ack, Request)
    assert ack.method == "ACK"
    assert ack.cseq.seq == tx.request.cseq.seq
    assert ack.top_via.branch == tx.request.top_via.branch
    assert ack.to.tag == "b1"
    again = tx.receive_response(reply(tx.request, 486), 2.0)
    assert again == [(TxAction.SEND, ack)]
    assert tx.timers[Timer.D] == 1.0 + 32.0


def test_accepted_passes_2xx_retransmissions_up_until_m() -> None:
    tx = new_tx(Kind.INVITE_CLIENT)
    tx.receive_response(reply(tx.request, 200), 1.0)
    assert tx.state is State.ACCEPTED
    assert tx.receive_response(reply(tx.request, 200), 2.0)[0][0] is TxAction.DELIVER
    tx.handle_timer(1.0 + CFG.timeout)
    assert tx.terminated


def test_invite_server_sends_100_trying_after_200ms() -> None:
    tx = new_tx(Kind.INVITE_SERVER)
    assert tx.timers == {Timer.TRYING: 0.2}
    actions = tx.handle_timer(0.2)
    assert len(actions) == 1
    trying = actions[0][1]
    assert isinstance(trying, Response)
    assert trying.status == 100
    assert tx.receive_request(tx.request, 0.3) == [(TxAction.SEND, trying)]


def test_invite_server_no_trying_when_tu_answers_first() -> None:
    tx = new_tx(Kind.INVITE_SERVER)
    tx.send_response(reply(tx.request, 180), 0.1)
    assert Timer.TRYING not in tx.timers


def test_invite_server_retransmits_final_with_g_until_ack() -> None:
    tx = new_tx(Kind.INVITE_SERVER)
    final = reply(tx.request, 486)
    tx.send_response(final, 0.0)
    assert tx.handle_timer(0.5) == [(TxAction.SEND, final)]
    assert tx.timers[Timer.G] == 1.5
    tx.receive_request(ack_of(tx.request), 0.7)
    assert tx.state is State.CONFIRMED
    assert set(tx.timers) == {Timer.I}
    tx.handle_timer(0.7 + CFG.t4)
    assert tx.terminated


def test_invite_server_times_out_without_ack() -> None:
    tx = new_tx(Kind.INVITE_SERVER)
    tx.send_response(reply(tx.request, 486), 0.0)
    now = 0.0
    actions: list[tuple[TxAction, Request | Response]] = []
    while not tx.terminated:
        now = min(tx.timers.values())
        actions = tx.handle_timer(now)
    assert now == CFG.timeout
    assert actions[-1][0] is TxAction.TIMEOUT


def test_accepted_server_absorbs_invite_and_passes_ack() -> None:
    tx = new_tx(Kind.INVITE_SERVER)
    tx.send_response(reply(tx.request, 200), 0.0)
    assert tx.receive_request(tx.request, 0.1) == []
    ack = ack_of(tx.request)
    assert tx.receive_request(ack, 0.2) == [(TxAction.DELIVER, ack)]
    assert tx.timers == {Timer.L: CFG.timeout}


def test_non_invite_server_absorbs_and_lingers_j() -> None:
    tx = new_tx(Kind.NON_INVITE_SERVER)
    assert tx.receive_request(tx.request, 0.0) == []
    ok = reply(tx.request, 200)
    tx.send_response(ok, 1.0)
    assert tx.receive_request(tx.request, 2.0) == [(TxAction.SEND, ok)]
    assert tx.timers == {Timer.J: 1.0 + CFG.timeout}


def test_transport_error_reports_failure() -> None:
    tx = new_tx(Kind.NON_INVITE_CLIENT)
    actions = tx.transport_error(0.0)
    assert actions == [(TxAction.TRANSPORT_FAILED, tx.request)]
    assert tx.terminated


def test_timer_config_validates() -> None:
    from okc.sip import SipError

    with pytest.raises(SipError):
        TimerConfig(t1=5.0, t2=4.0)
    assert TimerConfig(t1=0.1).timeout == pytest.approx(6.4)
