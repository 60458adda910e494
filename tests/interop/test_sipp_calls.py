"""SIPp against okc's user agent: SIPp's built-in `uac` calls `okc sip answer` (UDP and TCP), and SIPp's
built-in `uas` answers okc's `UserAgent.call`: zero failed calls, zero unexpected messages."""

from __future__ import annotations

import asyncio
import csv
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from okc.sip.agent import UserAgent
from okc.sip.sdp import LocalMedia, make_offer
from okc.sip.ua_events import CallAnswered, CallEnded, CallFailed, CallRef
from tests.conftest import require_program

pytestmark = pytest.mark.interop

OKC = str(Path(sys.executable).with_name("okc"))


def _free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _last_stats(folder: Path) -> dict[str, str]:
    """The last row of SIPp's -trace_stat CSV (semicolon separated)."""
    (path,) = folder.glob("*_.csv")
    rows = list(csv.DictReader(path.read_text().splitlines(), delimiter=";"))
    return rows[-1]


@pytest.mark.parametrize(("transport", "calls", "rate"), [("udp", 200, 50), ("tcp", 100, 50)])
def test_sipp_uac_calls_okc_sip_answer(tmp_path: Path, transport: str, calls: int, rate: int) -> None:
    sipp = require_program("sipp")
    answer = subprocess.Popen(
        [OKC, "sip", "answer", "--listen", "127.0.0.1:0", "--transport", transport, "--no-media", "--quiet",
         "--max-calls", str(calls)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert answer.stdout is not None
        line = answer.stdout.readline()
        assert line.startswith(f"listening on {transport} 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        flag = "u1" if transport == "udp" else "t1"
        run = subprocess.run(
            [sipp, "-sn", "uac", "-m", str(calls), "-r", str(rate), "-t", flag, "-i", "127.0.0.1",
             "-p", str(_free_port(socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM)),
             "-trace_stat", "-trace_err", "-fd", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
             f"127.0.0.1:{port}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        errors = "".join(p.read_text() for p in tmp_path.glob("*_errors.log"))
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:] + errors[-2000:]
        stats = _last_stats(tmp_path)
        assert int(stats["SuccessfulCall(C)"]) == calls
        assert int(stats["FailedCall(C)"]) == 0
        assert int(stats["FailedUnexpectedMessage(C)"]) == 0
        assert int(stats["OutOfCallMsgs(C)"]) == 0
        assert int(stats["Retransmissions(C)"]) == 0
        out, err = answer.communicate(timeout=20)
        assert out.strip().endswith(f"{calls} calls, 0 failed"), out[-500:] + err[-2000:]
    finally:
        if answer.poll() is None:
            answer.kill()
            answer.communicate()


class _Caller:
    """Places calls and awaits each one's outcome (answered, failed or ended), routed by call."""

    def __init__(self, agent: UserAgent) -> None:
        self.agent = agent
        self.outcomes: dict[CallRef, asyncio.Future[object]] = {}
        agent.on_event(self._route)

    def _future(self, ref: CallRef) -> asyncio.Future[object]:
        return self.outcomes.setdefault(ref, asyncio.get_running_loop().create_future())

    def _route(self, event: object) -> None:
        if isinstance(event, CallAnswered | CallFailed | CallEnded):
            future = self._future(event.call)
            if not future.done():
                future.set_result(event)

    async def call(self, port: int, media_port: int) -> bool:
        offer = make_offer(LocalMedia("127.0.0.1", media_port, media_port))
        ref = await self.agent.call(f"sip:service@127.0.0.1:{port}", sdp=offer)
        outcome = await asyncio.wait_for(self._future(ref), 30)
        if not isinstance(outcome, CallAnswered):
            return False
        self.agent.hangup(ref)
        return True


def test_sipp_uas_answers_okc_user_agent_calls(tmp_path: Path) -> None:
    sipp = require_program("sipp")
    calls = 200
    port = _free_port()
    uas = subprocess.Popen(
        [sipp, "-sn", "uas", "-m", str(calls), "-i", "127.0.0.1", "-p", str(port),
         "-trace_stat", "-trace_err", "-fd", "1", "-timeout", "50s", "-timeout_error", "-nostdin", "-bg"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    uas.communicate(timeout=10)  # -bg: the foreground process exits once SIPp listens

    async def main() -> list[bool]:
        agent = await UserAgent.start()
        caller = _Caller(agent)
        limit = asyncio.Semaphore(20)

        async def limited(n: int) -> bool:
            async with limit:
                return await caller.call(port, 30000 + 2 * (n % 100))

        try:
            return await asyncio.gather(*(limited(n) for n in range(calls)))
        finally:
            await asyncio.sleep(0.5)  # let the last BYEs be answered
            await agent.close()

    results = asyncio.run(main())
    assert all(results), results.count(False)
    for _ in range(100):  # SIPp exits once its -m calls are done
        stats = _last_stats(tmp_path) if list(tmp_path.glob("*_.csv")) else {}
        if stats and int(stats["SuccessfulCall(C)"]) == calls:
            break
        time.sleep(0.1)
    errors = "".join(p.read_text() for p in tmp_path.glob("*_errors.log"))
    assert int(stats["SuccessfulCall(C)"]) == calls, errors[-2000:]
    assert int(stats["FailedCall(C)"]) == 0
    assert int(stats["FailedUnexpectedMessage(C)"]) == 0
