"""Leaderboard reads and writes over real HTTP: event boards, keyed boards and their
periods, scores, joins and standings, the server's board writes, aliases, errors.

Raw HTTP through httpx (never the SDK) against an EmbeddedEmulator on 127.0.0.1:0
whose config is the demo config plus a few extra keyed boards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kraty_pygame.emulator.config.loader import demo_config_text
from kraty_pygame.emulator.domain.leaderboards import boards, finalization
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.embedded import EmbeddedEmulator

pytestmark = pytest.mark.emulator

EXTRA_BOARDS = """

[[leaderboards]]
key = "server_only"
reset_cadence = "never"
client_scoring = false

[[leaderboards]]
key = "regional"
reset_cadence = "monthly"
score_aggregation = "sum"
segmentation = { kind = "context", field = "region", buckets = ["eu", "na", "asia"] }

[[leaderboards]]
key = "league"
reset_cadence = "weekly"
[leaderboards.segmentation]
kind = "progression"
economy = "xp"
divisions = ["bronze", "silver"]
promotion = { places = 1, item_key = "xp" }

[[leaderboards]]
key = "latest_board"
reset_cadence = "never"
score_aggregation = "latest"
"""


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEmulator]:
    path = Path(tmp_path_factory.mktemp("cfg")) / "boards.toml"
    path.write_text(demo_config_text() + EXTRA_BOARDS, encoding="utf-8")
    with EmbeddedEmulator(path) as server:
        yield server


@pytest.fixture
def http(emu: EmbeddedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emu.base_url,
        headers={"authorization": f"Bearer {emu.client_api_key}"},
        timeout=10,
    ) as client:
        yield client


class Player:
    def __init__(self, http: httpx.Client) -> None:
        self.external_id = "kp_" + uuid.uuid4().hex
        data = http.post(f"/sdk/v1/players/{self.external_id}/register", json={}).json()["data"]
        self.id: str = data["playerId"]
        self.headers = {"x-player-secret": data["secret"]}
        self.http = http

    def post(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return self.http.post(
            f"/sdk/v1/players/{self.external_id}{path}",
            json=body if body is not None else {},
            headers=self.headers,
            **kw,
        )


def _event_board(emu: EmbeddedEmulator, *scores: tuple[str, str, float]) -> str:
    """An event board with ``(player id, external id, score)`` entries."""
    rt = emu.app.state.runtime
    board_id = "lb_" + uuid.uuid4().hex[:12]
    now = rt.now()
    with rt.store.write() as tx:
        boards.ensure_event_board(
            tx.conn,
            leaderboard_id=board_id,
            event_key="bounty_hunt",
            now=now,
            window_id="w_http",
            anchor=now,
            ends_at=now + timedelta(hours=1),
        )
        for pid, ext, value in scores:
            boards.on_attempt_scored(
                tx,
                board_services(rt),
                leaderboard_id=board_id,
                player_id=pid,
                external_player_id=ext,
                display_name=None,
                event_key="bounty_hunt",
                score=value,
                now=now,
            )
    return board_id


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


# ------------------------------------------------------------------- event boards


def test_event_board_read_shape_self_row_and_progression(
    emu: EmbeddedEmulator, http: httpx.Client
) -> None:
    a, b = Player(http), Player(http)
    board_id = _event_board(emu, (a.id, a.external_id, 40), (b.id, b.external_id, 12))
    data = http.get(
        f"/sdk/v1/event-leaderboards/{board_id}",
        params={
            "limit": 1,
            "includeSelf": "true",
            "externalId": b.external_id,
            "progression": "gold,xp",
        },
    ).json()["data"]
    assert data["leaderboardId"] == board_id
    assert data["mode"] == "global"
    assert data["finalized"] is False and data["finalizedReason"] is None
    assert data["self"] == {"rank": 2, "score": 12}
    [top] = data["entries"]
    assert top["participantId"] == a.id and top["rank"] == 1 and top["isSelf"] is False
    assert top["kind"] == "player" and top["score"] == 40
    assert top["name"] and top["name"] == top["anonymizedName"]  # synthetic identity
    assert "avatar" in top and top["avatar"] == top["avatarUrl"]
    assert "country" in top
    assert top["progression"] == {"gold": 200, "xp": 0}
    # The seed-era path serves the same shape for an event-board id.
    seed = http.get(f"/sdk/v1/leaderboards/{board_id}", params={"limit": 5}).json()["data"]
    assert seed["leaderboardId"] == board_id and len(seed["entries"]) == 2
    assert "key" not in seed


def test_event_board_read_validation(emu: EmbeddedEmulator, http: httpx.Client) -> None:
    board_id = _event_board(emu)
    url = f"/sdk/v1/event-leaderboards/{board_id}"
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"includeSelf": "maybe"}):
        _error(http.get(url, params=params), 400, "validation_failed")
    _error(http.get(url, params={"includeSelf": "true"}), 400, "validation_failed")
    _error(
        http.get(url, params={"progression": ",".join(f"k{i}" for i in range(9))}),
        400,
        "validation_failed",
    )
    assert http.get(url, params={"limit": 200, "unknown": "x"}).status_code == 200
    _error(http.get("/sdk/v1/event-leaderboards/lb_ffffffffffff"), 404, "not_found")
    _error(httpx.get(emu.base_url + url, timeout=10), 401, "unauthenticated")


def test_event_board_join_is_idempotent_and_conflicts_once_final(
    emu: EmbeddedEmulator, http: httpx.Client
) -> None:
    p = Player(http)
    board_id = _event_board(emu)
    first = p.post(f"/event-leaderboards/{board_id}/join")
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["joined"] is True and data["self"] == {"rank": 1, "score": 0}
    assert [e["isSelf"] for e in data["entries"]] == [True]
    again = p.post(f"/event-leaderboards/{board_id}/join", params={"limit": 5}).json()["data"]
    assert len(again["entries"]) == 1
    rt = emu.app.state.runtime
    with rt.store.write() as tx:
        finalization.finalize_window(
            tx,
            board_services(rt),
            event_key="bounty_hunt",
            window_id="w_http",
            leaderboard_id=board_id,
            reason="window_closed",
            now=rt.now(),
        )
    _error(Player(http).post(f"/event-leaderboards/{board_id}/join"), 409, "conflict")
    _error(p.post("/event-leaderboards/lb_ffffffffffff/join"), 404, "not_found")
    _error(
        http.post(f"/sdk/v1/players/{p.external_id}/event-leaderboards/{board_id}/join", json={}),
        401,
        "player_secret_invalid",
    )


def test_finalization_applies_the_rank_scaled_policy(
    emu: EmbeddedEmulator, http: httpx.Client
) -> None:
    # bounty_hunt: rank 1 -> gold_crate bundle, ranks 2-10 -> silver (demo config).
    a, b = Player(http), Player(http)
    board_id = _event_board(emu, (a.id, a.external_id, 30), (b.id, b.external_id, 20))
    rt = emu.app.state.runtime
    with rt.store.write() as tx:
        assert finalization.finalize_window(
            tx,
            board_services(rt),
            event_key="bounty_hunt",
            window_id="w_http",
            leaderboard_id=board_id,
            reason="window_closed",
            now=rt.now(),
        )
        assert not finalization.finalize_window(
            tx,
            board_services(rt),
            event_key="bounty_hunt",
            window_id="w_http",
            leaderboard_id=board_id,
            reason="window_closed",
            now=rt.now(),
        )
    policy = rt.config.event("bounty_hunt").reward_policy

    def rewards(p: Player) -> list[dict[str, Any]]:
        grants = http.get(
            f"/sdk/v1/players/{p.external_id}/pending-grants", headers=p.headers
        ).json()["data"]
        return [g for g in grants if g["sourceKind"] == "event_reward"]

    got_a, got_b = rewards(a), rewards(b)
    assert policy.type == "rank_scaled"
    assert [(g["kind"], g["contents"]["entries"], g["sourceRefId"]) for g in got_a] == [
        ("crate", [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}], board_id)
    ]
    assert [(g["kind"], g["contents"]["entries"]) for g in got_b] == [
        ("reward", [{"type": "currency", "currencyKey": "gold", "amount": 100}])
    ]


# -------------------------------------------------------------------- keyed boards


def test_keyed_read_has_bots_aliases_and_both_id_fields(http: httpx.Client) -> None:
    data = http.get("/sdk/v1/leaderboards/weekly_global").json()["data"]
    assert data["key"] == "weekly_global"
    assert data["leaderboardId"] == data["sharedLeaderboardId"]
    assert data["resetCadence"] == "weekly" and data["scoreAggregation"] == "best"
    assert data["segment"] is None and data["self"] is None
    assert data["period"].endswith("T00:00:00.000Z")
    names = [e["name"] for e in data["entries"] if e["kind"] == "bot"]
    assert {"Rusty Fox", "Nimble Owl", "Quiet Bear"} <= set(names)
    alias = http.get("/sdk/v1/shared-leaderboards/weekly_global").json()["data"]
    assert alias["leaderboardId"] == data["leaderboardId"]
    periods = http.get("/sdk/v1/shared-leaderboards/weekly_global/periods").json()["data"]
    assert periods["currentPeriodStartedAt"] == data["period"] and periods["periods"] == []
    _error(http.get("/sdk/v1/leaderboards/no_such_board"), 404, "not_found")
    _error(
        http.get("/sdk/v1/leaderboards/weekly_global/periods", params={"limit": 0}),
        400,
        "validation_failed",
    )


def test_submit_aggregates_and_reports_rank(http: httpx.Client) -> None:
    p = Player(http)
    first = p.post("/leaderboards/weekly_global/score", {"value": 130.5})
    assert first.json()["data"]["rank"] == 1
    worse = p.post("/leaderboards/weekly_global/score", {"value": 5}).json()["data"]
    assert worse["score"] == 130.5 and worse["rank"] is None
    latest = Player(http)
    latest.post("/leaderboards/latest_board/score", {"value": 50})
    assert (
        latest.post("/leaderboards/latest_board/score", {"value": 7}).json()["data"]["score"] == 7
    )
    read = http.get(
        "/sdk/v1/leaderboards/weekly_global",
        params={"includeSelf": "true", "externalId": p.external_id},
    ).json()["data"]
    assert read["self"] == {"rank": 1, "score": 130.5}
    assert read["entries"][0]["isSelf"] is True


def test_submit_errors(http: httpx.Client) -> None:
    p = Player(http)
    _error(p.post("/leaderboards/weekly_global/score", {"value": 1e16}), 400, "validation_failed")
    big = Player(http)
    big.post("/leaderboards/regional/score", {"value": 9e14, "segment": "eu"})
    _error(big.post("/leaderboards/regional/score", {"value": 9e14}), 400, "validation_failed")
    _error(p.post("/leaderboards/server_only/score", {"value": 1}), 403, "client_scoring_disabled")
    _error(p.post("/leaderboards/league/score", {"value": 1}), 400, "score_not_supported")
    _error(p.post("/leaderboards/nope/score", {"value": 1}), 404, "not_found")
    for bad in ({}, {"value": "3"}, {"value": True}, {"value": 1, "segment": 5}):
        _error(p.post("/leaderboards/weekly_global/score", bad), 400, "validation_failed")
    error = _error(
        p.post("/leaderboards/regional/score", {"value": 1, "segment": "mars"}),
        400,
        "validation_failed",
    )
    assert "eu, na, asia" in error["message"]
    _error(p.post("/leaderboards/regional/score", {"value": 1}), 400, "validation_failed")


def test_server_score_bypasses_client_scoring(emu: EmbeddedEmulator, http: httpx.Client) -> None:
    p = Player(http)
    server = {"authorization": f"Bearer {emu.server_api_key}"}
    body = {"externalPlayerId": p.external_id, "value": 9, "idempotencyKey": "s11-" + p.id}
    response = httpx.post(
        f"{emu.base_url}/server/v1/leaderboards/server_only/score",
        json=body,
        headers=server,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["score"] == 9
    replay = httpx.post(
        f"{emu.base_url}/server/v1/leaderboards/server_only/score",
        json=body,
        headers=server,
        timeout=10,
    )
    assert replay.json() == response.json()
    _error(http.post("/server/v1/leaderboards/server_only/score", json=body), 403, "forbidden")
    _error(
        httpx.post(
            f"{emu.base_url}/server/v1/leaderboards/server_only/score",
            json={"externalPlayerId": "kp_nobody", "value": 1},
            headers=server,
            timeout=10,
        ),
        404,
        "not_found",
    )


def test_join_is_idempotent_and_never_resets(http: httpx.Client) -> None:
    p = Player(http)
    joined = p.post("/leaderboards/regional/join", {"segment": "eu"})
    assert joined.status_code == 200, joined.text
    data = joined.json()["data"]
    assert data["joined"] is True and data["segment"] == "eu"
    assert data["self"]["score"] == 0
    p.post("/leaderboards/regional/score", {"value": 4})
    p.post("/leaderboards/regional/score", {"value": 6})  # sum board
    again = p.post("/leaderboards/regional/join", {}).json()["data"]
    assert again["self"]["score"] == 10 and again["segment"] == "eu"


def test_standings_scopes(http: httpx.Client) -> None:
    eu, na = Player(http), Player(http)
    eu.post("/leaderboards/regional/score", {"value": 3, "segment": "eu"})
    na.post("/leaderboards/regional/score", {"value": 8, "segment": "na"})
    url = "/sdk/v1/leaderboards/regional/standings"
    every = http.get(url, params={"scope": "all", "externalId": eu.external_id}).json()["data"]
    assert [s["segment"] for s in every["segments"]] == ["eu", "na", "asia"]
    assert every["segmentsTruncated"] is False
    first = every["segments"][0]
    assert first["participated"] is True and first["selfRank"] is not None
    capped = http.get(url, params={"maxSegments": 2}).json()["data"]
    assert len(capped["segments"]) == 2 and capped["segmentsTruncated"] is True
    mine = http.get(url, params={"scope": "self_segment", "externalId": na.external_id})
    assert [s["segment"] for s in mine.json()["data"]["segments"]] == ["na"]
    one = http.get(url, params={"scope": "segment", "segment": "asia"}).json()["data"]
    assert [s["segment"] for s in one["segments"]] == ["asia"]
    _error(http.get(url, params={"scope": "segment"}), 400, "validation_failed")
    _error(http.get(url, params={"scope": "mine"}), 400, "validation_failed")
    _error(http.get(url, params={"scope": "everything"}), 400, "validation_failed")
    _error(http.get(url, params={"maxSegments": 101}), 400, "validation_failed")


def test_progression_board_uses_balances_and_divisions(
    emu: EmbeddedEmulator, http: httpx.Client
) -> None:
    p = Player(http)
    rt = emu.app.state.runtime
    with rt.store.write() as tx:
        tx.conn.execute(
            "INSERT INTO wallet (player_id, economy_key, balance, created_at, updated_at) "
            "VALUES (?, 'xp', 77, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z') "
            "ON CONFLICT (player_id, economy_key) DO UPDATE SET balance = 77",
            (p.id,),
        )
    data = http.get(
        "/sdk/v1/leaderboards/league", params={"includeSelf": "true", "externalId": p.external_id}
    ).json()["data"]
    assert data["segment"] == "bronze"
    assert data["progression"] == {"promotion": {"places": 1, "itemKey": "xp"}, "relegation": None}
    assert data["self"]["score"] == 77
    _error(
        http.get("/sdk/v1/leaderboards/league", params={"segment": "gold"}),
        400,
        "validation_failed",
    )


def test_past_period_reads(emu: EmbeddedEmulator, http: httpx.Client) -> None:
    p = Player(http)
    p.post("/leaderboards/weekly_global/score", {"value": 1234})
    current = http.get("/sdk/v1/leaderboards/weekly_global").json()["data"]["period"]
    emu.advance_clock(7 * 24 * 3600)
    try:
        periods = http.get("/sdk/v1/leaderboards/weekly_global/periods").json()["data"]
        assert periods["periods"][0]["periodStartedAt"] == current
        old = http.get(
            "/sdk/v1/leaderboards/weekly_global",
            params={
                "period": current.replace(".000Z", "Z"),
                "includeSelf": "true",
                "externalId": p.external_id,
            },
        ).json()["data"]
        assert old["period"] == current and old["self"] is None  # self only for live periods
        assert any(e["participantId"] == p.id for e in old["entries"])
        for bad in ("yesterday", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
            _error(
                http.get("/sdk/v1/leaderboards/weekly_global", params={"period": bad}),
                400,
                "validation_failed",
            )
        _error(
            http.get("/sdk/v1/leaderboards/weekly_global", params={"period": "yesterday"}),
            400,
            "validation_failed",
        )
    finally:
        emu.advance_clock(-7 * 24 * 3600)
