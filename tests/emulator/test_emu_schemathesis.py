"""schemathesis over the emulator's OpenAPI document, sent over real HTTP.

Besides the bodies and queries the schema describes, about half of the examples are
made hostile: every number in the body becomes ``NaN``, ``±Infinity``, an overflowing
literal or an integer past 2**63, or a field holds JSON nested hundreds of levels
deep; query values become the same as text. Streams and ``/server/v1/ping`` are
excluded here; the control plane, hidden from the schema, gets its own hypothesis test
below. Every answer must be the envelope, valid JSON without ``NaN`` / ``Infinity``,
and never an undocumented 5xx (only injected faults and ``no_leaderboard`` are).
"""

from __future__ import annotations

import http.client
import json
import re
import uuid
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet

from kraty_pygame.emulator.app import create_app
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.emulator.settings import EmulatorSettings
from tests.support.emu_http import (
    CLIENT_KEY,
    PLAYER_42,
    PLAYER_42_SECRET,
    SERVER_KEY,
    RawClient,
)
from tests.support.security_http import address, strict_json

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

EXCLUDED = r"(/stream$|^/server/v1/ping$|^/_emulator/)"

#: 5xx codes the emulator documents; anything else (``internal_error``) is a bug.
DOCUMENTED_5XX = frozenset({"no_leaderboard", "service_unavailable"})

_SCHEMA_APP = create_app(EmulatorSettings(clock="manual", rng_seed=7))
schema = schemathesis.openapi.from_dict(_SCHEMA_APP.openapi()).exclude(path_regex=EXCLUDED)
_SCHEMA_APP.state.runtime.close()

# ---------------------------------------------------------------- hostile values

_DEEP = re.compile(r'"__deep_(\d+)__"')

HOSTILE_NUMBERS: st.SearchStrategy[Any] = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        1e308,
        -1e308,
        2**53,
        2**62,
        2**63,
        -(2**63) - 1,
        2**64,
        10**30,
        10**400,
    ]
)
#: A placeholder that :func:`dumps` expands into JSON nested that many levels.
DEEP: st.SearchStrategy[str] = st.integers(min_value=65, max_value=5000).map(
    lambda n: f"__deep_{n}__"
)
HOSTILE_TEXT = st.sampled_from(
    ["NaN", "nan", "inf", "-Infinity", "1e999", "99999999999999999999", "-9223372036854775809"]
)


def dumps(value: Any) -> bytes:
    """JSON with ``NaN`` / ``Infinity`` allowed and deep placeholders expanded."""
    text = json.dumps(value, allow_nan=True)
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text).encode()


