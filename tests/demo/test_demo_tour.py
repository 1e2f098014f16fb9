"""The demo game's scripted tour, run the way users run it.

The tour is played once for the whole suite (``demo_tour`` in ``tests/conftest.py``,
see ``tests/support/demo_tour.py``): ``bash scripts/demo.sh --emulator-subprocess
--faults`` with no display, the README's first command with the emulator in a third
process (so the reported main-thread Kraty time per frame is the measurement the demo
promises) and 30 % of requests answered with a seeded, retryable 503.
"""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path

import pygame
import pytest

from demo_game.kraty.debug import RUN_ALL
from demo_game.tour import MOMENTS_DIR, SCREENSHOT_NAMES
from tests.support.demo_tour import TourRun

pytestmark = [pytest.mark.headless, pytest.mark.emulator, pytest.mark.slow]

SCREENS = ("events", "quest", "leaderboards", "player", "debug", "friends")


def _ok(run: TourRun) -> None:
    assert run.returncode == 0, f"tour failed\nstdout:\n{run.stdout}\nstderr:\n{run.stderr[-4000:]}"
    assert run.report.get("ok") is True, run.report.get("error")


def _pixels(path: Path) -> bytes:
    return pygame.image.tobytes(pygame.image.load(str(path)), "RGB")


# ---------------------------------------------------------------- the README command


