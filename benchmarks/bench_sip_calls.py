"""Calls per second with zero failures through `okc sip answer` under SIPp's `uac`, beside SIPp's own `uas`.

Each side runs pinned to its own core (SIPp on core 0, the answerer on core 1, via taskset when there are
two cores). A step is clean when every call succeeds with no unexpected message and no SIPp retransmission
(one means an answer came over T1 = 500 ms late: the answerer fell behind and was rescued by the retry).
The ladder doubles the rate from 500 calls/s (1 s steps, 0.5 s above 4,000 calls/s) until a step fails, then
bisects between the last clean and the first failed rate, restarting the answerer after each failure; the
figure is the highest clean rate. SIPp's achieved sending rate is read from -trace_stat (dumped every
100 ms): when it falls short of the target, the load generator is the limit, the figure is a lower bound
("≥ N") and the ratio becomes "okc ÷ peer ≤ x". The same ladder runs against `sipp -sn uas` and a bare
stateless asyncio responder (200 to INVITE and BYE, nothing else) in the same run. Then long calls (-d)
measure how many concurrent dialogs okc holds with every call successful (retransmissions are counted).
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table

from benchmarks.processes import free_udp_port, pin
from benchmarks.report import Measurement, show

OKC = str(Path(sys.executable).with_name("okc"))
FIRST_RATE = 500
TOP_RATE = 64_000  # far above any answerer here; reaching it clean makes the figure a lower bound too
BISECTIONS = 3
KEPT_UP = 0.9  # SIPp sent at least this share of the target rate, or the generator is the limit


def step_seconds(rate: int) -> float:
    """How long one ladder step sends for: shorter at high rates, so the whole ladder stays near a minute."""
    return 1.0 if rate <= 4000 else 0.5


@dataclass(frozen=True, slots=True)
class Step:
    """One ladder step: the target rate, whether every call succeeded at once (no failure, no unexpected
    message, no retransmission: one means an answer came over 500 ms late), and the rate SIPp sent at."""

    rate: int
    succeeded: bool
    sent_rate: float
    retransmissions: int

    @property
    def clean(self) -> bool:
        """Every call succeeded and no answer was late enough to make SIPp retransmit."""
        return self.succeeded and self.retransmissions == 0

    @property
    def generator_limited(self) -> bool:
        """SIPp uac could not send at the target rate, so this step says nothing about the answerer."""
        return self.sent_rate < KEPT_UP * self.rate


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The highest clean rate found, and whether it is only a lower bound (and why)."""

    rate: float
    limit: str = ""  # empty: a failure was found above `rate`; else why the true ceiling may be higher

    @property
    def lower_bound(self) -> bool:
        """True when the answerer never failed, so its real ceiling is at least `rate`."""
        return bool(self.limit)


@dataclass(frozen=True, slots=True)
class Running:
    """An answerer process we started and the UDP port it listens on."""

    proc: subprocess.Popen[str]
    port: int
    background_sipp: bool = False  # a `sipp -bg` whose server lives on after proc exits

    def stop(self) -> None:
        """End the process (and the background SIPp holding our port)."""
        _stop(self.proc)
        if self.background_sipp:
            _kill_background_sipp(self.port)


