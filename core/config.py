"""Configuration: ``kefu.toml`` plus ``KEFU_*`` environment variables, validated once.

Sources, later ones winning: built-in defaults, the TOML file (``--config FILE``,
``KEFU_CONFIG`` or ``./kefu.toml``), then environment variables. Every key can be set
from the environment as ``KEFU_<SECTION>__<KEY>`` (e.g. ``KEFU_WEBCHAT__MAX_TEXT_LENGTH``);
the common ones also have short names (``KEFU_DATA_DIR``, ``KEFU_DATABASE_URL``...).

The sections are not listed here: each package declares its own next to its code and
registers it (:mod:`core.sections`); the core's are in :mod:`core.settings`. This module
reads, coerces and checks whatever is registered, the same way for every section.

A bad value raises :class:`ConfigError` with one plain sentence naming the key.
Nothing here reads the environment at import time: :func:`load_settings` is called once,
by the CLI or by tests.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import ConfigError
from core.sections import REGISTRY, SECRET_KEYS, SECTIONS, SHORT_ENV, mask_url, section_name
from core.settings import (
    AttachmentSettings,
    ChannelInfo,
    InboxSettings,
    OrdersSettings,
    OutboxSettings,
    ServerSettings,
    StorageSettings,
    WorkersSettings,
    default_rate_limits,
    parse_rate_limits,
)

__all__ = [
    "SECRET_KEYS",
    "SECTIONS",
    "AttachmentSettings",
    "ChannelInfo",
    "InboxSettings",
    "OrdersSettings",
    "OutboxSettings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "WorkersSettings",
    "describe",
    "known_channels",
    "load_settings",
    "parse_rate_limits",
    "set_channel_source",
]

T = TypeVar("T")


def _defaults() -> dict[str, Any]:
    """Every registered section with its default values."""
    return {name: spec.cls() for name, spec in REGISTRY.items()}


@dataclass(frozen=True, init=False)
class Settings:
    """All of kefu's settings, validated: one object per registered section.

    ``settings.kb`` is the ``[kb]`` section (typed ``Any`` for mypy: the core does not know
    the kb package); ``settings.section(KbSettings)`` is the same object, typed. The core's
    own sections are typed attributes. A section can be given by name, so
    ``dataclasses.replace(settings, kb=...)`` works as for any field.
    """

    sections: Mapping[str, Any]  # name -> section, every registered one
    inboxes: tuple[InboxSettings, ...]
    source: str
    channels: tuple[ChannelInfo, ...]  # from the channel registry, not from the file
    if TYPE_CHECKING:  # the core's own sections, typed; set by __init__ like every section
        server: ServerSettings
        storage: StorageSettings
        outbox: OutboxSettings
        workers: WorkersSettings
        orders: OrdersSettings
        attachments: AttachmentSettings

    def __init__(
        self,
        sections: Mapping[str, Any] | None = None,
        inboxes: tuple[InboxSettings, ...] = (),
        source: str = "",
        channels: tuple[ChannelInfo, ...] = (),
        **named: Any,
    ) -> None:
        merged = {**_defaults(), **(sections or {})}
        for name, value in named.items():
            if name not in merged:
                raise TypeError(f"Settings() got an unexpected section {name!r}")
            merged[name] = value
        object.__setattr__(self, "sections", merged)
        object.__setattr__(self, "inboxes", inboxes)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "channels", channels)
        for name, value in merged.items():  # settings.kb: a plain attribute read, no lookup
            if name not in _OWN_NAMES:
                object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        """Only reached for a name that is no section: ``__init__`` set every registered
        one as an attribute (typed ``Any`` here, for mypy)."""
        raise AttributeError(
            f"Settings has no section [{name}]: is the settings module of its package "
            "imported (core/cli.py imports them all)?"
        )

    def section(self, cls: type[T]) -> T:
        """The section whose dataclass is ``cls``, typed."""
        value = self.sections[section_name(cls)]
        if not isinstance(value, cls):
            raise TypeError(f"[{section_name(cls)}] is a {type(value).__name__}, not {cls}")
        return value

    def inboxes_of(self, channel: str) -> tuple[InboxSettings, ...]:
        """The configured inboxes of one channel."""
        return tuple(i for i in self.inboxes if i.channel == channel)

    def channel(self, name: str) -> ChannelInfo | None:
        """A channel's metadata by name (None for a name no channel has, e.g. ``import``)."""
        return next((c for c in self.channels if c.name == name), None)

    @property
    def data_path(self) -> Path:
        """The data directory as a Path."""
        return Path(self.storage.data_dir).expanduser()

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL, defaulting to SQLite in the data dir."""
        if self.storage.database_url:
            return self.storage.database_url
        return f"sqlite+aiosqlite:///{(self.data_path / 'kefu.db').resolve()}"

    @property
    def public_url(self) -> str:
        """Base URL for links printed or sent to users."""
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        return f"http://{self.server.host}:{self.server.port}"


# Names Settings answers itself (fields, properties, methods): never shadowed by a section.
_OWN_NAMES = frozenset(dir(Settings))

ChannelSource = Callable[[], Iterable[ChannelInfo]]
_CHANNEL_SOURCE: list[ChannelSource] = []


def set_channel_source(source: ChannelSource) -> None:
    """Where :func:`load_settings` finds the channels it is not given.

    The channel registry calls this when it is imported: the core never imports channels,
    ``core/cli.py`` imports the registry before it loads settings. Code that loads settings
    without the registry (tests) passes ``channels=`` or gets none.
    """
    _CHANNEL_SOURCE[:] = [source]


def known_channels() -> tuple[ChannelInfo, ...]:
    """The registered channels, read now (empty when no registry is loaded)."""
    return tuple(_CHANNEL_SOURCE[0]()) if _CHANNEL_SOURCE else ()


def _default(f: dataclasses.Field[Any]) -> Any:
    """A field's default value, calling its factory when it has one."""
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Any = f.default_factory
    return factory()


