"""The other player: ``player_7`` ("Demo Rival") on another device, for the Friends screen.

With its own emulator the demo plays the second player a friendship needs: a second,
separate blocking ``Kraty`` client signed in as ``player_7`` (seeded by the demo
config with a public test secret), run on a small thread of its own. The game's own
client hears about what the rival does only as it would from a real friend: through
its watchers and the live inventory stream. Against another server there is no rival.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.sdk import (
    PRESENCE_HEARTBEAT_INTERVAL,
    InMemorySecretStore,
    Kraty,
    RetryConfig,
)

from ..rules import RIVAL_ID, describe_error

if TYPE_CHECKING:
    from ..state import RivalState
    from .calls import Notify
    from .emulator_host import EmulatorHost

log = logging.getLogger(__name__)

# The emulator's second seeded player: a public, documented test secret (demo config).
RIVAL_SECRET: Final = "kps_demo_player_7_secret"  # noqa: S105
RIVAL_GIFT: Final = ("currency", "gold", 5)
THREAD_PREFIX: Final = "demo-rival"
WAKE_TRIES: Final = 3
WAKE_RETRY_S: Final = 3.0

Job = Callable[[Kraty], Any]


class Rival:
    """A second ``Kraty`` client, signed in as ``player_7``, driven from the Friends screen."""

    def __init__(
        self,
        emulator: EmulatorHost | None,
        state: RivalState,
        notify: Notify,
        register_secret: Callable[[str | None], None],
    ) -> None:
        self.emulator = emulator
        self.state = state  # what the Friends screen shows of the rival
        self.notify = notify
        self._executor: ThreadPoolExecutor | None = None
        self._kraty: Kraty | None = None  # created and used on the rival's thread only
        self._jobs: list[tuple[Future[Any], Callable[[Any], None], str]] = []
        self._since_beat = 0.0
        self._closed = False
        self._wake_tries = 0
        self._wake_again_in: float | None = None
        register_secret(RIVAL_SECRET)
        state.available = emulator is not None

    @property
    def available(self) -> bool:
        """True when the demo runs its own emulator (where ``player_7`` is seeded)."""
        return self.emulator is not None and not self._closed

    # ------------------------------------------------------------------ plumbing

    def _facade(self) -> Kraty:
        """The rival's client (rival thread only)."""
        if self._kraty is None:
            emulator = self.emulator
            assert emulator is not None
            self._kraty = Kraty(
                emulator.client_api_key,
                base_url=emulator.base_url,
                active_external_player_id=RIVAL_ID,
                player_secret=RIVAL_SECRET,
                secret_store=InMemorySecretStore(),
                retry=RetryConfig(attempts=5, initial_delay=0.05, max_delay=1.0),
                timeout=10.0,
            )
        return self._kraty

    def submit(self, label: str, job: Job, on_ok: Callable[[Any], None]) -> None:
        """Run ``job(kraty)`` on the rival's thread; ``on_ok(result)`` runs in :meth:`drain`."""
        if not self.available:
            self.notify("The rival needs the demo's own emulator.", "warn")
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_PREFIX)
        self.state.busy += 1
        self._jobs.append((self._executor.submit(lambda: job(self._facade())), on_ok, label))

    def drain(self) -> None:
        """Hand finished jobs to their callbacks (main thread, once per frame)."""
        if not self._jobs:
            return
        still: list[tuple[Future[Any], Callable[[Any], None], str]] = []
        for future, on_ok, label in self._jobs:
            if not future.done():
                still.append((future, on_ok, label))
                continue
            self.state.busy -= 1
            error = future.exception()
            if error is not None:
                self.notify(f"Rival ({label}): {describe_error(error)}", "bad")
                if label == "online" and self._wake_tries < WAKE_TRIES:
                    self._wake_again_in = WAKE_RETRY_S
            else:
                on_ok(future.result())
        self._jobs = still

    def tick(self, dt: float) -> None:
        """Results back to the main loop; a heartbeat every interval once the rival is up."""
        self.drain()
        if self._wake_again_in is not None:
            self._wake_again_in -= dt
            if self._wake_again_in <= 0:
                self._wake_again_in = None
                self.wake()
        if not self.state.online or self._closed:
            return
        self._since_beat += dt
        if self._since_beat >= PRESENCE_HEARTBEAT_INTERVAL:
            self._since_beat = 0.0
            self.submit("heartbeat", _beat, lambda _: None)

    def close(self) -> None:
        """Stop the rival's thread (waits for a call in flight) and close its client."""
        self._closed = True
        self.state.available = False
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._kraty is not None:
            self._kraty.close()
            self._kraty = None

    # ------------------------------------------------------------------ actions

    def wake(self) -> None:
        """Come online: read the rival's friend code and send a first heartbeat."""
        self._wake_tries += 1

        def job(kraty: Kraty) -> tuple[str, str]:
            code = kraty.friends.get_code()
            _beat(kraty)
            name = code.display_identity.name if code.display_identity is not None else ""
            return code.friend_code, name

        def done(result: tuple[str, str]) -> None:
            state = self.state
            state.code, name = result
            state.name = name or state.name
            state.online = True
            self._since_beat = 0.0
            state.actions.append("online")

        self.submit("online", job, done)

    def accept_requests(self) -> None:
        """Accept every pending request the rival received."""

        def job(kraty: Kraty) -> list[str]:
            _beat(kraty)
            accepted = []
            for request in kraty.friends.list_requests().incoming:
                friend = kraty.friends.accept(request.request_id)
                accepted.append(friend.external_player_id)
            return accepted

        def done(accepted: list[str]) -> None:
            state = self.state
            state.online = True
            if accepted:
                state.actions.append("accepted")
                self.notify(f"{state.name} accepted {len(accepted)} request(s)", "info")
            else:
                self.notify(f"{state.name} has no requests to accept", "warn")

        self.submit("accept", job, done)

    def ask(self, external_player_id: str | None) -> None:
        """Send the player a friend request (by id, as a search result would)."""
        if not external_player_id:
            return

        def job(kraty: Kraty) -> str:
            _beat(kraty)
            return kraty.friends.add(external_player_id=external_player_id).status

        def done(status: str) -> None:
            self.state.online = True
            self.state.actions.append("asked")
            self.notify(f"{self.state.name} sent you a friend request ({status})", "info")

        self.submit("ask", job, done)

    def gift(self, external_player_id: str | None) -> None:
        """Gift the player 5 gold (they must be friends; the rival's cooldown applies)."""
        if not external_player_id:
            return
        kind, key, amount = RIVAL_GIFT

        def job(kraty: Kraty) -> str:
            _beat(kraty)
            gift = kraty.friends.send_gift(
                external_player_id=external_player_id,
                type="currency" if kind == "currency" else "item",
                resource_key=key,
                amount=amount,
                message="right back at you!",
            )
            return gift.gift_id

        def done(gift_id: str) -> None:
            self.state.online = True
            self.state.actions.append("gifted")
            self.notify(f"{self.state.name} sent you a gift", "info")

        self.submit("gift", job, done)


def _beat(kraty: Kraty) -> None:
    kraty.friends.heartbeat(status="on another device")
