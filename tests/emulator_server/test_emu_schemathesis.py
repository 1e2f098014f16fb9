"""schemathesis over the emulator's OpenAPI document (issue 4): bounded examples,
streams, ``/server/v1/ping`` and ``/_emulator/*`` excluded; no 5xx and no response
outside the envelope."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from kraty_pygame.emulator.app import create_app
from kraty_pygame.emulator.settings import EmulatorSettings
from tests.emulator_server.emu_http import CLIENT_KEY, PLAYER_42, PLAYER_42_SECRET, SERVER_KEY

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

EXCLUDED = r"(/stream$|^/server/v1/ping$|^/_emulator/)"


# One in-memory emulator app for the whole module (schemathesis loads schemas at import).
APP = create_app(EmulatorSettings(clock="manual", rng_seed=7))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path_regex=EXCLUDED)


def _envelope_problem(status: int, text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return f"not JSON: {text[:120]!r}"
    if not isinstance(body, dict):
        return f"not an object: {text[:120]!r}"
    if 200 <= status < 300 and "error" not in body:
        return None if list(body) == ["data"] else f"success keys {list(body)}"
    error = body.get("error")
    if list(body) != ["error"] or not isinstance(error, dict):
        return f"error keys {list(body)}"
    if not isinstance(error.get("code"), str) or not error["code"]:
        return "error.code is not a non-empty string"
    if not isinstance(error.get("message"), str):
        return "error.message is not a string"
    if "details" in error and not isinstance(error["details"], dict):
        return "error.details is not an object"
    return None


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_always_an_envelope(case: Any) -> None:
    path = case.operation.path
    if "external_id" in (case.path_parameters or {}) and hash(str(case.path_parameters)) % 2:
        case.path_parameters["external_id"] = PLAYER_42
    key = SERVER_KEY if path.startswith("/server/") else CLIENT_KEY
    response = case.call(
        headers={"authorization": f"Bearer {key}", "x-player-secret": PLAYER_42_SECRET}
    )
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
    problem = _envelope_problem(response.status_code, response.text)
    assert problem is None, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {problem}"
    )