def _poison(value: Any, number: Any) -> tuple[Any, bool]:
    """``value`` with every number replaced by ``number``; True when one was."""
    if isinstance(value, bool):
        return value, False
    if isinstance(value, int | float):
        return number, True
    if isinstance(value, dict):
        hit = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key], found = _poison(item, number)
            hit = hit or found
        return out, hit
    if isinstance(value, list):
        pairs = [_poison(item, number) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def _with_number(body: Any, number: Any, field: str) -> Any:
    poisoned, hit = _poison(body, number)
    if hit or not isinstance(poisoned, dict):
        return poisoned
    return {**poisoned, field: number}


def hostile_body(body: Any) -> st.SearchStrategy[Any]:
    """``body`` as generated, or with hostile numbers / deep JSON put into it."""
    fields = sorted(body) if isinstance(body, dict) and body else ["value"]
    numbers = st.builds(
        _with_number, st.just(body), HOSTILE_NUMBERS, st.sampled_from([*fields, "amount"])
    )
    deep = st.builds(
        lambda field, deep_value: (
            {**body, field: deep_value} if isinstance(body, dict) else deep_value
        ),
        st.sampled_from(fields),
        DEEP,
    )
    return st.one_of(st.just(body), numbers, deep)


def hostile_query(query: Any) -> st.SearchStrategy[Any]:
    if not isinstance(query, dict) or not query:
        return st.just(query)
    return st.one_of(
        st.just(query),
        st.builds(
            lambda key, text: {**query, key: text}, st.sampled_from(sorted(query)), HOSTILE_TEXT
        ),
    )


@schema.hook("flatmap_body")
def _flatmap_body(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
    del ctx
    return hostile_body(body)


@schema.hook("flatmap_query")
def _flatmap_query(ctx: Any, query: Any) -> st.SearchStrategy[Any]:
    del ctx
    return hostile_query(query)


# ---------------------------------------------------------------- the checks


@pytest.fixture(scope="module")
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(clock="manual", rng_seed=7) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def known(emu: EmbeddedEmulator) -> dict[str, str]:
    """Ids that exist, so hostile bodies reach the handlers instead of a 404."""
    client = RawClient(emu.base_url)
    try:
        started = client.post(
            f"/sdk/v1/players/{PLAYER_42}/events/daily_duel/start", secret=PLAYER_42_SECRET
        )
        assert started.status == 201, started.body
        attempt = started.data["attempt"]
    finally:
        client.close()
    return {
        "external_id": PLAYER_42,
        "event_key": "daily_duel",
        "attempt_id": attempt["id"],
        "leaderboard_id": attempt["leaderboardId"],
        "economy_key": "gold",
        "item_key": "health_potion",
        "board": "weekly_global",
    }


def send(
    emu: EmbeddedEmulator,
    method: str,
    target: str,
    body: bytes | None,
    headers: dict[str, str],
) -> tuple[int, bytes]:
    host, port = address(emu.base_url)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        sent = {"accept": "application/json", **headers}
        if body is not None:
            sent["content-type"] = "application/json"
        conn.request(method, target, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def envelope_problem(status: int, raw: bytes) -> str | None:
    try:
        body = strict_json(raw)
    except ValueError:
        return f"not strict JSON: {raw[:120]!r}"
    if not isinstance(body, dict):
        return f"not an object: {raw[:120]!r}"
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
    if status >= 500 and error["code"] not in DOCUMENTED_5XX:
        return f"undocumented {status} {error['code']}"
    return None


def _encoded(body: Any) -> bytes | None:
    if body is None or isinstance(body, NotSet):
        return None
    if isinstance(body, bytes):
        return body
    return dumps(body)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_undocumented_5xx_and_always_an_envelope(
    case: Any, emu: EmbeddedEmulator, known: dict[str, str]
) -> None:
    path = case.operation.path
    params = case.path_parameters or {}
    if params and zlib.crc32(repr(sorted(params.items())).encode()) % 3:
        for name in params:  # two examples in three use ids that exist
            if name in known:
                params[name] = known[name]
        if "economy_key" in params and path.endswith("/progress"):
            params["economy_key"] = "xp"
    key = SERVER_KEY if path.startswith("/server/") else CLIENT_KEY
    target = case.formatted_path
    if case.query:
        target += "?" + urlencode(case.query, doseq=True)
    body = _encoded(case.body) if case.method not in ("GET", "HEAD") else None
    status, raw = send(
        emu,
        case.method,
        target,
        body,
        {"authorization": f"Bearer {key}", "x-player-secret": PLAYER_42_SECRET},
    )
    problem = envelope_problem(status, raw)
    assert problem is None, f"{case.method} {target} {body!r:.200} -> {status}: {problem}"


# ---------------------------------------------------------------- control plane

CONTROL_ROUTES = [
    ("POST", "/_emulator/clock", ["advance_s", "set"]),
    ("POST", "/_emulator/faults", ["latency_ms", "fail_rate", "break_after_commit_rate", "seed"]),
    ("GET", "/_emulator/requests", []),
    ("POST", "/_emulator/events/daily_duel/finalize", []),
    ("POST", "/_emulator/lobbies/lob_missing/promote", []),
    ("GET", "/_emulator/state", []),
]


@given(
    route=st.sampled_from(CONTROL_ROUTES),
    data=st.data(),
)
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_control_plane_survives_hostile_input(
    emu: EmbeddedEmulator, route: tuple[str, str, list[str]], data: st.DataObject
) -> None:
    method, path, fields = route
    value = data.draw(st.one_of(HOSTILE_NUMBERS, DEEP, HOSTILE_TEXT), label="value")
    field = data.draw(st.sampled_from([*fields, "limit"]), label="field")
    target = path + "?" + urlencode({"limit": value if isinstance(value, str) else repr(value)})
    body = dumps({field: value}) if method == "POST" else None
    before = emu.now()
    try:
        status, raw = send(emu, method, target, body, {})
        problem = envelope_problem(status, raw)
        assert problem is None, f"{method} {target} {body!r:.200} -> {status}: {problem}"
        assert send(emu, "GET", "/_emulator/requests?limit=5", None, {})[0] == 200
    finally:
        emu.set_faults()  # a hostile-but-valid fault setting must not leak into later examples
        if emu.now() != before:
            emu.set_clock(before)


def test_hostile_strategies_really_produce_hostile_json() -> None:
    """Guard against a strategy that silently stops being hostile."""
    seen: set[str] = set()

    @given(hostile_body({"amount": 1, "nested": {"metricValue": 2.5}, "id": str(uuid.uuid4())}))
    @settings(max_examples=200, database=None, suppress_health_check=list(HealthCheck))
    def collect(body: Any) -> None:
        text = dumps(body).decode()
        for token in ("NaN", "Infinity", "[[[[[[[[[[", "9223372036854775808"):
            if token in text:
                seen.add(token)

    collect()
    assert seen == {"NaN", "Infinity", "[[[[[[[[[[", "9223372036854775808"}
