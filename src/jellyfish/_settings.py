"""Where every client, notifier and the CLI take the server address and token from.

One precedence for all of them: an explicit argument, else the environment
(``JELLYFISH_ADDRESS``, ``JELLYFISH_TOKEN``, ``JELLYFISH_SECURE``), else the defaults of
jellyfish-server-sdk 0.4.0 (``localhost:5002``, ``development``, plain http/ws).

And one rule for what an address and a token may be (:func:`parse_address`,
:func:`check_token`), so ``RoomApi``, ``RecordingApi``, both notifiers, the environment
and the ``jellyfish`` command accept and refuse the same things with the same words.

The token is handled as a :class:`Secret` from the first line of every function that
receives it: crash reporters record the ``repr`` of every local of every frame of a
traceback, and a plain ``str`` local would show it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

ADDRESS_VARIABLE: Final = "JELLYFISH_ADDRESS"
TOKEN_VARIABLE: Final = "JELLYFISH_TOKEN"
SECURE_VARIABLE: Final = "JELLYFISH_SECURE"

DEFAULT_ADDRESS: Final = "localhost:5002"
DEFAULT_TOKEN: Final = "development"

SCHEMES: Final = {"http": False, "ws": False, "https": True, "wss": True}
"""The schemes an address may start with, and the ``secure`` each one means."""

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})
_HOST_PUNCTUATION: Final = frozenset("-._")


@dataclass(frozen=True)
class SettingNames:
    """How errors name each setting: the SDK's argument names, or the CLI's options."""

    address: str = "server_address"
    token: str = "server_api_token"
    secure_true: str = "secure=True"
    secure_false: str = "secure=False"

    def secure(self, value: bool) -> str:
        """How the user said ``secure=value``."""
        return self.secure_true if value else self.secure_false


SDK_NAMES: Final = SettingNames()
CLI_NAMES: Final = SettingNames("--address", "--token", "--secure", "--no-secure")


# --------------------------------------------------------------------------------------
# The token


class Secret:
    """A value that never shows: its ``repr`` and ``str`` hide it, it has no ``__dict__``.

    Wrapping never fails, whatever the value (a failing wrap would leave the plain value
    in the frame that raised); :func:`check_token` says what is wrong with it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    @classmethod
    def of(cls, value: object) -> Secret | None:
        """``value`` wrapped (a :class:`Secret` as it is; ``None`` stays ``None``)."""
        if value is None or isinstance(value, Secret):
            return value
        return cls(value)

    def reveal(self) -> str:
        """The plain value (a ``str`` once :func:`check_token` accepted it)."""
        return self._value  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)


