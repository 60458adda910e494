"""Calls per second with zero failures through `okc sip answer` under SIPp's `uac`, beside SIPp's own `uas`.

Each side runs pinned to its own core (SIPp on core 0, the answerer on core 1, via taskset when there are
two cores). The ladder raises the call rate (400, 800, then +400 or +800) for one second
per step until a step has a failed call, an unexpected message or does not finish in time; the figure is
the last clean step. The same
ladder runs against `sipp -sn uas` and against a bare stateless asyncio responder (200 to INVITE and BYE,
nothing else) in the same run for the ratios. Then long calls (-d) measure how many concurrent dialogs
okc holds without a failure.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from rich.console import Console

from benchmarks.report import Measurement, show

OKC = str(Path(sys.executable).with_name("okc"))
STEP_SECONDS = 1.0
LADDER = (400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 4000, 4800, 5600, 6400, 8000)


def _pin(core: int) -> list[str]:
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return []
    return [taskset, "-c", str(core)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_okc() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [*_pin(1), OKC, "sip", "answer", "--listen", "127.0.0.1:0", "--no-media", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line.rsplit(":", 1)[1])


_BARE_SDP = (
    b"v=0\r\no=bare 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
)
_COPIED = (b"via", b"v", b"from", b"f", b"to", b"t", b"call-id", b"i", b"cseq")


def bare_answer(data: bytes) -> bytes | None:
    """The peer's whole logic: 200 to INVITE (with SDP) and BYE, copying the five headers; no transactions,
    no retransmissions, no timers, no dialogs (the issue's "bare stateless asyncio responder")."""
    head, _, _ = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method = lines[0].split(b" ", 1)[0]
    if method not in (b"INVITE", b"BYE"):
        return None
    out = [b"SIP/2.0 200 OK"]
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name in _COPIED:
            tagless = name in (b"to", b"t") and b"tag=" not in line
            out.append(line + b";tag=bare" if tagless else line)
    body = _BARE_SDP if method == b"INVITE" else b""
    out += [b"Contact: <sip:bare@127.0.0.1>", b"Content-Type: application/sdp" if body else b"Allow: INVITE"]
    out.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def bare_responder() -> None:
    """Run the bare responder on a free UDP port, printing it (run in its own process by main)."""

    class Responder(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.DatagramTransport, transport)

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            reply = bare_answer(data)
            if reply is not None:
                self.transport.sendto(reply, addr)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Responder, local_addr=("127.0.0.1", 0))
        print(transport.get_extra_info("sockname")[1], flush=True)
        await loop.create_future()

    asyncio.run(serve())


def _start_bare() -> tuple[subprocess.Popen[str], int]:
    root = Path(__file__).resolve().parent.parent
    code = "from benchmarks.bench_sip_calls import bare_responder; bare_responder()"
    proc = subprocess.Popen(
        [*_pin(1), sys.executable, "-c", code],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def _start_sipp_uas(sipp: str, folder: Path) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [*_pin(1), sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin", "-bg"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    proc.wait(timeout=10)  # -bg: returns once the background SIPp listens
    time.sleep(0.3)
    return proc, port


def _uac(sipp: str, folder: Path, port: int, rate: int, calls: int, *, hold_ms: int = 0) -> bool:
    """Run SIPp's uac; True when every call succeeded with no failure or unexpected message."""
    for old in folder.glob("uac_*"):
        old.unlink()
    limit = max(calls, 100)
    run = subprocess.run(
        [*_pin(0), sipp, "-sn", "uac", "-r", str(rate), "-m", str(calls), "-l", str(limit),
         "-d", str(hold_ms), "-i", "127.0.0.1", "-p", str(_free_port()), "-trace_stat", "-fd", "1",
         "-nostdin",
         "-timeout", f"{int(calls / rate + hold_ms / 1000 + 6)}s", "-timeout_error",
         f"127.0.0.1:{port}"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    stats = list(folder.glob("uac_*_.csv"))
    if run.returncode != 0 or not stats:
        return False
    last = list(csv.DictReader(stats[0].read_text().splitlines(), delimiter=";"))[-1]
    return (
        int(last["SuccessfulCall(C)"]) == calls
        and int(last["FailedCall(C)"]) == 0
        and int(last["FailedUnexpectedMessage(C)"]) == 0
    )


def _ladder(console: Console, sipp: str, folder: Path, port: int, name: str) -> int:
    best = 0
    for rate in LADDER:
        ok = _uac(sipp, folder, port, rate, int(rate * STEP_SECONDS))
        console.print(f"  {name}: {rate} calls/s {'clean' if ok else 'FAILED'}")
        if not ok:
            break
        best = rate
    return best


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _kill_background_sipp(port: int) -> None:
    """Stop the -bg SIPp uas we started (found by its listening port, which only it holds)."""
    out = subprocess.run(["ss", "-Hulpn", f"sport = :{port}"], capture_output=True, text=True, check=False)
    for part in out.stdout.split("pid=")[1:]:
        pid = int(part.split(",", 1)[0])
        os.kill(pid, 15)


def main() -> None:
    """Print okc's clean call rate beside SIPp uas's, then the concurrent dialogs okc held."""
    console = Console()
    sipp = shutil.which("sipp")
    if sipp is None:
        console.print("sipp is not installed: skipping bench_sip_calls")
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        okc, okc_port = _start_okc()
        try:
            held = 0
            for concurrent in (8000, 4000):  # the larger first; the smaller only if it fails
                rate = 1000
                hold_ms = int(concurrent / rate * 1000) + 1000  # the first call still up when the last starts
                ok = _uac(sipp, folder, okc_port, rate, concurrent, hold_ms=hold_ms)
                console.print(
                    f"  okc sip answer: {concurrent} concurrent dialogs {'held' if ok else 'FAILED'}"
                )
                if ok:
                    held = concurrent
                    break
        finally:
            _stop(okc)
        okc, okc_port = _start_okc()  # a fresh answerer: the ladder ends by overloading it
        try:
            ours = _ladder(console, sipp, folder, okc_port, "okc sip answer")
        finally:
            _stop(okc)
        uas, uas_port = _start_sipp_uas(sipp, folder)
        try:
            peer = _ladder(console, sipp, folder, uas_port, "sipp uas")
        finally:
            _stop(uas)
            _kill_background_sipp(uas_port)
        bare, bare_port = _start_bare()
        try:
            stateless = _ladder(console, sipp, folder, bare_port, "bare asyncio responder")
        finally:
            _stop(bare)
    show(
        f"Calls/s with zero failures under SIPp uac on loopback ({STEP_SECONDS:g} s per step, rising)",
        Measurement("okc sip answer (UDP, transactions + timers)", ours, "calls/s"),
        [
            Measurement("SIPp -sn uas (C++)", peer, "calls/s"),
            Measurement("bare stateless asyncio responder (Python, no transactions)", stateless, "calls/s"),
        ],
        console,
    )
    show(
        "Concurrent dialogs held by okc sip answer (SIPp uac, long calls)",
        Measurement("okc sip answer", held, "dialogs"),
        [],
        console,
    )
