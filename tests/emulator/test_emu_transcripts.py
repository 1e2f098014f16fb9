"""Golden wire transcripts: documented request/response examples written down as files
and replayed as raw HTTP; statuses, envelopes, field names and types must match.
Format: transcripts/README.md."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import CLIENT_KEY, LIVE_KEY, SERVER_KEY, RawClient

pytestmark = pytest.mark.emulator

FOLDER = Path(__file__).with_name("transcripts")
TRANSCRIPTS = sorted(FOLDER.glob("*.json"))
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_VAR = re.compile(r"\$\{(\w+)\}")


def _substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: names[m.group(1)], value)
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    return value


def _type_ok(kind: str, value: Any) -> bool:
    if kind.startswith("id:"):
        return (
            isinstance(value, str)
            and re.fullmatch(rf"{kind[3:]}_[0-9a-f]{{12}}", value) is not None
        )
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "null": lambda v: v is None,
        "any": lambda v: True,
        "timestamp": lambda v: isinstance(v, str) and _TIMESTAMP.match(v) is not None,
    }
    if kind not in checks:
        raise AssertionError(f"unknown type {kind!r} in a transcript")
    return bool(checks[kind](value))


def match(shape: Any, value: Any, where: str) -> None:
    """Assert that ``value`` has ``shape`` (see transcripts/README.md)."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        for key, sub in shape.items():
            assert key in value, f"{where}: missing field {key!r} in {sorted(value)}"
            match(sub, value[key], f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where}: expected an array, got {value!r}"
        if not shape:
            assert value == [], f"{where}: expected an empty array, got {value!r}"
        elif len(shape) == 1:
            for i, item in enumerate(value):
                match(shape[0], item, f"{where}[{i}]")
        else:
            assert len(value) == len(shape), (
                f"{where}: expected {len(shape)} items, got {len(value)}"
            )
            for i, (sub, item) in enumerate(zip(shape, value, strict=True)):
                match(sub, item, f"{where}[{i}]")
    elif isinstance(shape, str) and shape.startswith("="):
        assert value == shape[1:], f"{where}: expected {shape[1:]!r}, got {value!r}"
    elif isinstance(shape, str):
        kinds = shape.split("|")
        assert any(_type_ok(k, value) for k in kinds), f"{where}: {value!r} is not {shape}"
    else:
        assert value == shape and type(value) is type(shape), (
            f"{where}: expected {shape!r}, got {value!r}"
        )


def _lookup(body: Any, path: str) -> Any:
    current = body
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        current = current[int(part[1:-1])] if part.startswith("[") else current[part]
    return current


def _auth(mode: str) -> Any:
    if mode.startswith("raw:"):
        return {"key": None, "headers": {"authorization": mode[4:]}}
    keys = {"client": CLIENT_KEY, "server": SERVER_KEY, "live": LIVE_KEY, "none": None}
    return {"key": keys[mode], "headers": {}}


def _envelope_ok(status: int, body: Any) -> None:
    if body is None or (isinstance(body, dict) and "ok" in body and "apiKey" in body):
        return
    assert isinstance(body, dict)
    if 200 <= status < 300 and "error" not in body:
        assert list(body) == ["data"], f"success envelope must be exactly {{data}}: {list(body)}"
    else:
        assert list(body) == ["error"], f"error envelope must be exactly {{error}}: {list(body)}"
        error = body["error"]
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str)
        assert set(error) <= {"code", "message", "details"}


def replay(emu: EmbeddedEmulator, steps: list[dict[str, Any]]) -> int:
    names = {"player": "kp_" + uuid.uuid4().hex}
    client = RawClient(emu.base_url)
    done = 0
    try:
        for number, step in enumerate(steps):
            if "control" in step:
                assert step["control"] == "advance_clock"
                emu.advance_clock(float(step["seconds"]))
                continue
            request = _substitute(step["request"], names)
            label = f"step {number} ({step.get('name', '')})"
            auth = _auth(request.get("auth", "client"))
            for _ in range(int(step.get("repeat", 1))):
                body = request.get("body")
                if (
                    request["method"] == "POST"
                    and isinstance(body, dict)
                    and "idempotencyKey" not in body
                ):
                    body = {**body, "idempotencyKey": uuid.uuid4().hex}
                raw = request.get("raw_body")
                reply = client.request(
                    request["method"],
                    request["path"],
                    body,
                    key=auth["key"],
                    secret=request.get("secret"),
                    headers=auth["headers"],
                    raw_body=raw.encode() if raw is not None else None,
                )
                expect = _substitute(step["expect"], names)
                assert reply.status == expect["status"], f"{label}: {reply.status} {reply.body}"
                _envelope_ok(reply.status, reply.body)
                if "body" in expect:
                    match(expect["body"], reply.body, label)
                done += 1
            if "find" in step:
                find = _substitute(step["find"], names)
                items = _lookup(reply.body, find["in"])
                chosen = [i for i in items if all(i.get(k) == v for k, v in find["where"].items())]
                assert len(chosen) == 1, f"{label}: {find['where']} not found once"
                match(find["expect"], chosen[0], f"{label} {find['where']}")
            for name, path in step.get("save", {}).items():
                names[name] = str(_lookup(reply.body, path))
    finally:
        client.close()
    return done


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(emu: EmbeddedEmulator, path: Path) -> None:
    steps = json.loads(path.read_text(encoding="utf-8"))
    assert replay(emu, steps) >= len([s for s in steps if "request" in s])


def test_transcripts_exist() -> None:
    assert {p.stem for p in TRANSCRIPTS} >= {"seed_flow", "errors", "server"}
