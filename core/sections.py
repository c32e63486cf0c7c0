"""The settings sections' registry: each package declares its ``kefu.toml`` tables here.

A section is a frozen dataclass whose fields are made with :func:`opt` (default, bounds,
choices, doc). The package that owns it registers it next to its code (``kb/settings.py``,
``intake/settings.py``...) with :func:`register`; ``core/config.py`` reads, coerces and
checks every registered section the same way and never imports the packages.
``core/cli.py`` imports every package's settings module before it loads the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def opt(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    doc: str = "",
) -> Any:
    """A config field with its validation rules kept in the field metadata."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "doc": doc}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Section:
    """One ``[name]`` table: its dataclass, secret keys, short env names and its own checks."""

    name: str
    cls: type[Any]
    secrets: tuple[str, ...] = ()  # keys hidden by check-config and masked in logs
    short_env: Mapping[str, str] = field(default_factory=dict)  # KEFU_X -> key
    # Checks that involve more than one key, run once every section is built (ConfigError).
    check: Callable[[Any], None] | None = None


# name -> Section: the core's first, then in registration order (check-config's order).
REGISTRY: dict[str, Section] = {}
# name -> dataclass, and (section, key) pairs that are secret: live views of REGISTRY.
SECTIONS: dict[str, type[Any]] = {}
SECRET_KEYS: set[tuple[str, str]] = set()
# KEFU_DATA_DIR -> ("storage", "data_dir")...
SHORT_ENV: dict[str, tuple[str, str]] = {}
_NAMES: dict[type[Any], str] = {}  # dataclass -> [name]


def register(*sections: Section) -> None:
    """Make sections known to the loader (again with the same class is fine)."""
    for section in sections:
        known = REGISTRY.get(section.name)
        if known is not None and known.cls is not section.cls:
            raise ValueError(
                f"settings section [{section.name}] is declared twice "
                f"({known.cls.__module__} and {section.cls.__module__})"
            )
        REGISTRY[section.name] = section
        _NAMES[section.cls] = section.name
        SECRET_KEYS.update((section.name, key) for key in section.secrets)
        SHORT_ENV.update({env: (section.name, key) for env, key in section.short_env.items()})
    # The core's sections first (check-config prints them first), then the packages' in the
    # order they registered.
    ordered = sorted(REGISTRY.values(), key=lambda s: not s.cls.__module__.startswith("core."))
    REGISTRY.clear()
    REGISTRY.update((s.name, s) for s in ordered)
    SECTIONS.clear()
    SECTIONS.update((s.name, s.cls) for s in ordered)


def section_name(cls: type[Any]) -> str:
    """The ``[name]`` a section class is registered under."""
    name = _NAMES.get(cls)
    if name is None:
        raise KeyError(f"{cls.__qualname__} is not a registered settings section")
    return name


def mask_url(url: str) -> str:
    """Hide the password in a URL like scheme://user:pass@host/db."""
    head, _, tail = url.rpartition("@")
    scheme, _, cred = head.partition("://")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"
