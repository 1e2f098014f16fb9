"""``kraty-doctor`` (also ``python -m kraty_pygame.doctor``): what is off, in plain words.

It checks pygame vs pygame-ce, the dependency versions, the configured server and its
clock, the saved player, the outbox and the display/audio drivers, prints one line per
check with what to do, and exits 0 when nothing is wrong (1 otherwise). It never
prints a secret and never changes a file. See ``docs/troubleshooting.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import re
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from kraty_pygame import _environment
from kraty_pygame._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from kraty_pygame.sdk import Kraty

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_BASE_URL",
    "Finding",
    "OutboxSummary",
    "ServerConfig",
    "check_dependencies",
    "check_drivers",
    "check_identity",
    "check_outbox",
    "check_pygame",
    "check_server",
    "console_main",
    "main",
    "resolve_server",
    "run_checks",
]

Status = Literal["ok", "note", "problem"]

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8787"
"""Where ``kraty-emulator`` listens by default."""
DEFAULT_API_KEY: Final = "kr_test.client-demo"
"""The emulator's public demo client key (not a secret)."""
ENV_BASE_URL: Final = "KRATY_BASE_URL"
ENV_API_KEY: Final = "KRATY_API_KEY"
OUTBOX_MODULE: Final = "kraty_pygame.sdk.outbox"
CLOCK_NOTE_MS: Final = 2_000.0
CLOCK_PROBLEM_MS: Final = 60_000.0
_CHECKED_EXTRAS: Final = ("", "emulator", "keyring")
_LABELS: Final[dict[str, str]] = {"ok": "[ ok ]", "note": "[note]", "problem": "[FAIL]"}


@dataclass
class Finding:
    """The outcome of one check.

    Attributes:
        check: short name (``pygame``, ``dependencies``, ``server``, ``clock``,
            ``identity``, ``outbox``, ``drivers``).
        status: ``ok``; ``note`` (worth knowing, nothing broken); ``problem``.
        summary: one line.
        details: what it means and what to do, one item per line.
    """

    check: str
    status: Status
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServerConfig:
    """The server the doctor talks to; ``repr`` and ``key_label`` hide the key's secret."""

    base_url: str
    api_key: str = field(repr=False)
    source: str = "default"

    @property
    def key_label(self) -> str:
        """The key as it may be shown: its public prefix only."""
        prefix = self.api_key.split(".", 1)[0] if "." in self.api_key else "?"
        return self.api_key if self.api_key == DEFAULT_API_KEY else f"{prefix}.***"


@dataclass(frozen=True)
class OutboxSummary:
    """What an outbox folder holds: the interface the outbox package provides to the doctor.

    Attributes:
        directory: the folder of journal files.
        pending: writes recorded and not yet applied by the server.
        set_aside: damaged journals moved aside for inspection.
    """

    directory: Path
    pending: int
    set_aside: tuple[Path, ...] = ()


class OutboxInspector(Protocol):
    """Reads an outbox folder without changing it."""

    def __call__(self, directory: Path) -> OutboxSummary: ...


# --------------------------------------------------------------------------- pygame


def check_pygame(path: Sequence[str] | None = None, *, import_it: bool = True) -> Finding:
    """pygame vs pygame-ce: which are installed where ``pygame`` lives, which imports."""
    install = _environment.find_pygame_install(path)
    if install.location is None:
        return Finding(
            "pygame",
            "problem",
            "no pygame is installed",
            ["kraty_pygame's component needs pygame-ce: pip install pygame-ce"],
        )
    imported = _imported_pygame() if import_it else None
    problem = _environment.pygame_problem(install)
    installed = ", ".join(
        part
        for part in (
            f"pygame-ce {install.ce}" if install.ce else "",
            f"classic pygame {install.classic}" if install.classic else "",
        )
        if part
    )
    summary = f"installed: {installed or 'unknown (no installer metadata)'}"
    if imported is not None:
        summary += f"; imports: {imported}"
    if problem is not None:
        return Finding("pygame", "problem", summary, [problem])
    if imported is not None and not imported.startswith("pygame-ce"):
        return Finding(
            "pygame",
            "problem",
            summary,
            [f"the pygame that imports is not pygame-ce; repair: {_environment.FIX_COMMAND}"],
        )
    return Finding("pygame", "ok", summary)


