"""The component's facade-level calls: ``call``, identity, server time, finalization, retry.

A mixin of :class:`~kraty_pygame.component.component.KratyComponent`, split out to keep
that module readable; every method here only queues a job (no pygame, no I/O).
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

from kraty_pygame.component.batching import PROGRESS_OPERATION
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk._operation import operation_of
from kraty_pygame.sdk.resources.events import progress_input

if TYPE_CHECKING:
    from kraty_pygame.sdk.finalization import FinalizationResult, MembershipRef
    from kraty_pygame.sdk.identity import Identity
    from kraty_pygame.sdk.kraty import Kraty
    from kraty_pygame.sdk.models.time import ServerTime, TimeSync

__all__ = ["FacadeCalls", "check_call"]

P = ParamSpec("P")
T = TypeVar("T")

_SIGNATURES: dict[Any, inspect.Signature | None] = {}


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    """The signature ``fn`` is called with (bound methods without ``self``), cached."""
    func = getattr(fn, "__func__", None)
    key = (func, True) if func is not None else fn
    try:
        return _SIGNATURES[key]
    except (KeyError, TypeError):
        pass
    try:
        sig: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    if len(_SIGNATURES) >= 1024:  # lambdas passed to call() are new objects each time
        _SIGNATURES.clear()
    with contextlib.suppress(TypeError):  # an unhashable callable: checked every time
        _SIGNATURES[key] = sig
    return sig


_SHAPES: dict[Any, tuple[str, ...] | str] = {}
_CHECKED_PROGRESS: set[tuple[Any, ...]] = set()


def _shape(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[str, ...] | str | None:
    """How ``fn`` takes ``args``/``kwargs``: the names of the positional arguments, or
    the binding error's text; None when ``fn`` has no signature. Binding depends only
    on how many arguments are passed and which names, so it is checked once per shape.
    """
    func = getattr(fn, "__func__", fn)
    key = (func, func is not fn, len(args), tuple(kwargs))
    try:
        known = _SHAPES.get(key)
    except TypeError:  # an unhashable callable: bound every time
        return _bind(fn, args, kwargs, None)
    if known is not None:
        return known
    return _bind(fn, args, kwargs, key)


def _bind(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any], key: Any
) -> tuple[str, ...] | str | None:
    sig = _signature(fn)
    if sig is None:
        return None
    known: tuple[str, ...] | str
    try:
        bound = sig.bind(*args, **kwargs)
        known = tuple(list(bound.arguments)[: len(args)])
    except TypeError as exc:
        known = str(exc)
    if key is not None:
        if len(_SHAPES) >= 1024:
            _SHAPES.clear()
        _SHAPES[key] = known
    return known


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_PASSED: set[tuple[Any, ...]] = set()


def check_call(
    operation: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """Check a call's arguments on the calling thread, before anything is queued.

    Wrong or missing arguments raise ``TypeError`` at the call, as calling ``fn``
    would; ``events.progress`` also checks ``mode`` (``KratyConfigError``). A call
    repeated with the same plain arguments (text, numbers, None: a game reports the
    same progress every frame) passed before, so it is only looked up.
    """
    values = tuple(kwargs.values())
    kinds = tuple(map(type, args + values))
    passed = None
    if _SCALARS.issuperset(kinds):
        func = getattr(fn, "__func__", fn)  # not the bound method: it would keep its facade
        passed = (operation, func, func is not fn, kinds, args, tuple(kwargs), values)
        try:
            if passed in _PASSED:
                return
        except TypeError:  # an unhashable callable: checked each time
            passed = None
    _check_call(operation, fn, args, kwargs)
    if passed is not None:
        if len(_PASSED) >= 1024:
            _PASSED.clear()
        _PASSED.add(passed)


def _check_call(
    operation: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    shape = _shape(fn, args, kwargs)
    if shape is None:
        return
    if isinstance(shape, str):
        raise TypeError(f"{operation}(): {shape}")
    if operation == PROGRESS_OPERATION:
        given = dict(zip(shape, args, strict=False))
        given.update(kwargs)
        mode, value, when = given.get("mode"), given.get("metric_value"), given.get("occurred_at")
        plain = None
        if given.get("input") is None and given.get("metrics") is None:
            # plain values (a game repeats the same progress call): checked once
            plain = (type(mode), mode, type(value), repr(value), type(when), when)
            try:
                if plain in _CHECKED_PROGRESS:
                    return
            except TypeError:  # an unhashable value: checked each time
                plain = None
        progress_input(
            given.get("input"),
            mode=mode,
            metric_value=value,
            metrics=given.get("metrics"),
            occurred_at=when,
        )
        if plain is not None:
            if len(_CHECKED_PROGRESS) >= 1024:
                _CHECKED_PROGRESS.clear()
            _CHECKED_PROGRESS.add(plain)


def _accepts_idempotency_key(fn: Callable[..., Any]) -> bool:
    try:
        return "idempotency_key" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class FacadeCalls:
    """Queued versions of the facade's own methods, and ``call``/``retry``."""

    _kraty: Kraty
    _retry_lock: threading.Lock

    def _submit(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_write: bool,
    ) -> RequestHandle[Any]:
        raise NotImplementedError  # KratyComponent queues the job

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RequestHandle[T]:
        """Queue any blocking SDK callable, e.g. ``call(kraty.events.progress, key, id, ...)``.

        A bound method of one of the facade's resource clients behaves exactly like the
        matching proxy method (same operation name, ordering and progress batching).
        """
        operation, is_write = self._describe(fn)
        return self._submit(operation, fn, args, kwargs, is_write=is_write)

    def ensure_identity(self) -> RequestHandle[Identity]:
        """Queue ``kraty.ensure_identity()`` (posts ``KRATY_IDENTITY`` once resolved)."""
        return self._submit("ensure_identity", self._kraty.ensure_identity, (), {}, is_write=True)

    def sign_in(self, *, external_player_id: str, secret: str) -> RequestHandle[None]:
        """Queue ``kraty.sign_in(...)``: later calls run as that player (no network)."""
        kwargs = {"external_player_id": external_player_id, "secret": secret}
        return self._submit("sign_in", self._kraty.sign_in, (), kwargs, is_write=True)

    def logout(self) -> RequestHandle[None]:
        """Queue ``kraty.logout()``; the next player call registers a fresh player."""
        return self._submit("logout", self._kraty.logout, (), {}, is_write=True)

    def get_server_time(self, *, timezone: str | None = None) -> RequestHandle[ServerTime]:
        """Queue ``kraty.get_server_time(...)``: the server's clock, in a time zone."""
        return self._submit(
            "get_server_time",
            self._kraty.get_server_time,
            (),
            {"timezone": timezone},
            is_write=False,
        )

    def sync_time(self) -> RequestHandle[TimeSync]:
        """Queue ``kraty.sync_time()``; afterwards ``kraty.server_now()`` needs no I/O."""
        return self._submit("sync_time", self._kraty.sync_time, (), {}, is_write=False)

    def check_finalizations(self) -> RequestHandle[list[FinalizationResult]]:
        """Queue ``kraty.check_finalizations()``: boards that ended while the game was away."""
        return self._submit(
            "check_finalizations", self._kraty.check_finalizations, (), {}, is_write=False
        )

    def dismiss(self, ref: MembershipRef | str) -> RequestHandle[None]:
        """Queue ``kraty.dismiss(ref)``: stop tracking a board for finalization."""
        return self._submit("dismiss", self._kraty.dismiss, (ref,), {}, is_write=True)

    def clear_reported(self) -> RequestHandle[int]:
        """Queue ``kraty.clear_reported()``: forget boards already reported as finalized."""
        return self._submit("clear_reported", self._kraty.clear_reported, (), {}, is_write=True)

    def retry(self, handle: RequestHandle[T]) -> RequestHandle[T]:
        """Send a failed or cancelled call again, without ever applying a write twice.

        The retry repeats the request exactly as it went out and, when the failure left
        the outcome unknown, reuses its ``idempotency_key`` so the server replays instead
        of applying again. Merged progress increments are retried as the one request
        they were: every handle of a ``handle.batch`` returns the same retry handle, so
        retrying each of them is safe. A call that was never sent is simply queued again.
        A durable write of the outbox needs no retry for network failures (the outbox
        resends it by itself); when the server refused it for good, a retry records it
        again as a new write. Any thread.

        Raises:
            ValueError: the handle has not finished, or it succeeded, or it is an
                outbox write whose outcome can no longer be known.
        """
        if not handle.done or handle.succeeded:
            raise ValueError(f"retry() needs a failed or cancelled handle, not {handle!r}")
        sent = handle._sent
        recorded = handle._origin
        if handle.entry_id is not None and recorded is not None:
            # A durable write is only failed by the server's final answer (or an outcome
            # that can no longer be known): a retry is a new write, with a new key.
            if handle.outcome_unknown:
                raise ValueError(
                    f"{handle!r}: the server may have applied this write and no longer "
                    "remembers its key; sending it again could apply it twice"
                )
            return self._submit(
                recorded.operation, recorded.fn, recorded.args, dict(recorded.kwargs), is_write=True
            )
        if sent is None:
            origin = handle._origin
            if origin is None:
                raise ValueError(f"{handle!r} was not created by this component")
            return self._submit(
                origin.operation,
                origin.fn,
                origin.args,
                dict(origin.kwargs),
                is_write=origin.is_write,
            )
        with self._retry_lock:
            if sent.retry is not None:
                again: RequestHandle[T] = sent.retry
                return again
            kwargs = dict(sent.kwargs)
            key = getattr(handle.error, "idempotency_key", None)
            if isinstance(key, str) and _accepts_idempotency_key(sent.fn):
                kwargs["idempotency_key"] = key
            retried: RequestHandle[T] = self._submit(
                sent.operation, sent.fn, sent.args, kwargs, is_write=sent.is_write
            )
            sent.retry = retried
        return retried

    def _describe(self, fn: Callable[..., Any]) -> tuple[str, bool]:
        """The operation name and read/write kind of a callable given to :meth:`call`.

        A bound method of one of the facade's resource clients is described by its
        declaration; anything else counts as a write named by its qualified name.
        """
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", type(fn).__name__)
        if owner is not None:
            op = operation_of(getattr(type(owner), name, None))
            if op is not None and getattr(self._kraty, op.area, None) is owner:
                return op.name, op.is_write
        return str(getattr(fn, "__qualname__", name)), True
