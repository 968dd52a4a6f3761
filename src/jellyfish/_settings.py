"""Where every client, notifier and the CLI take the server address and token from.

One precedence for all of them: an explicit argument, else the environment
(``JELLYFISH_ADDRESS``, ``JELLYFISH_TOKEN``, ``JELLYFISH_SECURE``), else the defaults of
jellyfish-server-sdk 0.4.0 (``localhost:5002``, ``development``, plain http/ws).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

ADDRESS_VARIABLE: Final = "JELLYFISH_ADDRESS"
TOKEN_VARIABLE: Final = "JELLYFISH_TOKEN"
SECURE_VARIABLE: Final = "JELLYFISH_SECURE"

DEFAULT_ADDRESS: Final = "localhost:5002"
DEFAULT_TOKEN: Final = "development"

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class ConnectionSettings:
    """The address, token and scheme one client talks to a Jellyfish with.

    The token never appears in ``repr`` (crash reporters capture reprs of locals).
    """

    server_address: str
    server_api_token: str = field(repr=False)
    secure: bool


def parse_secure(value: str, *, source: str = SECURE_VARIABLE) -> bool:
    """Read a boolean setting: 1/true/yes/on or 0/false/no/off/empty (any case)."""
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ValueError(f"{source} must be true or false (1/0, yes/no, on/off), got {value!r}")


def resolve_settings(
    server_address: str | None = None,
    server_api_token: str | None = None,
    secure: bool | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ConnectionSettings:
    """Apply the precedence: explicit argument > environment > 0.4.0's defaults.

    Raises:
        ValueError: ``JELLYFISH_SECURE`` is set to something that is not a boolean.
    """
    env = os.environ if environ is None else environ
    if server_address is None:
        server_address = env.get(ADDRESS_VARIABLE) or DEFAULT_ADDRESS
    if server_api_token is None:
        server_api_token = env.get(TOKEN_VARIABLE) or DEFAULT_TOKEN
    if secure is None:
        secure = parse_secure(env.get(SECURE_VARIABLE, ""))
    return ConnectionSettings(server_address, server_api_token, secure)
