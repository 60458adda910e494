"""Shared test configuration: hypothesis profiles, test-data paths and external-program gates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = ROOT.parent / "shared" / "testdata"
TESTS_DATA = Path(__file__).resolve().parent / "data"

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# In CI every external program a test needs must be present: a missing one fails instead of skipping.
REQUIRE_INTEROP = os.environ.get("OKC_REQUIRE_INTEROP", "") not in ("", "0")


def require_program(name: str) -> str:
    """Return the path of an external program, or skip (locally) / fail (CI) when it is missing."""
    path = shutil.which(name)
    if path is None:
        if REQUIRE_INTEROP:
            pytest.fail(f"{name} is required (OKC_REQUIRE_INTEROP is set) but is not installed")
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    """The public test data folder (RFC 4475 and RFC 5118 messages) beside the project."""
    if not SHARED_TESTDATA.is_dir():
        if REQUIRE_INTEROP:
            pytest.fail(f"{SHARED_TESTDATA} is missing")
        pytest.skip("../shared/testdata is not beside the project")
    return SHARED_TESTDATA
