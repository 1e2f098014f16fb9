"""Which outbox a ``KratyComponent`` uses (no pygame).

The default follows the player's profile: the outbox sits beside the secret store
that holds the player's identity, so the next start of the same game (same profile)
finds and sends what is left. Writes must be sent as the player that made them, so a
profile whose identity does not survive the process (an ``InMemorySecretStore``) gets
an outbox per player id given to the facade, or, without one, an outbox of its own
that is removed again at close when it is empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from kraty_pygame.sdk.identity import FileSecretStore, KeyringSecretStore, store_namespace

__all__ = ["RUN_MARK", "default_component_outbox_dir", "open_outbox", "remove_if_run_dir"]

#: Marks the name of an outbox directory made for one run (no durable identity).
RUN_MARK = "-run-"


def _data_root() -> Path:
    from kraty_pygame.sdk import outbox as sdk_outbox  # noqa: PLC0415

    return Path(sdk_outbox.default_outbox_dir("component")).parent


def default_component_outbox_dir(kraty: Any) -> Path:
    """The outbox directory a component uses by default for ``kraty`` (see module doc)."""
    store = kraty.identity.store
    if isinstance(store, FileSecretStore):
        path = Path(store.path)
        return path.with_name(path.stem + ".outbox")
    client = kraty.client
    namespace = store_namespace(client.base_url, client.api_key_prefix)
    if isinstance(store, KeyringSecretStore):
        return _data_root() / namespace
    player = kraty.active_external_player_id
    if player:
        digest = hashlib.sha256(player.encode("utf-8")).hexdigest()[:16]
        return _data_root() / f"{namespace}-player-{digest}"
    return _data_root() / f"{namespace}{RUN_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}"


def remove_if_run_dir(directory: Path) -> None:
    """Remove a run's own outbox directory (see the module doc) once nothing is left
    in it to send; any other directory is left alone."""
    if RUN_MARK not in directory.name:
        return
    with contextlib.suppress(OSError):
        shutil.rmtree(directory)


def open_outbox(kraty: Any, option: Any) -> tuple[Any, bool] | None:
    """Resolve the component's ``outbox=`` option: ``(outbox, owned)`` or ``None`` (off)."""
    if option is False or option is None:
        return None
    from kraty_pygame.sdk import outbox as sdk_outbox  # noqa: PLC0415

    outbox_type: type[Any] = sdk_outbox.Outbox
    if isinstance(option, outbox_type):
        _attach(kraty, option)
        return option, False
    existing = getattr(kraty, "outbox", None) or getattr(kraty.client, "outbox", None)
    if option is True and existing is not None:
        return existing, False
    if option is True:
        directory = default_component_outbox_dir(kraty)
    elif isinstance(option, str | os.PathLike):
        directory = Path(option)
    else:
        raise TypeError("outbox must be True, False, a directory path or an Outbox")
    box = outbox_type(directory)
    try:
        _attach(kraty, box)
    except BaseException:
        box.close()
        raise
    return box, True


def _attach(kraty: Any, box: Any) -> None:
    if getattr(kraty.client, "outbox", None) is not box:
        box.attach(kraty)
    kraty.outbox = box