def _imported_pygame() -> str:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame  # noqa: PLC0415 - the doctor imports pygame only when asked
    except Exception as exc:  # a half-overwritten install fails in many ways
        return f"nothing (import pygame fails: {type(exc).__name__}: {exc})"
    version = getattr(getattr(pygame, "version", None), "ver", "?")
    flavour = "pygame-ce" if getattr(pygame, "IS_CE", False) else "classic pygame"
    return f"{flavour} {version}"


# --------------------------------------------------------------------------- dependencies

_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?(?P<spec>[^;)]*)\)?"
    r"\s*(?:;\s*(?P<marker>.*))?$"
)
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_CLAUSE = re.compile(r"^(~=|==|!=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.*+!-]*)$")


def _release(version: str) -> tuple[int, ...]:
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version)
    if match is None:
        raise ValueError(version)
    parts = [int(p) for p in match.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_satisfies(version: str, spec: str) -> bool | None:
    """Does ``version`` meet ``spec`` (``">=2.32,<3"``)? None when either cannot be read.

    Only release numbers are compared (pre-release tags are ignored), which is what the
    project's own ``>=a,<b`` ranges need.
    """
    try:
        have = _release(version)
        for clause in filter(None, (c.strip() for c in spec.split(","))):
            match = _CLAUSE.match(clause)
            if match is None:
                return None
            op, raw = match.groups()
            if raw.endswith(".*"):
                prefix = _release(raw[:-2])
                same = have[: len(prefix)] == prefix
                if (op == "==" and not same) or (op == "!=" and same):
                    return False
                continue
            want = _release(raw)
            ok = {
                ">=": have >= want,
                "<=": have <= want,
                ">": have > want,
                "<": have < want,
                "==": have == want,
                "!=": have != want,
                "~=": have >= want
                and have[: max(1, len(want) - 1)] == want[: max(1, len(want) - 1)],
            }[op]
            if not ok:
                return False
    except ValueError:
        return None
    return True


def check_dependencies(
    distribution: str = "kraty-pygame",
    *,
    requirements: Sequence[str] | None = None,
    installed: Callable[[str], str | None] | None = None,
) -> Finding:
    """Each dependency of ``distribution`` (and of its ``emulator``/``keyring`` extras)
    against the range the project supports."""
    from importlib import metadata  # noqa: PLC0415 - only the doctor pays for it

    def version_of(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    lookup = installed or version_of
    if requirements is None:
        try:
            requirements = metadata.requires(distribution) or []
        except metadata.PackageNotFoundError:
            return Finding(
                "dependencies",
                "note",
                f"{distribution} is not installed as a package, so its supported ranges "
                "are unknown",
                ["running from a source tree? install it: pip install -e '.[emulator]'"],
            )
    problems: list[str] = []
    notes: list[str] = []
    checked = 0
    for line in requirements:
        match = _REQUIREMENT.match(line)
        if match is None:
            continue
        marker = match.group("marker") or ""
        extra_match = _EXTRA.search(marker)
        extra = extra_match.group(1) if extra_match else ""
        if extra not in _CHECKED_EXTRAS:
            continue
        name, spec = match.group("name"), match.group("spec").strip()
        version = lookup(name)
        if version is None:
            if extra:
                notes.append(
                    f"{name} is not installed (only the '{extra}' extra needs it: "
                    f"pip install 'kraty-pygame[{extra}]')"
                )
            else:
                problems.append(f"{name} is missing; supported: {spec or 'any'}")
            continue
        checked += 1
        verdict = version_satisfies(version, spec)
        if verdict is False:
            problems.append(
                f"{name} {version} is outside the supported range {spec}: "
                f"pip install '{name}{spec}'"
            )
        elif verdict is None:
            notes.append(f"{name} {version}: cannot compare with {spec!r}")
    if problems:
        return Finding(
            "dependencies", "problem", f"{len(problems)} out of range or missing", problems + notes
        )
    return Finding(
        "dependencies",
        "ok",
        f"{checked} installed packages within the supported ranges",
        notes,
    )


# --------------------------------------------------------------------------- server


def resolve_server(
    base_url: str | None = None,
    api_key: str | None = None,
    environ: dict[str, str] | None = None,
) -> ServerConfig:
    """``--base-url``/``--api-key``, else ``KRATY_BASE_URL``/``KRATY_API_KEY``, else the
    local emulator's default address and demo key."""
    env = os.environ if environ is None else environ
    if base_url:
        return ServerConfig(
            base_url, api_key or env.get(ENV_API_KEY) or DEFAULT_API_KEY, "--base-url"
        )
    if env.get(ENV_BASE_URL):
        return ServerConfig(
            env[ENV_BASE_URL], api_key or env.get(ENV_API_KEY) or DEFAULT_API_KEY, ENV_BASE_URL
        )
    return ServerConfig(
        DEFAULT_BASE_URL, api_key or env.get(ENV_API_KEY) or DEFAULT_API_KEY, "default emulator"
    )


def _client(
    config: ServerConfig,
    *,
    timeout: float,
    allow_insecure_http: bool,
    player: tuple[str, str] | None = None,
) -> Kraty:
    from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig  # noqa: PLC0415

    return Kraty(
        config.api_key,
        base_url=config.base_url,
        timeout=timeout,
        retry=RetryConfig(attempts=1),
        secret_store=InMemorySecretStore(),  # the doctor never writes the real store
        allow_insecure_http=allow_insecure_http,
        active_external_player_id=player[0] if player else None,
        player_secret=player[1] if player else None,
    )


def check_server(
    config: ServerConfig, *, timeout: float = 5.0, allow_insecure_http: bool = False
) -> tuple[Finding, Finding]:
    """Does the server answer (one ``GET /sdk/v1/time``), and how far is its clock?"""
    from kraty_pygame.sdk import KratyApiError, KratyError, KratyNetworkError  # noqa: PLC0415

    where = f"{config.base_url} (key {config.key_label}, from {config.source})"
    unmeasured = Finding("clock", "note", "not measured (no answer from the server)")
    try:
        client = _client(config, timeout=timeout, allow_insecure_http=allow_insecure_http)
    except KratyError as exc:
        return Finding("server", "problem", f"{where}: {exc}"), unmeasured
    try:
        sync = client.sync_time()
    except KratyNetworkError as exc:
        hint = (
            "start the local emulator with `kraty-emulator`"
            if config.source == "default emulator"
            else "check the address, the network and that the server runs"
        )
        return (
            Finding(
                "server",
                "problem",
                f"{where} does not answer",
                [
                    f"{type(exc).__name__}: {exc}",
                    hint,
                    f"another server: kraty-doctor --base-url URL --api-key KEY "
                    f"(or {ENV_BASE_URL} / {ENV_API_KEY})",
                ],
            ),
            unmeasured,
        )
    except KratyApiError as exc:
        details = [str(exc)]
        if exc.status == 401:
            details.append("the server refuses this API key: check the key and the server")
        return Finding("server", "problem", f"{where} answers with an error", details), unmeasured
    except KratyError as exc:
        return Finding("server", "problem", f"{where}: {exc}"), unmeasured
    finally:
        client.close()
    server = Finding("server", "ok", f"{where} answers ({sync.round_trip_ms:.0f} ms round trip)")
    offset = sync.offset_ms
    ahead = "ahead of" if offset > 0 else "behind"
    text = f"the server's clock is {abs(offset) / 1000:.1f} s {ahead} this machine's"
    advice = [
        "the SDK times everything by the server (sync_time(), server_now()); a game that "
        "shows times from its own clock will be off by this much",
        "set this machine's clock automatically (NTP) if it is this machine's",
    ]
    if abs(offset) >= CLOCK_PROBLEM_MS:
        return server, Finding("clock", "problem", text, advice)
    if abs(offset) >= CLOCK_NOTE_MS:
        return server, Finding("clock", "note", text, advice)
    return server, Finding("clock", "ok", text)


# --------------------------------------------------------------------------- identity


def _api_key_prefix(api_key: str) -> str:
    return api_key.split(".", 1)[0] if "." in api_key else ""


def default_store(config: ServerConfig) -> Path:
    """The file ``Kraty`` keeps this server's players in, unless the game chose one."""
    from kraty_pygame.sdk._secret_store import default_store_path  # noqa: PLC0415

    return default_store_path(config.base_url.rstrip("/"), _api_key_prefix(config.api_key))


def _loose_bits(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


def check_identity(
    config: ServerConfig,
    store: Path | None = None,
    *,
    server_ok: bool = True,
    timeout: float = 5.0,
    allow_insecure_http: bool = False,
) -> Finding:
    """Where the saved player lives, its permissions, and whether the server knows it."""
    from kraty_pygame.sdk import KratyApiError, KratyError  # noqa: PLC0415
    from kraty_pygame.sdk._secret_store import ACTIVE_KEY, SECRET_KEY_PREFIX  # noqa: PLC0415

    path = store if store is not None else default_store(config)
    details = [f"secret store: {path}"]
    aside = sorted(path.parent.glob(f"{path.name}.corrupt-*")) if path.parent.is_dir() else []
    if not path.is_file():
        if aside:
            return Finding(
                "identity",
                "problem",
                "the saved player's file was damaged and moved aside",
                [
                    *details,
                    *(f"moved aside: {p}" for p in aside),
                    "calls fail with SecretStoreError until the game calls logout() "
                    "(a fresh player) or the file is restored",
                ],
            )
        return Finding(
            "identity",
            "note",
            "no player saved yet for this server and key (the first call registers one)",
            details,
        )
    if os.name == "posix":
        loose = [p for p in (path, path.parent) if _loose_bits(p)]
        if loose:
            return Finding(
                "identity",
                "problem",
                "the secret store is readable by other users",
                [
                    *details,
                    *(f"{p}: mode {stat.S_IMODE(p.stat().st_mode):o}" for p in loose),
                    f"fix: chmod 600 {path} && chmod 700 {path.parent}",
                ],
            )
    try:
        data: Any = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return Finding(
            "identity",
            "problem",
            "the secret store cannot be read",
            [
                *details,
                f"{type(exc).__name__}",
                "the SDK moves a damaged file aside on its next "
                "use and fails until logout(); restore it from a backup if the player matters",
            ],
        )
    if not isinstance(data, dict):
        return Finding("identity", "problem", "the secret store is not a JSON object", details)
    players = sorted(k[len(SECRET_KEY_PREFIX) :] for k in data if k.startswith(SECRET_KEY_PREFIX))
    active = data.get(ACTIVE_KEY)
    details.append(f"players saved: {len(players)}")
    if not isinstance(active, str) or not active:
        return Finding(
            "identity", "note", "no active player (the next call registers one)", details
        )
    secret = data.get(SECRET_KEY_PREFIX + active)
    if not isinstance(secret, str) or not secret:
        return Finding("identity", "note", f"active player {active} has no saved secret", details)
    if not server_ok:
        return Finding(
            "identity", "note", f"active player {active} (not checked: no server)", details
        )
    try:
        client = _client(
            config,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
            player=(active, secret),
        )
    except KratyError as exc:
        return Finding("identity", "problem", f"active player {active}: {exc}", details)
    try:
        client.players.get_identities()  # 404 when the server has no such player
        client.wallet.list()  # a secret-checked read: 401 when the secret is refused
    except KratyApiError as exc:
        if exc.is_player_secret_invalid or exc.is_not_found:
            what = (
                "refuses the saved secret of"
                if exc.is_player_secret_invalid
                else "has no player named"
            )
            return Finding(
                "identity",
                "problem",
                f"the server {what} {active}: every call of this player fails with "
                "401 player_secret_invalid",
                [
                    *details,
                    "this happens when a dev emulator restarts with a fresh database: the "
                    "saved secret belongs to a player the new database never saw",
                    "the SDK never replaces a player by itself: call kraty.logout() once "
                    "(the next call registers a fresh player), or delete the file above; "
                    "in development, Kraty(auto_recover_identity=True) does it for you",
                ],
            )
        return Finding("identity", "problem", f"active player {active}: {exc}", details)
    except KratyError as exc:
        return Finding("identity", "note", f"active player {active} not checked: {exc}", details)
    finally:
        client.close()
    return Finding("identity", "ok", f"active player {active} is known to the server", details)


# --------------------------------------------------------------------------- outbox


def _outbox_hooks() -> tuple[OutboxInspector, Callable[[ServerConfig], Path] | None] | str:
    """The outbox package's reader, or why there is none."""
    try:
        module = importlib.import_module(OUTBOX_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is not None and OUTBOX_MODULE.startswith(exc.name):
            return "this version of kraty_pygame has no outbox (nothing is queued on disk)"
        raise
    inspector = getattr(module, "doctor_summary", None)
    if not callable(inspector):
        return f"{OUTBOX_MODULE} offers no doctor_summary(directory) yet"
    locate = getattr(module, "doctor_directory", None)
    return inspector, (locate if callable(locate) else None)


def check_outbox(
    config: ServerConfig,
    directory: Path | None = None,
    *,
    inspector: OutboxInspector | None = None,
) -> Finding:
    """The outbox folder, how many writes wait in it, and anything set aside.

    The outbox package (``kraty_pygame.sdk.outbox``) answers through two functions:
    ``doctor_summary(directory) -> OutboxSummary`` reads a folder of journal files
    without changing it, and ``doctor_directory(config) -> Path`` names its default
    folder for a server and key. Until that package exists the check says so.
    """
    if inspector is None:
        hooks = _outbox_hooks()
        if isinstance(hooks, str):
            return Finding("outbox", "note", hooks)
        inspector, locate = hooks
        if directory is None and locate is not None:
            directory = locate(config)
    if directory is None:
        return Finding("outbox", "note", "no outbox folder given (--outbox DIR)")
    details = [f"folder: {directory}"]
    if not directory.is_dir():
        return Finding("outbox", "ok", "empty (no folder yet: nothing was ever queued)", details)
    if os.name == "posix" and _loose_bits(directory):
        details.append(f"mode {stat.S_IMODE(directory.stat().st_mode):o}: should be 700")
        return Finding("outbox", "problem", "the outbox folder is open to other users", details)
    try:
        summary = inspector(directory)
    except Exception as exc:  # the reader's failure is the finding
        return Finding("outbox", "problem", f"cannot read the outbox: {exc}", details)
    text = f"{summary.pending} write(s) waiting to be sent"
    if summary.set_aside:
        return Finding(
            "outbox",
            "problem",
            f"{text}; {len(summary.set_aside)} damaged journal(s) set aside",
            [
                *details,
                *(f"set aside: {p}" for p in summary.set_aside),
                "the writes in them were not sent; the files are kept for inspection",
            ],
        )
    if summary.pending:
        details.append("they are sent the next time the game runs online")
        return Finding("outbox", "note", text, details)
    return Finding("outbox", "ok", text, details)


# --------------------------------------------------------------------------- drivers


def check_drivers() -> Finding:
    """Which SDL video and audio drivers start (pygame must import)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame  # noqa: PLC0415
    except Exception as exc:
        return Finding("drivers", "note", f"not checked: pygame does not import ({exc})")
    details: list[str] = []
    status: Status = "ok"
    try:
        pygame.display.init()
        video = pygame.display.get_driver()
    except pygame.error as exc:
        video = "none"
        status = "note"
        details.append(
            f"no display ({exc}): a game cannot open a window here; for headless runs "
            "set SDL_VIDEODRIVER=dummy"
        )
    finally:
        pygame.display.quit()
    try:
        pygame.mixer.init()
        audio = pygame.mixer.get_driver()
    except pygame.error as exc:
        audio = "none"
        status = "note"
        details.append(
            f"no audio ({exc}): games run silent; SDL_AUDIODRIVER=dummy silences the error"
        )
    finally:
        with contextlib.suppress(pygame.error):
            pygame.mixer.quit()
    chosen = [
        f"{name}={os.environ[name]}"
        for name in ("SDL_VIDEODRIVER", "SDL_AUDIODRIVER")
        if os.environ.get(name)
    ]
    if chosen:
        details.append("chosen by the environment: " + ", ".join(chosen))
    return Finding("drivers", status, f"video: {video}, audio: {audio}", details)


# --------------------------------------------------------------------------- run


def run_checks(args: argparse.Namespace) -> list[Finding]:
    """Every check, in the order the troubleshooting page explains them."""
    config = resolve_server(args.base_url, args.api_key)
    findings = [check_pygame(), check_dependencies()]
    server, clock = check_server(
        config, timeout=args.timeout, allow_insecure_http=args.allow_insecure_http
    )
    findings += [
        server,
        clock,
        check_identity(
            config,
            args.secret_store,
            server_ok=server.status == "ok",
            timeout=args.timeout,
            allow_insecure_http=args.allow_insecure_http,
        ),
        check_outbox(config, args.outbox),
    ]
    if not args.no_drivers:
        findings.append(check_drivers())
    return findings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kraty-doctor",
        description="Check this environment and the configured Kraty server; "
        "exit 0 when nothing is wrong. Never prints a secret.",
    )
    parser.add_argument(
        "--base-url",
        help=f"the server to check (default ${ENV_BASE_URL}, else {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--api-key", help=f"its client key (default ${ENV_API_KEY}, else the emulator's demo key)"
    )
    parser.add_argument(
        "--secret-store",
        type=Path,
        help="the game's secret store file, if it passes FileSecretStore(path) "
        "(default: the SDK's file for this server and key)",
    )
    parser.add_argument("--outbox", type=Path, help="the game's outbox folder, if it chose one")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow http:// to a non-loopback host (as Kraty(allow_insecure_http=True))",
    )
    parser.add_argument("--no-drivers", action="store_true", help="skip the SDL driver check")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--version", action="version", version=f"kraty-doctor {__version__}")
    return parser


def _render(findings: Sequence[Finding]) -> Iterator[str]:
    yield (
        f"kraty-doctor {__version__}: Python {platform.python_version()} "
        f"on {platform.system()} ({sys.executable})"
    )
    for finding in findings:
        yield f"{_LABELS[finding.status]} {finding.check}: {finding.summary}"
        for line in finding.details:
            yield f"         {line}"
    problems = sum(f.status == "problem" for f in findings)
    yield ("all is well" if not problems else f"{problems} problem(s): see docs/troubleshooting.md")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks and print them; returns 0 when no check found a problem."""
    args = _parser().parse_args(argv)
    findings = run_checks(args)
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for line in _render(findings):
            print(line)
    return 1 if any(f.status == "problem" for f in findings) else 0


def console_main() -> None:
    """Console-script wrapper for :func:`main`."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