def _coerce(section: str, f: dataclasses.Field[Any], raw: Any, from_env: bool) -> Any:
    """Convert ``raw`` to the field's type and check its bounds, or raise ConfigError."""
    key = f"[{section}] {f.name}"
    default = _default(f)
    meta = f.metadata
    try:
        if isinstance(default, bool):
            if from_env and isinstance(raw, str):
                low = raw.strip().lower()
                if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError
                value: Any = low in {"1", "true", "yes", "on"}
            elif isinstance(raw, bool):
                value = raw
            else:
                raise ValueError
        elif isinstance(default, int):
            if isinstance(raw, bool):
                raise ValueError
            if not from_env and not isinstance(raw, int):
                raise ValueError
            value = int(raw)
        elif isinstance(default, float):
            if isinstance(raw, bool):
                raise ValueError
            if not from_env and not isinstance(raw, int | float):
                raise ValueError
            value = float(raw)
        elif isinstance(default, list):
            if from_env and isinstance(raw, str):
                value = [p.strip() for p in raw.split(",") if p.strip()]
            elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
                value = list(raw)
            else:
                raise ValueError
        else:
            if not isinstance(raw, str):
                raise ValueError
            value = raw
    except (ValueError, TypeError):
        kind = type(default).__name__
        kind = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "list": "a list of strings",
            "str": "a string",
        }.get(kind, kind)
        shown = "(hidden)" if (section, f.name) in SECRET_KEYS else repr(raw)
        raise ConfigError(f"Config key {key} must be {kind}, got {shown}.") from None
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"Config key {key} must be between {lo} and {hi}, got {value!r}.")
    if choices and value not in choices:
        if isinstance(value, str) and value.upper() in choices:
            value = value.upper()
        else:
            raise ConfigError(
                f"Config key {key} must be one of {', '.join(choices)}, got {value!r}."
            )
    return value


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    channels: Iterable[ChannelInfo] | None = None,
) -> Settings:
    """Build validated Settings from defaults, a TOML file, the environment and overrides.

    ``channels``: the channels' metadata and defaults; by default the registered ones
    (:func:`known_channels`).
    """
    env = os.environ if env is None else env
    chans = known_channels() if channels is None else tuple(channels)
    data: dict[str, dict[str, Any]] = {}
    raw_inboxes: list[Any] = []
    source = "defaults"
    path: Path | None = None
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist.")
    elif env.get("KEFU_CONFIG"):
        path = Path(env["KEFU_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"Config file {path} (from KEFU_CONFIG) does not exist.")
    elif Path("kefu.toml").is_file():
        path = Path("kefu.toml")
    if path is not None:
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"Config file {path} is not valid TOML: {err}.") from None
        source = str(path)
        sections = SECTIONS
        for name, body in loaded.items():
            if name == "inboxes":
                raw_inboxes = body if isinstance(body, list) else [body]
                continue
            if name not in sections:
                raise ConfigError(
                    f"Config file {path} has an unknown section [{name}]; "
                    f"known: {', '.join(sections)}."
                )
            if not isinstance(body, dict):
                raise ConfigError(f"Config key [{name}] must be a table.")
            data[name] = dict(body)

    result: dict[str, Any] = {}
    for section, cls in SECTIONS.items():  # every registered section
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        file_values = data.get(section, {})
        for key, raw in file_values.items():
            if key not in fields:
                raise ConfigError(
                    f"Config key [{section}] {key} is unknown; known keys: {', '.join(fields)}."
                )
            values[key] = _coerce(section, fields[key], raw, from_env=False)
        for fname, f in fields.items():
            env_names = [f"KEFU_{section.upper()}__{fname.upper()}"]
            env_names += [k for k, v in SHORT_ENV.items() if v == (section, fname)]
            for env_name in env_names:
                if env_name in env and env[env_name] != "":
                    values[fname] = _coerce(section, f, env[env_name], from_env=True)
        for fname, raw in (overrides or {}).get(section, {}).items():
            if fname not in fields:
                raise ConfigError(f"Config key [{section}] {fname} is unknown.")
            values[fname] = _coerce(section, fields[fname], raw, from_env=False)
        if section == "outbox" and "rate_limits" not in values:
            values["rate_limits"] = default_rate_limits(chans)
        result[section] = cls(**values)

    for name, spec in REGISTRY.items():  # checks that involve more than one key
        if spec.check is not None:
            spec.check(result[name])
    return Settings(
        sections=result, inboxes=_inboxes(raw_inboxes, env), source=source, channels=chans
    )


_INBOX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")


def _inboxes(raw: list[Any], env: Mapping[str, str]) -> tuple[InboxSettings, ...]:
    """Validate ``[[inboxes]]`` names and channels; merge ``KEFU_INBOXES__<NAME>__<KEY>``."""
    out: list[InboxSettings] = []
    seen: set[str] = set()
    for i, body in enumerate(raw, 1):
        if not isinstance(body, dict):
            raise ConfigError(f"Config [[inboxes]] entry {i} must be a table.")
        name, channel = body.get("name"), body.get("channel")
        if not isinstance(name, str) or not _INBOX_NAME.match(name):
            raise ConfigError(
                f"Config [[inboxes]] entry {i} needs a name of letters, digits, '-', '_' or '.', "
                f"got {name!r}."
            )
        if name in seen:
            raise ConfigError(f"Config [[inboxes]] name {name!r} is used twice.")
        if name == "web":
            raise ConfigError("Config [[inboxes]] name 'web' is reserved for the web chat.")
        if not isinstance(channel, str) or not channel:
            raise ConfigError(f"Config [[inboxes]] {name!r} needs a channel.")
        seen.add(name)
        options = {k: v for k, v in body.items() if k not in ("name", "channel")}
        prefix = f"KEFU_INBOXES__{name.upper().replace('-', '_').replace('.', '_')}__"
        for env_name, value in env.items():
            if env_name.startswith(prefix) and value != "":
                options[env_name[len(prefix) :].lower()] = value
        out.append(InboxSettings(name=name, channel=channel, options=options))
    return tuple(out)


def describe(settings: Settings) -> dict[str, Any]:
    """Settings as plain data with secrets hidden, for `kefu check-config`."""
    out: dict[str, Any] = {}
    for section in SECTIONS:
        sec = getattr(settings, section)
        out[section] = {}
        for f in dataclasses.fields(sec):
            value = getattr(sec, f.name)
            if (section, f.name) in SECRET_KEYS and value:
                value = "(set)"
            elif "url" in f.name and isinstance(value, str) and "@" in value:
                value = mask_url(value)
            out[section][f.name] = value
    out["inboxes"] = [i.describe() for i in settings.inboxes]
    return out