def test_readme_command_runs_the_tour_without_a_display(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    assert "no display found: running the scripted tour headless" in demo_tour.stdout
    assert "kraty demo tour: completed" in demo_tour.stdout
    assert str(demo_tour.shots.resolve()) in demo_tour.stdout  # says where they went


def test_tour_says_when_it_switches_players(demo_tour: TourRun) -> None:
    """The wallet totals change between screenshots: the tour announces the switch."""
    _ok(demo_tour)
    [said] = [line for line in demo_tour.report["narration"] if "switching player" in line]
    assert "-> player_42" in said and "wallet" in said
    assert f"kraty demo tour: {said}" in demo_tour.stdout


def test_tour_writes_one_screenshot_per_screen(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    pngs = sorted(p.name for p in demo_tour.shots.glob("*.png"))
    assert pngs == sorted(SCREENSHOT_NAMES.values())
    assert set(demo_tour.report["screenshots"]) == set(SCREENS)
    assert set(demo_tour.report["screens"]) == set(SCREENS)
    assert (demo_tour.shots / MOMENTS_DIR).is_dir()


def test_screenshots_are_not_uniform_and_differ_from_each_other(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    images = {name: _pixels(demo_tour.shots / file) for name, file in SCREENSHOT_NAMES.items()}
    for name, data in images.items():
        colours = {data[i : i + 3] for i in range(0, len(data), 3 * 97)}
        assert len(colours) > 40, f"{name} looks uniform ({len(colours)} colours sampled)"
    for (a, da), (b, db) in combinations(images.items(), 2):
        assert len(da) == len(db)
        differing = sum(1 for i in range(0, len(da), 3 * 31) if da[i : i + 3] != db[i : i + 3])
        assert differing > len(da) // (3 * 31) // 10, f"{a} and {b} are nearly identical"


# ---------------------------------------------------------------- what each screen lists


def test_events_screen_lists_cost_badges_countdowns_locks_and_the_lobby_tag(
    demo_tour: TourRun,
) -> None:
    _ok(demo_tour)
    rows = {row["event_key"]: row for row in demo_tour.report["screens"]["events"]["events"]}
    assert {"tap_frenzy", "bounty_hunt", "daily_duel", "quick_brawl", "elite_trial"} <= set(rows)
    assert rows["bounty_hunt"]["cost"] == "gold 50"
    assert rows["tap_frenzy"]["cost"] == "free"
    assert rows["quick_brawl"]["lobby"] is True
    assert rows["tap_frenzy"]["lobby"] is False
    assert rows["bounty_hunt"]["countdown"] not in (None, "ended")
    # player_42 used the hunter badge: the gated event shows its lock and why
    assert "Hunter Badge" in (rows["elite_trial"]["locked"] or "")
    assert rows["tap_frenzy"]["locked"] is None


def test_quest_screen_shows_score_fired_milestones_and_the_live_board(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    quest = demo_tour.report["screens"]["quest"]
    assert quest["event_key"] == "tap_frenzy"
    assert quest["phase"] == "playing"
    assert quest["score"] >= 15
    assert {"taps_5", "taps_15"} <= set(quest["fired"])
    own = [row for row in quest["board"] if row["self"]]
    assert own and own[0]["score"] >= 15
    assert any(row["bot"] for row in quest["board"])


def test_leaderboards_screen_shows_top_rows_self_row_and_keyed_board(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    boards = demo_tour.report["screens"]["leaderboards"]
    event_board = boards["event_board"]
    assert event_board["leaderboard_id"]
    kinds = {row["kind"] for row in event_board["entries"]}
    assert kinds == {"player", "bot"}
    assert event_board["self"] is not None and event_board["self"]["score"] >= 30
    assert event_board["updates"] > 0  # live stream updates arrived
    keyed = demo_tour.report["final"]["leaderboards"]["keyed_board"]
    assert keyed is not None and keyed["key"] == "weekly_global"
    assert any(row["kind"] == "bot" for row in keyed["entries"])


def test_player_screen_shows_identity_wallet_inventory_and_pending_grants(
    demo_tour: TourRun,
) -> None:
    _ok(demo_tour)
    player = demo_tour.report["screens"]["player"]
    assert player["player_id"] == "player_42"  # switched player with sign_in
    assert player["display_name"] == "Demo Hero"  # players.get_identity()
    assert player["has_secret"] is True
    assert player["wallet"]["gold"] >= 500 and player["wallet"]["xp"] >= 40
    assert player["inventory"].get("hunter_badge") == 1
    assert {g["kind"] for g in player["pending"]} >= {"reward", "crate"}


def test_player_screen_shows_live_inventory_and_the_server_clock(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    player = demo_tour.report["screens"]["player"]
    # a /server/v1 grant arrived over the inventory stream (KRATY_INVENTORY), not a reload
    live = player["live"]
    assert live["connection"] == "connected"
    server = [c for c in live["changes"] if c["origin"] == "server"]
    assert server and server[0]["kind"] == "inventory_changed"
    assert server[0]["key"] == "health_potion" and server[0]["delta"] == 2
    assert player["inventory"]["health_potion"] == server[0]["after"]
    seen = demo_tour.report["seen"]
    assert any(c["origin"] == "server" for c in seen["live_inventory"])
    # the server clock: synced, with its offset (the tour moved the emulator's clock)
    clock = player["clock"]
    assert clock["synced"] is True and clock["syncs"] >= 1
    assert clock["offset_ms"] is not None and clock["round_trip_ms"] is not None
    assert len(clock["shown"]) == 8  # HH:MM:SS
    assert len(set(seen["server_clock"])) >= 3  # it ticked while the tour ran


def test_friends_screen_shows_code_presence_requests_and_gifts(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    friends = demo_tour.report["screens"]["friends"]
    code = friends["code"]
    assert isinstance(code, str) and len(code) == 6 and code.isalnum() and code.isupper()
    assert friends["presence"]["online"] is True
    # player_42 asked player_7 by code; the rival's own client accepted
    rival = next(f for f in friends["friends"] if f["id"] == "player_7")
    assert rival["name"] == "Demo Rival" and rival["online"] is True
    assert rival["presence"].startswith("online")
    assert rival["progression"].get("level") == 2
    assert rival["cooldown"] is not None and rival["cooldown"].startswith("gift in ")
    assert not friends["outgoing"] and not friends["incoming"]  # the request was accepted
    assert [g["to"] for g in friends["sent"]] == ["player_7"]
    assert [g["from"] for g in friends["inbox"]] == ["player_7"]  # the rival's gift back
    assert friends["rival"]["actions"] == ["online", "accepted", "gifted"]
    seen = demo_tour.report["seen"]
    assert seen["friends_made"] == ["player_7"]
    assert len(seen["gifts_sent"]) == 1 and len(seen["gifts_claimed"]) == 1
    final = demo_tour.report["final"]["friends"]
    assert final["gifts_claimed"] == seen["gifts_claimed"] and not final["inbox"]


def test_debug_screen_has_a_button_per_sdk_method_and_ran_them_all(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    debug = demo_tour.report["screens"]["debug"]
    assert {
        "ensure_identity",
        "logout",
        "sign_in",
        "events.list_for_player",
        "events.start",
        "events.progress",
        "events.finish",
        "event_leaderboards.read",
        "leaderboards.read",
        "leaderboards.list_periods",
        "grants.list_pending",
        "grants.claim",
        "grants.open",
        "grants.collect_all",
        "lobbies.read",
        "inventory.list",
        "inventory.consume",
        "wallet.list",
        "wallet.debit",
        "catalog.read",
    } <= set(debug["methods"])
    done = {call["operation"] for call in debug["calls"] if call["status"] == "ok"}
    assert set(RUN_ALL) <= done
    assert debug["telemetry_rows"] > 0
    assert any(call["attempts"] for call in debug["calls"])  # per-attempt telemetry tied to calls
    assert any(call["wire"] for call in debug["calls"])  # raw requests from the emulator's log


# ---------------------------------------------------------------- what the tour played


def test_tour_plays_to_a_milestone_waits_out_a_lobby_opens_a_crate_and_claims(
    demo_tour: TourRun,
) -> None:
    _ok(demo_tour)
    seen = demo_tour.report["seen"]
    assert {"taps_5", "taps_15", "taps_30"} <= set(seen["milestones"])
    statuses = [s["status"] for s in seen["lobby_states"]]
    assert "forming" in statuses and seen["lobby_became_active"]
    forming_with_bots = [
        s for s in seen["lobby_states"] if s["status"] == "forming" and s["bots"] >= 1
    ]
    assert forming_with_bots, seen["lobby_states"]  # bots dripped in on the emulator clock
    assert seen["crates_opened"]
    assert len(seen["grants_claimed"]) >= 2
    assert seen["items_consumed"]
    assert seen["players"][-1] == "player_42" and len(seen["players"]) >= 2
    assert seen["keyboard_navigation"] is True
    assert seen["resized"] is True


def test_tour_sees_its_own_score_move_on_a_live_board(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    seen = demo_tour.report["seen"]
    scores = seen["board_self_scores"]
    assert max(scores) >= 30
    assert any(b > a for a, b in pairwise(scores))
    assert seen["board_updates"] > 0


def test_tour_plays_part_of_a_run_offline_and_sees_it_sync(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    seen = demo_tour.report["seen"]
    assert seen["offline_pending"] >= 3  # start, taps and finish waited in the outbox
    assert seen["offline_synced"] is True
    for name in ("offline-pending.png", "offline-synced.png"):
        assert (demo_tour.shots / MOMENTS_DIR / name).is_file()
    debug = demo_tour.report["screens"]["debug"]
    assert debug["link_cut"] is False and debug["stats"]["pending_writes"] == 0


def test_tour_reports_main_thread_kraty_time_per_frame(demo_tour: TourRun) -> None:
    _ok(demo_tour)
    cost = demo_tour.report["frame_cost_ms"]
    assert demo_tour.report["emulator_subprocess"] is True
    assert cost["frames"] > 100
    assert 0 <= cost["p50"] <= cost["p99"] <= cost["max"]
    assert "main-thread time in Kraty calls per frame: p50" in demo_tour.stdout
    print(f"\ndemo tour (emulator in a child process): Kraty main-thread ms/frame {cost}")


# ---------------------------------------------------------------- faults (the run has them on)


def test_tour_with_faults_completes_and_the_debug_screen_shows_retries(
    demo_tour: TourRun,
) -> None:
    _ok(demo_tour)
    assert demo_tour.report["faults"] is True
    debug = demo_tour.report["screens"]["debug"]
    assert debug["faults_on"] is True
    assert debug["retries_seen"] > 0
    assert debug["retried_requests"] and all(r["attempt"] > 1 for r in debug["retried_requests"])
    assert any(r["status"] is not None for r in debug["retried_requests"])
    assert sorted(p.name for p in demo_tour.shots.glob("*.png")) == sorted(
        SCREENSHOT_NAMES.values()
    )
    assert "HTTP retries seen" in demo_tour.stdout
