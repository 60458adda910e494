"""Registrations per second with zero failures through okc's RegistrarServer under SIPp, beside SIPp itself.

One "call" of tests/interop/scenarios/register_auth.xml is a full digest registration and removal: four
REGISTERs (401, 200 with the binding, 401, 200 for `Contact: *`). The ladder raises SIPp's rate for two
seconds per step until a step fails or does not finish in time; the figure is the last clean step. The same
ladder runs against SIPp playing the registrar (scenarios/registrar_uas.xml, which checks the digest with
verifyauth) in the same run for the ratio. SIPp runs on core 0 and the registrar on core 1 (taskset).
"""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from benchmarks.processes import free_udp_port, pin
from benchmarks.report import Measurement, show
from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip.registrar import Account, Registrar
from okc.sip.registrar_server import RegistrarServer
from okc.sip.security import AuthBan, BanSettings, RequestGate
from okc.sip.transport import TransportOptions

SCENARIOS = Path(__file__).resolve().parent.parent / "tests" / "interop" / "scenarios"
STEP_SECONDS = 2.0
LADDER = (200, 400, 800, 1200, 1600, 2400, 3200, 4800, 6400)
REALM = "okc.test"


async def _serve() -> None:
    rng = random.Random(1)
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    registrar = Registrar(REALM, [account], rng.randbytes(32), rng)
    ban = AuthBan(BanSettings(max_failures=10**9))
    gate = RequestGate(registrar.proxy_digest(rng.randbytes(32)), ban=ban)
    options = TransportOptions(tcp_fallback=False)
    server = await RegistrarServer.start(registrar, gate, rng=rng, options=options)
    server.on_event(lambda event: None)  # the benchmark does not keep events
    print(server.local[1], flush=True)
    await asyncio.Event().wait()


def serve() -> None:
    """Run okc's RegistrarServer on a free loopback port until killed; print the port first."""
    asyncio.run(_serve())


def _start_okc() -> tuple[subprocess.Popen[str], int]:
    code = "from benchmarks.bench_sip_register import serve; serve()"
    proc = subprocess.Popen(
        [*pin(1), sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def _start_sipp_registrar(sipp: str, folder: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_udp_port()
    proc = subprocess.Popen(
        [*pin(1), sipp, "-sf", str(SCENARIOS / "registrar_uas.xml"), "-key", "user", "alice", "-key",
         "password", "wonder", "-i", "127.0.0.1", "-p", str(port), "-nostdin"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    return proc, port


def _clients(sipp: str, folder: Path, port: int, rate: int) -> bool:
    """SIPp registering for STEP_SECONDS at `rate`/s; True when every registration succeeded in time."""
    calls = int(rate * STEP_SECONDS)
    try:
        run = subprocess.run(
            [*pin(0), sipp, "-sf", str(SCENARIOS / "register_auth.xml"), "-s", "alice", "-au", "alice",
             "-ap", "wonder", "-r", str(rate), "-m", str(calls), "-l", str(max(calls, 100)),
             "-i", "127.0.0.1", "-p", str(free_udp_port()), "-nostdin",
             "-timeout", f"{int(STEP_SECONDS + 4)}s", "-timeout_error", f"127.0.0.1:{port}"],
            check=False, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=STEP_SECONDS + 10,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False
    return run.returncode == 0


def _ladder(step: Callable[[int], bool]) -> int:
    best = 0
    for rate in LADDER:
        if not step(rate):
            break
        best = rate
    return best


def main() -> None:
    """Run both ladders and print registrations/s (four REGISTERs each) with the ratio."""
    sipp = shutil.which("sipp")
    console = Console()
    if sipp is None:
        console.print("sipp is not installed: skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        okc, okc_port = _start_okc()
        try:
            ours = _ladder(lambda rate: _clients(sipp, folder, okc_port, rate))
        finally:
            okc.kill()
            okc.wait()
        uas, uas_port = _start_sipp_registrar(sipp, folder)
        try:
            theirs = _ladder(lambda rate: _clients(sipp, folder, uas_port, rate))
        finally:
            uas.kill()
            uas.wait()
    show(
        "digest registrations (REGISTER 401/200 + removal 401/200) per second, zero failures",
        Measurement("okc RegistrarServer (Python, 1 core)", ours, "registrations/s"),
        [Measurement("SIPp as registrar (C++, verifyauth)", theirs, "registrations/s")],
        console,
    )


if __name__ == "__main__":
    main()
