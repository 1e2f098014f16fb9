"""Gameplay on the emulator side, driven with raw HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import PLAYER_42, PLAYER_42_SECRET, RawClient

pytestmark = pytest.mark.emulator


def _start(client: RawClient, ext: str, secret: str, event: str, **body: Any) -> Any:
    return client.post(f"/sdk/v1/players/{ext}/events/{event}/start", body, secret=secret)


def _progress(
    client: RawClient, ext: str, secret: str, event: str, attempt: str, **body: Any
) -> Any:
    return client.post(
        f"/sdk/v1/players/{ext}/events/{event}/attempts/{attempt}/progress", body, secret=secret
    )


def test_quick_start_milestone_lands_in_pending(client: RawClient) -> None:
    ext, secret = client.register()
    listing = client.get(f"/sdk/v1/players/{ext}/events")
    keys = [e["eventKey"] for e in listing.data]
    assert keys[0] == "tap_frenzy"
    assert "elite_trial" not in keys  # unlock condition xp >= 10 hides it
    assert "winter_cup" not in keys and "coming_soon" not in keys
    started = _start(client, ext, secret, "tap_frenzy")
    assert started.status == 201, started.body
    attempt = started.data["attempt"]
    assert attempt["status"] == "in_progress" and attempt["id"].startswith("att_")
    fired: list[str] = []
    for _ in range(5):
        reply = _progress(
            client, ext, secret, "tap_frenzy", attempt["id"], mode="increment", metricValue=1
        )
        assert reply.status == 200, reply.body
        fired += [m["key"] for m in reply.data["milestonesFired"]]
    assert fired == ["taps_5"]
    assert reply.data["attempt"]["metrics"] == {"taps": 5}
    assert reply.data["attempt"]["score"] == 5
    grant = reply.data["milestonesFired"][0]["grants"][0]
    assert grant["sourceKind"] == "event_milestone" and grant["sourceRefId"] == attempt["id"]
    pending = client.get(f"/sdk/v1/players/{ext}/pending-grants", secret=secret).data
    assert [g["id"] for g in pending] == [grant["id"]]


def test_milestones_fire_once_and_completion_at_target(client: RawClient) -> None:
    ext, secret = client.register()
    att = _start(client, ext, secret, "tap_frenzy").data["attempt"]["id"]
    reply = _progress(client, ext, secret, "tap_frenzy", att, mode="set", metricValue=20)
    assert [m["key"] for m in reply.data["milestonesFired"]] == ["taps_5", "taps_15"]
    assert reply.data["milestonesFired"][1]["grants"][0]["kind"] == "crate"
    reply = _progress(client, ext, secret, "tap_frenzy", att, mode="set", metricValue=3)
    assert reply.data["milestonesFired"] == []
    reply = _progress(client, ext, secret, "tap_frenzy", att, mode="set", metricValue=16)
    assert reply.data["milestonesFired"] == []  # no re-fire after a decrease
    reply = _progress(client, ext, secret, "tap_frenzy", att, mode="increment", metricValue=14)
    assert [m["key"] for m in reply.data["milestonesFired"]] == ["taps_30"]
    assert reply.data["attempt"]["status"] == "completed"
    assert reply.data["attempt"]["completedAt"] is not None
    late = _progress(client, ext, secret, "tap_frenzy", att, mode="increment", metricValue=1)
    assert (late.status, late.code) == (409, "attempt_finished")


def test_progress_validation(client: RawClient) -> None:
    ext, secret = client.register()
    att = _start(client, ext, secret, "tap_frenzy").data["attempt"]["id"]
    both = _progress(client, ext, secret, "tap_frenzy", att, metricValue=1, metrics={"taps": 1})
    assert (both.status, both.code) == (400, "validation_failed")
    neither = _progress(client, ext, secret, "tap_frenzy", att, mode="set")
    assert (neither.status, neither.code) == (400, "validation_failed")
    bad_mode = _progress(client, ext, secret, "tap_frenzy", att, mode="add", metricValue=1)
    assert (bad_mode.status, bad_mode.code) == (400, "validation_failed")
    unknown = _progress(client, ext, secret, "tap_frenzy", att, metrics={"kills": 1})
    assert (unknown.status, unknown.code) == (400, "invalid_metric")
    cheat = _progress(client, ext, secret, "tap_frenzy", att, mode="increment", metricValue=500)
    assert (cheat.status, cheat.code) == (422, "anti_cheat_rejected")
    future = _progress(
        client, ext, secret, "tap_frenzy", att, metricValue=1, occurredAt="2999-01-01T00:00:00Z"
    )
    assert (future.status, future.code) == (400, "validation_failed")
    missing = _progress(client, ext, secret, "tap_frenzy", "att_000000000000", metricValue=1)
    assert (missing.status, missing.code) == (404, "not_found")


def test_start_errors_from_the_demo_config(client: RawClient) -> None:
    ext, secret = client.register()
    cases = {
        "nope": (404, "not_found"),
        "coming_soon": (409, "event_disabled"),
        "winter_cup": (409, "no_active_window"),
        "elite_trial": (403, "unlock_condition_failed"),
    }
    for event, expected in cases.items():
        reply = _start(client, ext, secret, event)
        assert (reply.status, reply.code) == expected, event
    # player_42 has xp 40 (unlocked) but a fresh badge-less player does not pass the requirement
    client.post(
        f"/server/v1/players/{ext}/wallet/xp/credit", {"amount": 10}, key="kr_test.server-demo"
    )
    reply = _start(client, ext, secret, "elite_trial")
    assert (reply.status, reply.code) == (403, "entry_requirement_failed")
    ok = _start(client, PLAYER_42, PLAYER_42_SECRET, "elite_trial")
    assert ok.status == 201, ok.body


def test_paid_start_and_caps(client: RawClient) -> None:
    ext, secret = client.register()  # 200 gold
    first = _start(client, ext, secret, "bounty_hunt")
    assert first.status == 201
    again = _start(client, ext, secret, "bounty_hunt")  # the running attempt: 200, free
    assert again.status == 200 and again.data["attempt"]["id"] == first.data["attempt"]["id"]
    wallet = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).data["wallet"]
    assert {w["economyKey"]: w["balance"] for w in wallet}["gold"] == 150
    for _ in range(2):
        att = _start(client, ext, secret, "bounty_hunt").data["attempt"]["id"]
        done = client.post(
            f"/sdk/v1/players/{ext}/events/bounty_hunt/attempts/{att}/finish", secret=secret
        )
        assert done.status == 200 and done.data["outcome"] == "expired"
        nxt = _start(client, ext, secret, "bounty_hunt")
        if nxt.status == 429:
            break
        assert nxt.status == 201
        client.post(
            f"/sdk/v1/players/{ext}/events/bounty_hunt/attempts/{nxt.data['attempt']['id']}/finish",
            secret=secret,
        )
    capped = _start(client, ext, secret, "bounty_hunt")
    assert (capped.status, capped.code) == (429, "max_attempts_reached")
    assert "retry-after" not in capped.headers


def test_insufficient_entry_cost_charges_nothing(client: RawClient) -> None:
    ext, secret = client.register()
    client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", {"amount": 180}, secret=secret)
    reply = _start(client, ext, secret, "bounty_hunt")
    assert (reply.status, reply.code) == (402, "insufficient_entry_cost")
    assert reply.body["error"]["details"] == {"resource": "gold", "needed": 50, "have": 20}
    wallet = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).data["wallet"]
    assert {w["economyKey"]: w["balance"] for w in wallet}["gold"] == 20


def test_daily_cap_resets_at_midnight(client: RawClient, emu: EmbeddedEmulator) -> None:
    ext, secret = client.register()
    for _ in range(2):
        att = _start(client, ext, secret, "daily_duel").data["attempt"]["id"]
        client.post(f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{att}/finish", secret=secret)
    capped = _start(client, ext, secret, "daily_duel")
    assert (capped.status, capped.code) == (429, "max_daily_attempts_reached")
    emu.advance_clock(24 * 3600)
    assert _start(client, ext, secret, "daily_duel").status == 201


def test_lobby_forming_then_bots_fill_on_the_clock(
    client: RawClient, emu: EmbeddedEmulator
) -> None:
    ext, secret = client.register()
    forming = _start(client, ext, secret, "quick_brawl")
    assert (forming.status, forming.code) == (202, "lobby_forming")
    lobby_id = forming.body["error"]["details"]["lobbyId"]
    assert lobby_id.startswith("lob_")
    seen = []
    for _ in range(6):
        lobby = client.get(f"/sdk/v1/lobbies/{lobby_id}").data
        seen.append((lobby["status"], lobby["botSlots"]))
        if lobby["status"] != "forming":
            break
        emu.advance_clock(3)
    assert seen[0] == ("forming", 0)
    slots = [b for s, b in seen if s == "forming"]
    assert slots == sorted(slots) and max(slots) >= 2
    assert seen[-1] == ("active", 3)
    lobby = client.get(f"/sdk/v1/lobbies/{lobby_id}").data
    assert lobby["participantCount"] == 1 and lobby["startedAt"] and lobby["endsAt"]
    started = _start(client, ext, secret, "quick_brawl")
    assert started.status == 201, started.body
    assert started.data["leaderboardId"] == lobby["leaderboardId"]


def test_concurrent_players_share_a_forming_lobby(client: RawClient) -> None:
    ids = []
    for _ in range(4):
        ext, secret = client.register()
        reply = _start(client, ext, secret, "quick_brawl")
        ids.append((ext, secret, reply))
    lobbies = {r.body["error"]["details"]["lobbyId"] for _, _, r in ids[:3]}
    assert len(lobbies) == 1
    assert ids[3][2].status == 201  # the fourth seat promotes the lobby at once


def test_claim_and_open_crate(client: RawClient) -> None:
    pending = client.get(
        f"/sdk/v1/players/{PLAYER_42}/pending-grants", secret=PLAYER_42_SECRET
    ).data
    reward = next(g for g in pending if g["kind"] == "reward")
    crate = next(g for g in pending if g["kind"] == "crate")
    wrong = client.post(
        f"/sdk/v1/players/{PLAYER_42}/grants/{crate['id']}/claim", secret=PLAYER_42_SECRET
    )
    assert (wrong.status, wrong.code) == (409, "conflict")
    claimed = client.post(
        f"/sdk/v1/players/{PLAYER_42}/grants/{reward['id']}/claim", secret=PLAYER_42_SECRET
    )
    assert claimed.status == 200 and claimed.data["status"] == "claimed"
    twice = client.post(
        f"/sdk/v1/players/{PLAYER_42}/grants/{reward['id']}/claim", secret=PLAYER_42_SECRET
    )
    assert twice.status == 200 and twice.data == claimed.data
    wallet = client.get(f"/sdk/v1/players/{PLAYER_42}/wallet", secret=PLAYER_42_SECRET).data[
        "wallet"
    ]
    assert {w["economyKey"]: w["balance"] for w in wallet}["gold"] == 600
    opened = client.post(
        f"/sdk/v1/players/{PLAYER_42}/crates/{crate['id']}/open", secret=PLAYER_42_SECRET
    )
    assert opened.status == 200
    assert opened.data["crate"]["status"] == "claimed"
    contents = opened.data["contents"]
    assert contents["status"] == "pending" and contents["parentGrantId"] == crate["id"]
    assert contents["sourceKind"] == "crate" and len(contents["contents"]["entries"]) == 3
    reopened = client.post(
        f"/sdk/v1/players/{PLAYER_42}/crates/{crate['id']}/open", secret=PLAYER_42_SECRET
    )
    assert reopened.data["contents"]["id"] == contents["id"]
    pending = client.get(
        f"/sdk/v1/players/{PLAYER_42}/pending-grants", secret=PLAYER_42_SECRET
    ).data
    assert [g["id"] for g in pending] == [contents["id"]]


def test_grant_expiry(client: RawClient, emu: EmbeddedEmulator) -> None:
    pending = client.get(
        f"/sdk/v1/players/{PLAYER_42}/pending-grants", secret=PLAYER_42_SECRET
    ).data
    emu.advance_clock(15 * 86400)
    assert (
        client.get(f"/sdk/v1/players/{PLAYER_42}/pending-grants", secret=PLAYER_42_SECRET).data
        == []
    )
    reply = client.post(
        f"/sdk/v1/players/{PLAYER_42}/grants/{pending[0]['id']}/claim", secret=PLAYER_42_SECRET
    )
    assert (reply.status, reply.code) == (404, "not_found")


def test_first_to_target_ends_the_lobby_session(tmp_path: Any) -> None:
    from kraty_pygame.emulator.config.loader import demo_config_text

    text = demo_config_text().replace('end_trigger = "timer"', 'end_trigger = "first_to_target"')
    text = text.replace(
        'key = "score"\n  score_per_unit = 1', 'key = "score"\n  target = 10\n  score_per_unit = 1'
    )
    path = tmp_path / "race.toml"
    path.write_text(text, encoding="utf-8")
    with EmbeddedEmulator(path) as emu:
        client = RawClient(emu.base_url)
        try:
            ext, secret = client.register()
            lobby_id = _start(client, ext, secret, "quick_brawl").body["error"]["details"][
                "lobbyId"
            ]
            emu.promote_lobby(lobby_id)
            att = _start(client, ext, secret, "quick_brawl").data["attempt"]["id"]
            done = _progress(client, ext, secret, "quick_brawl", att, mode="set", metricValue=10)
            assert done.data["attempt"]["status"] == "completed"
            lobby = client.get(f"/sdk/v1/lobbies/{lobby_id}").data
            assert lobby["status"] == "closed"
            board = client.get(f"/sdk/v1/event-leaderboards/{lobby['leaderboardId']}").data
            assert board["finalized"] is True and board["finalizedReason"] == "session_terminated"
        finally:
            client.close()


def test_server_matched_player_registers_with_the_starting_kit(client: RawClient) -> None:
    ext = "kp_" + "b" * 32
    lobby = client.post(
        "/server/v1/games/game_demo/events/quick_brawl/lobbies",
        {"key": "m-kit", "externalPlayerIds": [ext]},
        key="kr_test.server-demo",
    )
    assert lobby.status == 201 and lobby.data["participantCount"] == 1
    _, secret = client.register(ext)
    wallet = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).data["wallet"]
    assert {w["economyKey"]: w["balance"] for w in wallet} == {"gold": 200}
    assert _start(client, ext, secret, "quick_brawl").status == 201  # seated by the server
