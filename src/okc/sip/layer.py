"""The sans-I/O transaction layer (RFC 3261 §17-18): matching, stamping, timers, events and datagrams.

Feed it what the transport received (`receive(data, address, now)`), what the TU sends
(`send_request`, `send_response`, `send_stateless`) and the clock (`handle_timer(now)`); drain
`events()` for the TU and `datagrams()` for the transport; arm a timer at `get_timer()`.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

from okc.sip.errors import SipParseError, SipStateError
from okc.sip.headers import Headers, Via, canonical_key, split_list
from okc.sip.message import Request, Response, parse_message, response_to
from okc.sip.timers import TimerConfig
from okc.sip.transaction import Kind, Transaction, TxAction
from okc.sip.validate import answer_unparseable

__all__ = [
    "Address",
    "Datagram",
    "MessageDropped",
    "RequestReceived",
    "ResponseReceived",
    "StrayResponse",
    "TransactionKey",
    "TransactionLayer",
    "TransactionTerminated",
    "TransactionTimedOut",
    "TransportFailed",
    "TxEvent",
]

MAGIC_COOKIE = "z9hG4bK"
Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class TransactionKey:
    """Identifies a transaction: branch, sent-by (server side) and method (ACK counts as INVITE)."""

    branch: str
    sent_by: str
    method: str
    server: bool


@dataclass(frozen=True, slots=True)
class Datagram:
    """Bytes for the transport to send to address."""

    data: bytes
    address: Address


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A new request for the TU (key None: an ACK for a 2xx, which has no transaction of its own).

    `cancels` is the INVITE server transaction a CANCEL matches (§9.2), if any.
    """

    request: Request
    source: Address
    key: TransactionKey | None
    cancels: TransactionKey | None = None


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """A response for one of the TU's client transactions."""

    response: Response
    key: TransactionKey


@dataclass(frozen=True, slots=True)
class StrayResponse:
    """A response matching no transaction (e.g. a 2xx retransmission after Timer M): the UA may re-ACK."""

    response: Response
    source: Address


@dataclass(frozen=True, slots=True)
class TransactionTimedOut:
    """Timer B, F or H fired: the TU treats it as a 408 (client) or a missing ACK (server)."""

    key: TransactionKey
    request: Request


@dataclass(frozen=True, slots=True)
class TransportFailed:
    """The transport reported an error for this transaction (the TU treats it as a 503)."""

    key: TransactionKey
    request: Request


@dataclass(frozen=True, slots=True)
class TransactionTerminated:
    """The transaction is gone."""

    key: TransactionKey


@dataclass(frozen=True, slots=True)
class MessageDropped:
    """Input that was discarded (unparseable, a malformed response) and why."""

    reason: str
    source: Address


TxEvent = (
    RequestReceived
    | ResponseReceived
    | StrayResponse
    | TransactionTimedOut
    | TransportFailed
    | TransactionTerminated
    | MessageDropped
)


def server_key(request: Request) -> TransactionKey:
    """§17.2.3 matching key of a request; the RFC 2543 fallback when the branch lacks the magic cookie."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE) and len(branch) > len(MAGIC_COOKIE):
        return TransactionKey(branch, f"{via.host}:{via.port or ''}", method, server=True)
    legacy = "|".join(
        (str(request.uri), request.from_.tag or "", request.call_id, str(request.cseq.seq), str(via))
    )
    return TransactionKey("", legacy, method, server=True)


def client_key(branch: str, method: str) -> TransactionKey:
    """§17.1.3 matching key: top Via branch and CSeq method."""
    return TransactionKey(branch, "", method, server=False)


def stamp_via(request: Request, source: Address) -> Request:
    """Add received (§18.2.1) and fill rport (RFC 3581) in the top Via from the packet's source."""
    via = request.top_via
    params = via.params
    if via.host.strip("[]") != source[0] or via.rport_requested:
        params = params.with_param("received", source[0])
    if via.rport_requested:
        params = params.with_param("rport", str(source[1]))
    if params == via.params:
        return request
    fields = list(request.headers.fields)
    for pos, (name, value) in enumerate(fields):
        if canonical_key(name) == "via":
            items = split_list(value)
            items[0] = str(via.with_params(params))
            fields[pos] = (name, ", ".join(items))
            break
    return request.replace(headers=Headers(fields))


def response_address(response: Response, fallback: Address) -> Address:
    """Where an unreliable transport sends a response (§18.2.2, RFC 3581)."""
    via: Via = response.top_via
    maddr = via.params.get("maddr")
    if maddr:
        return maddr, via.port or 5060
    host = via.received or via.host.strip("[]")
    port = via.rport or via.port or 5060
    if via.rport_requested and via.rport is None:
        return fallback
    return host, port


