"""All of the demo's Kraty code. Start reading here.

The demo uses kraty_pygame the way the pygame guide (``docs/pygame-guide.md``) tells a
game to:

1. :mod:`.client` builds ``Kraty`` (the blocking SDK) and wraps it in one
   ``KratyComponent``: calls run on the component's threads, results come back as
   callbacks and pygame events.
2. Every frame the game calls ``component.update()`` before ``pygame.event.get()``
   (:meth:`.hub.KratyHub.update`), and :mod:`.events` routes each ``KRATY_*`` event to
   the feature that owns it. ``KRATY_REQUEST_FAILED`` with no error callback becomes
   a notice.
3. A call returns a handle at once; :mod:`.calls` adds an ``on_done`` callback where
   the answer belongs to one button press (a claim, a start, a tap).
4. One module per feature: :mod:`.player` (identity, wallet, inventory, grants, live
   inventory, server clock), :mod:`.quest` (events list, start, taps, lobby, finish),
   :mod:`.boards` (live and keyed leaderboards), :mod:`.friends` (presence, requests,
   gifts). Each writes plain data into :class:`demo_game.state.DemoState`.
5. The screens see that state and the verbs of :mod:`demo_game.actions`, never the
   component.

The demo's extras: :mod:`.rival` (a second player for the Friends screen),
:mod:`.emulator` and :mod:`.emulator_host` (the embedded emulator and its controls),
:mod:`.debug` (one button per SDK method).
"""

from __future__ import annotations