def _start_okc() -> Running:
    proc = subprocess.Popen(
        [*pin(1), OKC, "sip", "answer", "--listen", "127.0.0.1:0", "--no-media", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return Running(proc, int(line.rsplit(":", 1)[1]))


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


def _start_bare() -> Running:
    root = Path(__file__).resolve().parent.parent
    code = "from benchmarks.bench_sip_calls import bare_responder; bare_responder()"
    proc = subprocess.Popen(
        [*pin(1), sys.executable, "-c", code],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return Running(proc, int(proc.stdout.readline()))


def _start_sipp_uas(sipp: str, folder: Path) -> Running:
    port = free_udp_port()
    proc = subprocess.Popen(
        [*pin(1), sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin", "-bg"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    proc.wait(timeout=10)  # -bg: returns once the background SIPp listens
    time.sleep(0.3)
    return Running(proc, port, background_sipp=True)


def _uac(
    sipp: str, folder: Path, port: int, rate: int, calls: int, *, hold_ms: int = 0, grace: int = 6
) -> Step:
    """Run SIPp's uac: did every call succeed (no failure, no unexpected message), how fast did it send."""
    for old in folder.glob("uac_*"):
        old.unlink()
    limit = max(calls, 100)
    run = subprocess.run(
        [*pin(0), sipp, "-sn", "uac", "-r", str(rate), "-m", str(calls), "-l", str(limit),
         "-d", str(hold_ms), "-i", "127.0.0.1", "-p", str(free_udp_port()), "-trace_stat", "-fd", "100ms",
         "-nostdin",
         "-timeout", f"{int(calls / rate + hold_ms / 1000 + grace)}s", "-timeout_error",
         f"127.0.0.1:{port}"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    stats = list(folder.glob("uac_*_.csv"))
    if not stats:
        return Step(rate, False, 0.0, 0)
    rows = list(csv.DictReader(stats[0].read_text().splitlines(), delimiter=";"))
    last = rows[-1]
    succeeded = (
        run.returncode == 0
        and int(last["SuccessfulCall(C)"]) == calls
        and int(last["FailedCall(C)"]) == 0
        and int(last["FailedUnexpectedMessage(C)"]) == 0
    )
    return Step(rate, succeeded, sent_rate(rows, calls), int(last["Retransmissions(C)"]))


def _epoch(field: str) -> float:
    """The Unix time at the end of a -trace_stat time field ("date<TAB>time<TAB>epoch")."""
    return float(field.rsplit("\t", 1)[-1])


def sent_rate(rows: list[dict[str, str]], calls: int) -> float:
    """Calls/s SIPp actually started, from its -trace_stat rows: the best cumulative count over elapsed time
    among the dumps up to the first one after it had started them all (alone, that last is a lower bound)."""
    best = 0.0
    for row in rows:
        started = int(row["OutgoingCall(C)"])
        elapsed = _epoch(row["CurrentTime"]) - _epoch(row["StartTime"])
        if elapsed <= 0 or started == 0:
            continue
        best = max(best, started / elapsed)
        if started >= calls:
            break
    return best


def find_ceiling(step: Callable[[int], Step], report: Callable[[Step], None]) -> Ceiling:
    """Double the rate from FIRST_RATE until a step fails, then bisect BISECTIONS times between the last clean
    and the first failed rate. Stops early, with a lower bound, when SIPp itself cannot send fast enough."""
    clean = 0.0
    failed = 0
    rate = FIRST_RATE
    while not failed:
        if rate > TOP_RATE:
            return Ceiling(clean, f"clean at the top of the ladder ({TOP_RATE:,} calls/s)")
        outcome = step(rate)
        report(outcome)
        if outcome.generator_limited:
            return _limited(clean, outcome)
        if outcome.clean:
            clean, rate = rate, rate * 2
        else:
            failed = rate
    for _ in range(BISECTIONS):
        rate = int(round((clean + failed) / 2, -2))
        if not clean < rate < failed:
            break
        outcome = step(rate)
        report(outcome)
        if outcome.generator_limited:
            return _limited(clean, outcome)
        if outcome.clean:
            clean = rate
        else:
            failed = rate
    return Ceiling(clean)


def _limited(clean: float, outcome: Step) -> Ceiling:
    """The ceiling when SIPp fell behind: what it did send, if every call of it succeeded."""
    reached = max(clean, outcome.sent_rate) if outcome.clean else clean
    return Ceiling(
        reached,
        f"limited by the load generator (SIPp uac sent {outcome.sent_rate:,.0f} of {outcome.rate:,}/s)",
    )


def _ladder(console: Console, sipp: str, folder: Path, name: str, start: Callable[[], Running]) -> Ceiling:
    """Find one answerer's ceiling; a failed step leaves it overloaded (late retransmissions, transactions
    waiting out their timers), so the next step gets a fresh process."""
    answerer = [start()]

    def step(rate: int) -> Step:
        outcome = _uac(sipp, folder, answerer[0].port, rate, int(rate * step_seconds(rate)), grace=2)
        if not outcome.clean:
            answerer[0].stop()
            answerer[0] = start()
        return outcome

    def report(outcome: Step) -> None:
        verdict = "clean" if outcome.clean else "FAILED"
        console.print(
            f"  {name}: {outcome.rate:,} calls/s {verdict} "
            f"(SIPp sent {outcome.sent_rate:,.0f}/s, {outcome.retransmissions} retransmissions)"
        )

    try:
        return find_ceiling(step, report)
    finally:
        answerer[0].stop()


def _figure(ceiling: Ceiling) -> str:
    return f"≥ {ceiling.rate:,.0f}" if ceiling.lower_bound else f"{ceiling.rate:,.0f}"


def show_ceilings(ours: tuple[str, Ceiling], peers: list[tuple[str, Ceiling]], console: Console) -> None:
    """Print the clean call rates and okc ÷ peer; "≤ x" when the peer's figure is only a lower bound, "≥ x"
    when okc's is (and "?" when both are)."""
    table = Table(
        title="Calls/s with zero failures under SIPp uac on loopback (doubling ladder, then bisection)"
    )
    for column in ("implementation", "calls/s", "okc ÷ peer", "limit"):
        table.add_column(column, justify="right" if column in ("calls/s", "okc ÷ peer") else "left")
    name, mine = ours
    table.add_row(name, _figure(mine), "1.00×", mine.limit or "failures above this")
    for peer_name, peer in peers:
        if peer.rate == 0 or mine.rate == 0:
            ratio = "n/a"
        elif mine.lower_bound and peer.lower_bound:
            ratio = "?"
        else:
            bound = "≤ " if peer.lower_bound else "≥ " if mine.lower_bound else ""
            ratio = f"{bound}{mine.rate / peer.rate:.2f}×"
        table.add_row(peer_name, _figure(peer), ratio, peer.limit or "failures above this")
    console.print(table)


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
        okc = _start_okc()
        try:
            held = 0
            for concurrent in (8000, 4000):  # the larger first; the smaller only if it fails
                rate = 1000
                hold_ms = int(concurrent / rate * 1000) + 1000  # the first call still up when the last starts
                outcome = _uac(sipp, folder, okc.port, rate, concurrent, hold_ms=hold_ms)
                verdict = "held" if outcome.succeeded else "FAILED"
                console.print(
                    f"  okc sip answer: {concurrent} concurrent dialogs {verdict}"
                    f" ({outcome.retransmissions} retransmissions)"
                )
                if outcome.succeeded:
                    held = concurrent
                    break
        finally:
            okc.stop()
        ours = _ladder(console, sipp, folder, "okc sip answer", _start_okc)
        peer = _ladder(console, sipp, folder, "sipp uas", lambda: _start_sipp_uas(sipp, folder))
        stateless = _ladder(console, sipp, folder, "bare asyncio responder", _start_bare)
    show_ceilings(
        ("okc sip answer (UDP, transactions + timers)", ours),
        [
            ("SIPp -sn uas (C++)", peer),
            ("bare stateless asyncio responder (Python, no transactions)", stateless),
        ],
        console,
    )
    show(
        "Concurrent dialogs held by okc sip answer (SIPp uac, long calls)",
        Measurement("okc sip answer", held, "dialogs"),
        [],
        console,
    )
