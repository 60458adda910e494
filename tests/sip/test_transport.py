"""The asyncio transports survive bad input: garbage datagrams, malformed requests, half-sent and
unframeable TCP streams; idle connections close."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from okc.sip.agent import UserAgent
from okc.sip.transport import TransportOptions
from okc.sip.ua_events import IncomingCall

_INVITE = (
    "INVITE sip:bob@{host}:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/{t} 127.0.0.1:9;branch=z9hG4bK{branch}{rport}\r\n"
    "Max-Forwards: {mf}\r\nFrom: <sip:raw@127.0.0.1>;tag=r1\r\nTo: <sip:bob@{host}>\r\n"
    "Call-ID: {branch}@raw\r\nCSeq: 1 INVITE\r\nContact: <sip:raw@127.0.0.1:9>\r\nContent-Length: 0\r\n\r\n"
)


def _invite(
    agent: UserAgent,
    *,
    transport: str = "UDP",
    branch: str = "a1",
    max_forwards: str = "70",
    rport: bool = True,
) -> bytes:
    host, port = agent.local
    rport_param = ";rport" if rport else ""
    text = _INVITE.format(
        host=host, port=port, t=transport, branch=branch, mf=max_forwards, rport=rport_param
    )
    return text.encode()


async def _udp_exchange(agent: UserAgent, payloads: list[bytes], replies: int) -> list[bytes]:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        for payload in payloads:
            sock.sendto(payload, agent.local)
        out = []
        for _ in range(replies):
            data = await asyncio.wait_for(loop.sock_recv(sock, 65535), 5)
            out.append(data)
        return out
    finally:
        sock.close()


def test_udp_garbage_is_dropped_and_a_malformed_request_answered_400() -> None:
    async def main() -> None:
        agent = await UserAgent.start()
        try:
            garbage = [b"", b"\x00" * 10, b"SIP/2.0 200 OK\r\n\r\n", b"INVITE\r\n\r\n", bytes(range(256)) * 8]
            (reply,) = await _udp_exchange(agent, [*garbage, _invite(agent, max_forwards="x")], 1)
            assert reply.startswith(b"SIP/2.0 400")
            host, port = agent.local
            other = await UserAgent.start()
            try:
                assert (await other.options(f"sip:bob@{host}:{port}")).status == 200  # still serving
            finally:
                await other.close()
        finally:
            await agent.close()

    asyncio.run(main())


def test_tcp_half_sent_message_waits_and_garbage_closes_only_its_connection() -> None:
    async def main() -> None:
        agent = await UserAgent.start(options=TransportOptions(kind="tcp"))
        try:
            host, port = agent.local
            invite = _invite(agent, transport="TCP", branch="h1")
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(invite[:100])
            await writer.drain()
            bad_reader, bad_writer = await asyncio.open_connection(host, port)
            bad_writer.write(b"INVITE sip:x SIP/2.0\r\nContent-Length: nope\r\n\r\n")
            await bad_writer.drain()
            assert await asyncio.wait_for(bad_reader.read(), 5) == b""  # closed by the server
            writer.write(invite[100:])
            await writer.drain()
            event = await agent.next_event(IncomingCall)
            assert isinstance(event, IncomingCall)
            agent.reject(event.call, 486)
            status = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
            assert status.startswith(b"SIP/2.0 486")
            writer.close()
            bad_writer.close()
        finally:
            await agent.close()

    asyncio.run(main())


def test_idle_tcp_connections_are_closed() -> None:
    async def main() -> None:
        agent = await UserAgent.start(options=TransportOptions(kind="tcp", idle_timeout=0.1))
        try:
            reader, writer = await asyncio.open_connection(*agent.local)
            writer.write(b"\r\n\r\n")  # a keep-alive, then silence
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 5) == b""
            assert agent.transport.connections == 0
            writer.close()
        finally:
            await agent.close()

    asyncio.run(main())


def test_a_tcp_request_to_a_udp_agent_is_answered_on_its_connection() -> None:
    async def main() -> None:
        agent = await UserAgent.start()  # UDP, with TCP beside it on the same port
        try:
            reader, writer = await asyncio.open_connection(*agent.local)
            writer.write(_invite(agent, transport="TCP", branch="t9", rport=False))
            await writer.drain()
            event = await agent.next_event(IncomingCall)
            assert isinstance(event, IncomingCall)
            agent.reject(event.call, 486)
            status = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
            assert status.startswith(b"SIP/2.0 486")
            writer.close()
        finally:
            await agent.close()

    asyncio.run(main())


def test_the_udp_socket_asks_for_a_large_receive_buffer() -> None:
    """Bursts wait in the kernel while the loop is busy; Linux reports twice what it granted."""
    rmem_max = (
        int(Path("/proc/sys/net/core/rmem_max").read_text()) if Path("/proc/sys/net/core").exists() else 0
    )

    async def run() -> tuple[int, int]:
        big = await UserAgent.start(options=TransportOptions(receive_buffer=1 << 20))
        off = await UserAgent.start(options=TransportOptions(receive_buffer=0))
        try:
            sizes = []
            for agent in (big, off):
                udp = agent.transport._udp
                assert udp is not None
                sizes.append(udp.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
            return sizes[0], sizes[1]
        finally:
            await big.close()
            await off.close()

    big, default = asyncio.run(run())
    assert big >= min(1 << 20, rmem_max or default)
    assert big >= default