class TransactionLayer:
    """All transactions of one SIP endpoint, sans-I/O."""

    def __init__(self, config: TimerConfig | None = None, *, reliable: bool = False) -> None:
        self.config = config or TimerConfig()
        self.reliable = reliable
        self._transactions: dict[TransactionKey, Transaction] = {}
        self._addresses: dict[TransactionKey, Address] = {}
        self._events: list[TxEvent] = []
        self._datagrams: list[Datagram] = []
        # (deadline, n, key) for every armed transaction; stale entries are skipped when they surface,
        # so get_timer and handle_timer cost O(log n) per timer instead of a scan of every transaction.
        self._deadlines: list[tuple[float, int, TransactionKey]] = []
        self._order = itertools.count()

    def _index(self, key: TransactionKey) -> None:
        tx = self._transactions.get(key)
        deadline = tx.next_deadline() if tx is not None else None
        if deadline is not None:
            heapq.heappush(self._deadlines, (deadline, next(self._order), key))

    def _top(self) -> tuple[float, TransactionKey] | None:
        heap = self._deadlines
        while heap:
            deadline, _, key = heap[0]
            tx = self._transactions.get(key)
            if tx is not None and tx.next_deadline() == deadline:
                return deadline, key
            heapq.heappop(heap)
        return None

    # --- outputs -------------------------------------------------------------------------------------

    def events(self) -> list[TxEvent]:
        """Take every event produced so far, in order."""
        out, self._events = self._events, []
        return out

    def datagrams(self) -> list[Datagram]:
        """Take every datagram to send, in order."""
        out, self._datagrams = self._datagrams, []
        return out

    def get_timer(self) -> float | None:
        """The earliest deadline of any transaction, or None."""
        top = self._top()
        return None if top is None else top[0]

    def __len__(self) -> int:
        return len(self._transactions)

    def transaction_keys(self) -> tuple[TransactionKey, ...]:
        """The keys of every live transaction."""
        return tuple(self._transactions)

    def state_of(self, key: TransactionKey) -> Transaction | None:
        """The live transaction for key, if any."""
        return self._transactions.get(key)

    # --- inputs --------------------------------------------------------------------------------------

    def send_request(self, request: Request, address: Address, now: float) -> TransactionKey:
        """Start a client transaction for request (its top Via must carry a fresh z9hG4bK branch)."""
        if request.method == "ACK":
            raise SipParseError("an ACK has no client transaction: use send_stateless", None)
        branch = request.top_via.branch
        if not branch or not branch.startswith(MAGIC_COOKIE):
            raise SipParseError("a request needs a z9hG4bK branch in its top Via", None)
        key = client_key(branch, request.method)
        tx = Transaction.client(request, now, reliable=self._reliable(request), config=self.config)
        self._transactions[key] = tx
        self._addresses[key] = address
        self._index(key)
        self._datagrams.append(Datagram(bytes(request), address))
        return key

    def send_stateless(self, message: Request | Response, address: Address) -> None:
        """Send without a transaction (ACK for 2xx, 2xx retransmissions by the TU)."""
        self._datagrams.append(Datagram(bytes(message), address))

    def send_response(self, response: Response, now: float) -> None:
        """Answer through the server transaction the response's Via and CSeq match.

        Raises SipStateError when that transaction cannot send it (a second final response).
        """
        via = response.top_via
        branch = via.branch or ""
        key: TransactionKey | None = TransactionKey(
            branch, f"{via.host}:{via.port or ''}", response.cseq.method, server=True
        )
        if key not in self._transactions:
            key = None
            for candidate, tx in self._transactions.items():  # RFC 2543 peers: compare the whole Via
                if (
                    candidate.server
                    and not candidate.branch
                    and tx.request.headers.get_all("via")[:1] == response.headers.get_all("via")[:1]
                    and tx.request.cseq == response.cseq
                    and tx.request.call_id == response.call_id
                ):
                    key = candidate
                    break
        if key is None:
            self._datagrams.append(Datagram(bytes(response), response_address(response, ("", 0))))
            return
        self._run(key, self._transactions[key].send_response(response, now), now)

    def transport_error(self, key: TransactionKey, now: float) -> None:
        """The transport failed to send this transaction's last message."""
        tx = self._transactions.get(key)
        if tx is None:
            return
        try:
            actions = tx.transport_error(now)
        except SipStateError:
            return  # the state has nothing more to send: a late error changes nothing
        self._run(key, actions, now)

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at now."""
        while (top := self._top()) is not None and top[0] <= now:
            heapq.heappop(self._deadlines)
            key = top[1]
            self._run(key, self._transactions[key].handle_timer(now), now)

    def receive(self, data: bytes, source: Address, now: float) -> None:
        """A datagram (or a framed stream message) arrived from source."""
        try:
            message = parse_message(data)
        except SipParseError as exc:
            # RFC 4475: a request whose Request-Line or Content-Length is broken still gets its 400 when
            # the lines a response copies can be read; anything else is dropped.
            answer = answer_unparseable(data, exc)
            if answer is None:
                self._events.append(MessageDropped(str(exc), source))
            else:
                self._datagrams.append(Datagram(bytes(answer), source))
            return
        self.receive_message(message, source, now)

    def receive_message(self, message: Request | Response, source: Address, now: float) -> None:
        """A parsed message arrived from source."""
        try:
            _ = (message.top_via, message.cseq, message.call_id, message.from_, message.to)
        except SipParseError as exc:
            if isinstance(message, Request) and message.method != "ACK" and "via" in message.headers:
                self._reject(message, source, exc)
            else:
                self._events.append(MessageDropped(str(exc), source))
            return
        if isinstance(message, Response):
            self._receive_response(message, source, now)
        else:
            self._receive_request(stamp_via(message, source), source, now)

    def abandon(self, key: TransactionKey) -> None:
        """Destroy a transaction no message can end (RFC 3261 §9.1: an INVITE client transaction left in
        Proceeding 64*T1 after our CANCEL), silently: no event, no datagram. Unknown keys are ignored."""
        self._transactions.pop(key, None)
        self._addresses.pop(key, None)

    # --- internals -----------------------------------------------------------------------------------

    def _reliable(self, request: Request) -> bool:
        """Per transaction (§17.1.1.2, §18): reliable when the layer is, or when the top Via names a stream
        transport — what we send over TCP/TLS (a UDP agent's fallback) or what reached us over one."""
        return self.reliable or request.top_via.transport.upper() not in ("UDP", "DTLS-UDP")

    def _reject(self, request: Request, source: Address, exc: SipParseError) -> None:
        try:
            response = response_to(request, exc.status or 400, exc.reason)
            self._datagrams.append(Datagram(bytes(response), source))
        except SipParseError:
            self._events.append(MessageDropped(str(exc), source))

    def _receive_response(self, response: Response, source: Address, now: float) -> None:
        key = client_key(response.top_via.branch or "", response.cseq.method)
        tx = self._transactions.get(key)
        if tx is None:
            self._events.append(StrayResponse(response, source))
            return
        try:
            actions = tx.receive_response(response, now)
        except SipStateError as exc:
            self._events.append(MessageDropped(str(exc), source))
            return
        self._run(key, actions, now)

    def _receive_request(self, request: Request, source: Address, now: float) -> None:
        key = server_key(request)
        tx = self._transactions.get(key)
        if tx is not None and (request.method != "ACK" or tx.kind is Kind.INVITE_SERVER):
            try:
                actions = tx.receive_request(request, now)
            except SipStateError as exc:  # e.g. an ACK before any final response
                self._events.append(MessageDropped(str(exc), source))
                return
            self._run(key, actions, now)
            return
        if request.method == "ACK":
            self._events.append(RequestReceived(request, source, None))
            return
        tx = Transaction.server(request, now, reliable=self._reliable(request), config=self.config)
        self._transactions[key] = tx
        self._addresses[key] = source
        self._index(key)
        cancels = None
        if request.method == "CANCEL":
            invite_key = TransactionKey(key.branch, key.sent_by, "INVITE", server=True)
            if invite_key in self._transactions:
                cancels = invite_key
        self._events.append(RequestReceived(request, source, key, cancels))

    def _run(
        self, key: TransactionKey, actions: list[tuple[TxAction, Request | Response]], now: float
    ) -> None:
        tx = self._transactions[key]
        address = self._addresses[key]
        for action, message in actions:
            if action is TxAction.SEND:
                if isinstance(message, Response) and not tx.reliable:
                    target = response_address(message, address)
                else:
                    target = address
                self._datagrams.append(Datagram(bytes(message), target))
            elif action is TxAction.DELIVER:
                if isinstance(message, Response):
                    self._events.append(ResponseReceived(message, key))
                else:
                    self._events.append(RequestReceived(message, address, None))
            elif action is TxAction.TIMEOUT:
                self._events.append(TransactionTimedOut(key, tx.request))
            else:
                self._events.append(TransportFailed(key, tx.request))
        if tx.terminated:
            del self._transactions[key]
            del self._addresses[key]
            self._events.append(TransactionTerminated(key))
        else:
            self._index(key)