def token_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a server API token, in words that never quote it.

    A token goes into an HTTP header (``Authorization: Bearer <token>``) and the
    notifier's auth frame: printable ASCII without spaces. Leading or trailing whitespace
    is refused rather than stripped (a token is a secret: the SDK does not guess).
    """
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not value:
        return "is empty"
    if value != value.strip():
        if value.endswith(("\n", "\r")):
            return "ends with a line break (read from a file? strip it)"
        return "has leading or trailing whitespace: strip it"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "contains a control character"
    if not value.isascii():
        return (
            "contains a non-ASCII character (a non-breaking space or a typographic quote "
            "from a copy-paste?)"
        )
    if " " in value:
        return "contains a space"
    return None


def check_token(token: Secret, name: str = SDK_NAMES.token) -> Secret:
    """Return ``token`` if it can be a server API token.

    Raises:
        ValueError: what is wrong, naming ``name`` and never the value.
    """
    # The plain value lives only in token_problem's frame, gone before anything raises.
    problem = token_problem(token.reveal())
    if problem is not None:
        raise ValueError(f"{name} {problem}")
    return token


# --------------------------------------------------------------------------------------
# The address


@dataclass(frozen=True)
class Address:
    """A parsed server address: ``host``, optional ``port``, and the scheme's ``secure``."""

    host: str
    """The host name or IP address (an IPv6 address without its brackets)."""
    port: int | None
    """The port, if the address names one."""
    secure: bool | None
    """``True`` for https/wss, ``False`` for http/ws, ``None`` without a scheme."""

    @property
    def host_port(self) -> str:
        """``host:port`` (``[v6]:port``), without a scheme: what the SDK talks to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def _host_problem(host: str) -> str | None:
    if not host:
        return "no host"
    if host.startswith(("-", ".")) or not all(
        char.isalnum() or char in _HOST_PUNCTUATION for char in host
    ):
        return f"invalid host name {host!r}"
    return None


def _port_problem(port_text: str) -> str | None:
    if not port_text:
        return "empty port"
    if not (port_text.isascii() and port_text.isdigit()):
        return f"the port {port_text!r} is not a number"
    if not 1 <= int(port_text) <= 65535:
        return f"the port {port_text} is out of range (1-65535)"
    return None


def parse_address(text: object, name: str = SDK_NAMES.address) -> Address:
    """Read ``host[:port]``, ``[v6]:port`` or ``scheme://`` + one of them (+ one ``/``).

    The schemes are http, https, ws and wss (any case); the scheme only says whether the
    connection is secure (:attr:`Address.secure`).

    Raises:
        ValueError: what is wrong with the address, naming ``name``.
    """
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a 'host:port' string, not {type(text).__name__}")
    if "@" in text:
        # What comes before "@" may be a password: the message does not show the address.
        raise ValueError(
            f"{name} must not contain credentials (user:password@host): pass the token as "
            "server_api_token"
        )
    problem, address = _parse(text)
    if address is None:
        raise ValueError(f"invalid {name} {text!r}: {problem}")
    return address


@functools.lru_cache(maxsize=256)  # an API object parses the same few addresses again and again
def _parse(text: str) -> tuple[str, Address | None]:
    """(what is wrong, None) or ("", the address)."""
    if not text:
        return "it is empty", None
    if any(char.isspace() or not char.isprintable() for char in text):
        return "it contains whitespace or a control character", None
    scheme, separator, rest = text.partition("://")
    secure: bool | None = None
    if separator:
        if scheme.lower() not in SCHEMES:
            return (
                f"unsupported scheme {scheme!r} (use host:port, or http://, https://, ws:// "
                "or wss://)",
                None,
            )
        secure = SCHEMES[scheme.lower()]
    else:
        rest = text
    rest = rest.removesuffix("/")
    if any(char in rest for char in "/?#\\"):
        return "a path, query or fragment is not allowed (host:port only)", None
    port_text: str | None
    if rest.startswith("["):
        host, bracket, after = rest[1:].partition("]")
        if not bracket or not host or not all(c in "0123456789abcdefABCDEF:." for c in host):
            return "invalid IPv6 address (write it as [::1]:5002)", None
        if after and not after.startswith(":"):
            return "text after the IPv6 address that is not :port", None
        port_text = after[1:] if after else None
    elif rest.count(":") > 1:
        return "an IPv6 address needs brackets, e.g. [::1]:5002", None
    else:
        host, colon, after = rest.partition(":")
        port_text = after if colon else None
        problem = _host_problem(host)
        if problem is not None:
            return problem, None
    if port_text is not None:
        problem = _port_problem(port_text)
        if problem is not None:
            return problem, None
    return "", Address(host, None if port_text is None else int(port_text), secure)


# --------------------------------------------------------------------------------------
# Settings


class ConnectionSettings:
    """The address, token and scheme one client talks to a Jellyfish with.

    The token is kept as a :class:`Secret`: it appears in no ``repr``, and an object
    that expands this one's attributes finds only the hidden wrapper.
    """

    __slots__ = ("_token", "secure", "server_address")

    server_address: str
    """``host[:port]`` without a scheme."""
    secure: bool
    """https/wss (``True``) or http/ws."""

    def __init__(self, server_address: str, token: Secret | str, secure: bool) -> None:
        self.server_address = server_address
        self._token = token if isinstance(token, Secret) else Secret(token)
        self.secure = secure

    @property
    def token(self) -> Secret:
        """The server API token, wrapped."""
        return self._token

    @property
    def server_api_token(self) -> str:
        """The server API token, plain: use it where it is sent, never keep it in a local."""
        return self._token.reveal()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConnectionSettings):
            return NotImplemented
        return (self.server_address, self._token, self.secure) == (
            other.server_address,
            other._token,
            other.secure,
        )

    def __hash__(self) -> int:
        return hash((self.server_address, self._token, self.secure))

    def __repr__(self) -> str:
        return f"ConnectionSettings(server_address={self.server_address!r}, secure={self.secure!r})"


def parse_secure(value: str, *, source: str = SECURE_VARIABLE) -> bool:
    """Read a boolean setting: 1/true/yes/on or 0/false/no/off/empty (any case)."""
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised in _FALSE:
        return False
    raise ValueError(f"{source} must be true or false (1/0, yes/no, on/off), got {value!r}")


def _scheme_name(secure: bool) -> str:
    return "https/wss" if secure else "http/ws"


def resolve_settings(
    server_address: str | None = None,
    server_api_token: str | Secret | None = None,
    secure: bool | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    names: SettingNames = SDK_NAMES,
) -> ConnectionSettings:
    """Apply the precedence (explicit argument > environment > 0.4.0's defaults) and check.

    The address is read by :func:`parse_address`; its scheme, if any, decides ``secure``.
    An explicit ``secure`` that contradicts the scheme is an error, and so is
    ``JELLYFISH_SECURE`` contradicting the scheme of ``JELLYFISH_ADDRESS``; the scheme of
    an explicit address beats ``JELLYFISH_SECURE`` (arguments beat the environment).
    The token is checked by :func:`check_token`.

    Raises:
        ValueError: an address, token or ``JELLYFISH_SECURE`` that cannot be right; the
            message names the setting (the argument or the variable) and never the token.
    """
    token = Secret.of(server_api_token)
    del server_api_token  # from here on only the hidden wrapper
    # No local holds os.environ either: its repr would show JELLYFISH_TOKEN.
    secure_text = _variable(SECURE_VARIABLE, environ)
    environment_secure = parse_secure(secure_text)
    if server_address is not None:
        address_name = names.address
    elif _variable(ADDRESS_VARIABLE, environ):
        server_address, address_name = _variable(ADDRESS_VARIABLE, environ), ADDRESS_VARIABLE
    else:
        server_address, address_name = DEFAULT_ADDRESS, names.address
    address = parse_address(server_address, address_name)
    if token is not None:
        token_name = names.token
    elif _variable(TOKEN_VARIABLE, environ):
        token, token_name = _hidden_variable(TOKEN_VARIABLE, environ), TOKEN_VARIABLE
    else:
        token, token_name = Secret(DEFAULT_TOKEN), names.token
    check_token(token, token_name)
    if secure is not None:
        if not isinstance(secure, bool):
            raise ValueError(f"secure must be True, False or None, got {secure!r}")
        if address.secure is not None and address.secure != secure:
            raise ValueError(
                f"{address_name} {server_address!r} says {_scheme_name(address.secure)} but "
                f"{names.secure(secure)} contradicts it: leave one out"
            )
    elif address.secure is not None:
        secure = address.secure
        secure_set = bool(secure_text.strip())
        if address_name == ADDRESS_VARIABLE and secure_set and environment_secure != secure:
            raise ValueError(
                f"{ADDRESS_VARIABLE} {server_address!r} says {_scheme_name(secure)} but "
                f"{SECURE_VARIABLE}={secure_text!r} contradicts it: leave one out"
            )
    else:
        secure = environment_secure
    return ConnectionSettings(address.host_port, token, secure)


def _variable(name: str, environ: Mapping[str, str] | None) -> str:
    """An environment variable ("" if unset), from ``environ`` if given."""
    return (os.environ if environ is None else environ).get(name, "")


def _hidden_variable(name: str, environ: Mapping[str, str] | None) -> Secret:
    return Secret((os.environ if environ is None else environ).get(name, ""))
