"""What the blocking and the anyio clients share: settings, requests, errors, routing.

Everything here is free of I/O. A REST operation is described by a :class:`Call` (method,
path, body, how to parse the answer); ``_sync_client`` and ``_async_client`` send it with an
``httpx.Client`` or ``httpx.AsyncClient`` and hand the answer back to :meth:`Call.finish`,
so both surfaces behave identically.

Importing the API classes loads neither httpx nor ssl (nor httpcore, which loads trio and
anyio when they are installed): what needs them at run time imports them when a client
builds its pool or a call needs them, as httpx itself imports httpcore only when it builds
a transport. Annotations name them under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import enum
import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

from jellyfish._settings import ConnectionSettings, parse_address
from jellyfish._version import __version__
from jellyfish.errors import (
    ConnectionFailedError,
    DecodeError,
    HTTPError,
    JellyfishError,
    RequestTimeoutError,
    TLSError,
    TransportError,
)

if TYPE_CHECKING:
    import ssl

    import httpx

    from jellyfish._openapi_client.models import HealthReport
    from jellyfish.api._http_types import CallTimeout, Timeout, VerifyTypes

T = TypeVar("T")

USER_AGENT: Final = f"jellyfish-server-sdk/{__version__}"
"""The ``User-Agent`` header sent with every request."""

DEFAULT_TIMEOUT_SECONDS: Final = 10.0
"""The timeout of every call unless the client or the call sets another one."""

DEFAULT_MAX_RESPONSE_SIZE: Final = 32 * 1024 * 1024
"""The largest answer body (32 MiB) a call reads unless ``max_response_size`` says otherwise.

Streaming downloads (``stream_hls_content``, ``stream_content``) are not limited."""

MAX_REMEMBERED_ROOMS: Final = 10_000
"""How many room -> node entries one API object keeps (least recently used are dropped)."""

ClusterRouting = bool | Literal["auto"]
"""``True``/``False`` to always/never route room calls to the room's node; ``"auto"``
routes only when the server reports that distribution (clustering) is enabled."""


class _Default(enum.Enum):
    """Sentinel type for "use the client's timeout"."""

    TIMEOUT = "DEFAULT_TIMEOUT"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default.TIMEOUT
"""Pass as ``timeout=`` (it is the default) to use the API object's timeout."""


# --------------------------------------------------------------------------------------
# Addresses and settings


def check_id(name: str, value: object) -> str:
    """Reject ids that cannot name anything (they would hit a different endpoint)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if value in (".", ".."):
        # URL normalisation would turn the path into a different endpoint.
        raise ValueError(f"{name} cannot be {value!r}")
    return value


def ssl_verify(verify: VerifyTypes) -> bool | ssl.SSLContext:
    """What ``httpx`` accepts for ``verify=``; a CA bundle path becomes an SSLContext."""
    if isinstance(verify, str):
        import ssl

        return ssl.create_default_context(cafile=verify)
    return verify


def segment(value: str) -> str:
    """One URL path segment, percent-encoded (``/`` included)."""
    return quote(value, safe="")


@dataclass
class Settings:
    """The configuration of one API object (shared by the blocking and async clients).

    The token is held only by ``connection`` and ``auth_headers``, whose reprs hide it:
    crash reporters record the reprs of a failing call's locals.
    """

    connection: ConnectionSettings
    timeout: Timeout
    verify: bool | ssl.SSLContext
    cluster_routing: ClusterRouting
    max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE
    scheme: str = field(init=False)

    def __post_init__(self) -> None:
        self.scheme = "https" if self.connection.secure else "http"  # first: repr needs it
        if self.cluster_routing not in (True, False, "auto"):
            raise ValueError(
                f"cluster_routing must be True, False or 'auto', got {self.cluster_routing!r}"
            )
        check_timeout(self.timeout)
        check_max_response_size(self.max_response_size)

    # The headers are made by the first call that needs them (httpx loads with the pool);
    # the token was checked at construction, so making them cannot fail.

    @functools.cached_property
    def auth_headers(self) -> httpx.Headers:
        """``User-Agent`` and ``Authorization`` (httpx's repr hides the token)."""
        import httpx

        return httpx.Headers(
            {
                "User-Agent": USER_AGENT,
                "Authorization": f"Bearer {self.connection.server_api_token}",
            }
        )

    @functools.cached_property
    def anon_headers(self) -> httpx.Headers:
        """``User-Agent`` alone (the content endpoints take no token)."""
        import httpx

        return httpx.Headers({"User-Agent": USER_AGENT})

    @property
    def server_address(self) -> str:
        """The ``host:port`` calls go to unless routed to a room's node."""
        return self.connection.server_address

    @property
    def secure(self) -> bool:
        """Whether calls use https (else http)."""
        return self.connection.secure

    def base_url(self, address: str) -> str:
        """``scheme://address`` for a ``host:port`` address."""
        return f"{self.scheme}://{address}"

    def node_address(self, address: str, name: str) -> str:
        """Another node's address (``host:port``) read by the rule of ``server_address``.

        A scheme is accepted when it agrees with this object's ``secure``.
        """
        parsed = parse_address(address, name)
        if parsed.secure is not None and parsed.secure != self.secure:
            raise ValueError(
                f"{name} {address!r} says {'https' if parsed.secure else 'http'} but this "
                f"API object uses {self.scheme}"
            )
        return parsed.host_port

    def request_timeout(self, timeout: CallTimeout) -> Timeout:
        """The timeout for one call: the call's own, else the API object's."""
        if timeout is DEFAULT:
            return self.timeout
        return check_timeout(timeout)


MAX_TIMEOUT_SECONDS: Final = 365 * 24 * 3600.0
"""The longest timeout in seconds (a year); ``None`` is the way to say "no limit"."""


def check_timeout(timeout: Timeout) -> Timeout:
    """Reject timeouts that cannot bound anything (negative, NaN, infinite, wrong type)."""
    if timeout is None:
        return timeout
    if not isinstance(timeout, int | float):
        import httpx  # only for a value that is not a number (usually loaded already)

        if isinstance(timeout, httpx.Timeout):
            return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
        raise ValueError(
            f"timeout must be seconds (>= 0), an httpx.Timeout or None, got {timeout!r}"
        )
    if timeout > MAX_TIMEOUT_SECONDS:
        # The operating system's timers cannot take it (socket timeouts overflow).
        raise ValueError(
            f"timeout must be at most {MAX_TIMEOUT_SECONDS:g} s (None for no limit), "
            f"got {timeout!r}"
        )
    return timeout


def check_max_response_size(limit: int | None) -> int | None:
    """Reject a body size limit that cannot bound anything."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(
            f"max_response_size must be a number of bytes (>= 0) or None, got {limit!r}"
        )
    return limit


def declared_too_large(response: httpx.Response, limit: int | None) -> bool:
    """Whether the answer's ``Content-Length`` already says it is over ``limit``."""
    if limit is None:
        return False
    declared = response.headers.get("Content-Length", "")
    return declared.isdigit() and int(declared) > limit


def deadline_seconds(timeout: Timeout) -> float | None:
    """The total time a call with this timeout may take (None: no total limit).

    A number is a deadline for the whole call; an ``httpx.Timeout`` sets the limits of each
    network operation (connect, read, write, pool) and no total, as in httpx.
    """
    if isinstance(timeout, int | float):
        return float(timeout)
    return None


# --------------------------------------------------------------------------------------
# Cluster routing


def distribution_enabled(report: HealthReport) -> bool:
    """Whether a health report says the node is part of a cluster."""
    enabled = report.distribution.enabled
    if isinstance(enabled, bool):
        return enabled
    return report.distribution.nodes_in_cluster > 1


class Router:
    """Which node holds which room, as far as this API object has learned.

    ``create_room`` answers with the address of the node that created the room; room-scoped
    calls for that room then go there. The map is per API object, bounded
    (:data:`MAX_REMEMBERED_ROOMS`, least recently used dropped) and thread-safe.
    """

    def __init__(self, default_address: str, mode: ClusterRouting) -> None:
        self.default_address = default_address
        self.mode = mode
        # None: not known yet ("auto" asks /health once, the first time it matters).
        self.cluster: bool | None = None if mode == "auto" else bool(mode)
        self._rooms: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def learn(self, room_id: str, address: str) -> None:
        """Remember that ``room_id`` lives on ``address``."""
        if self.mode is False:
            return
        with self._lock:
            if address == self.default_address:
                self._rooms.pop(room_id, None)
                return
            self._rooms[room_id] = address
            self._rooms.move_to_end(room_id)
            while len(self._rooms) > MAX_REMEMBERED_ROOMS:
                self._rooms.popitem(last=False)

    def forget(self, room_id: str) -> None:
        """Drop what is known about ``room_id``."""
        with self._lock:
            self._rooms.pop(room_id, None)

    def remembered(self, room_id: str) -> str | None:
        """The non-default node remembered for ``room_id``, or None (marks it recently used)."""
        if not self._rooms:
            return None
        with self._lock:
            address = self._rooms.get(room_id)
            if address is not None:
                self._rooms.move_to_end(room_id)
            return address

    def decide(self, distribution_enabled: bool) -> None:
        """Record what ``/health`` said about clustering (``"auto"`` mode)."""
        self.cluster = distribution_enabled

    def address_for(self, room_id: str | None) -> str:
        """The node to send a call for ``room_id`` to (``cluster`` must be decided)."""
        if room_id is None or not self.cluster:
            return self.default_address
        return self.remembered(room_id) or self.default_address

    def trusted_address(self, room_id: str | None) -> str:
        """The remembered node of ``room_id`` (or the default), whatever the mode."""
        if room_id is None:
            return self.default_address
        return self.remembered(room_id) or self.default_address

    def needs_decision(self, room_id: str | None) -> bool:
        """True if routing ``room_id`` depends on an unanswered "is this a cluster?"."""
        return self.cluster is None and room_id is not None and self.remembered(room_id) is not None


class RoutingMethods:
    """The cluster-routing controls of ``RoomApi`` and ``AsyncRoomApi`` (no I/O)."""

    _router: Router
    _settings: Settings

    def room_address(self, room_id: str) -> str:
        """The node (``host:port``) that calls about ``room_id`` go to; no I/O.

        That is the node ``create_room`` reported for the room (or
        :meth:`remember_room` was told), when cluster routing applies, else
        ``server_address``. In ``cluster_routing="auto"`` mode, before the first routed
        call has asked the server whether it is clustered, the remembered node is shown.
        """
        check_id("room_id", room_id)
        if self._router.cluster is False:
            return self._router.default_address
        return self._router.remembered(room_id) or self._router.default_address

    def remember_room(self, room_id: str, jellyfish_address: str) -> None:
        """Route calls about ``room_id`` to ``jellyfish_address`` from now on.

        Use it when the room was created elsewhere (another process, another API object)
        and you kept the ``jellyfish_address`` that ``create_room`` returned.
        """
        check_id("room_id", room_id)
        address = self._settings.node_address(jellyfish_address, "jellyfish_address")
        self._router.learn(room_id, address)

    def forget_room(self, room_id: str) -> None:
        """Send calls about ``room_id`` to ``server_address`` again."""
        self._router.forget(room_id)


# --------------------------------------------------------------------------------------
# Calls


def _no_body(body: bytes) -> None:
    return None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One REST request and how to turn its 2xx answer into a value.

    ``parse`` turns the body of a 2xx answer into the value; ``room_id`` names the room
    whose node should receive the call (cluster routing); ``auth`` is False for the two
    content endpoints, which take no token.
    """

    method: str
    path: str
    parse: Callable[[bytes], T]
    json: Any = None
    params: Mapping[str, str | int] | None = None
    headers: Mapping[str, str] | None = None
    room_id: str | None = None
    auth: bool = True

    def headers_for(self, settings: Settings) -> Mapping[str, str]:
        """The headers to send: auth (or not) plus the call's own."""
        base = settings.auth_headers if self.auth else settings.anon_headers
        return {**base, **self.headers} if self.headers else base

    def finish(self, response: httpx.Response, body: bytes) -> T:
        """Parse the ``body`` of a 2xx answer.

        Whatever a hostile or broken server sends, the error is a ``DecodeError``: a JSON
        document nested too deep for the parser (``RecursionError``) included.
        """
        try:
            return self.parse(body)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise DecodeError(
                f"{self.method} {self.path}: {_what_is_wrong(exc)} "
                f"(status {response.status_code}): {_describe(exc)}",
                body,
                response.status_code,
            ) from exc

    def too_large(self, response: httpx.Response, limit: int) -> JellyfishError:
        """The error for an answer whose body is over ``max_response_size`` (not read)."""
        size = f"larger than max_response_size ({limit} bytes)"
        if response.is_success:
            return DecodeError(
                f"{self.method} {self.path}: the answer is {size}, refused unread "
                f"(status {response.status_code}); use a stream_* method for large downloads",
                b"",
                response.status_code,
            )
        reason = response.reason_phrase or f"HTTP {response.status_code}"
        message = f"{reason} (the error body is {size}, not read)"
        return HTTPError.from_status(response.status_code, message, self.method, self.path)

    def unreadable(self, response: httpx.Response, exc: httpx.RequestError) -> DecodeError | None:
        """The error for an answer whose body could not be read to its end, or ``None``.

        ``None``: raise ``exc`` as the transport failure it is. That is the case for a
        non-2xx answer, a timeout, and a connection that broke
        during a ``GET``'s body (a read applies nothing: trying again is safe). After any
        other method, the 2xx status says the operation was applied: a ``DecodeError``
        carrying that status.
        """
        import httpx

        if not response.is_success or isinstance(exc, httpx.TimeoutException):
            return None
        if isinstance(exc, httpx.DecodingError):
            cause = "undecodable body"
        elif self.method == "GET":
            return None
        else:
            cause = "truncated body"
        return DecodeError(
            f"{self.method} {self.path}: {cause} (status {response.status_code}): "
            f"{exc or type(exc).__name__}",
            b"",
            response.status_code,
        )


def _describe(exc: BaseException) -> str:
    """``repr(exc)``, short: a RecursionError's message is all that matters of it."""
    if isinstance(exc, RecursionError):
        return "nested too deeply (RecursionError)"
    text = repr(exc)
    return text if len(text) <= 500 else text[:500] + "..."


def _what_is_wrong(exc: Exception) -> str:
    """The cause to name: a truncated body when the JSON simply stops, else an unexpected one."""
    if isinstance(exc, json.JSONDecodeError) and exc.pos >= len(exc.doc.rstrip()):
        return "truncated body"
    return "unexpected response body"


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    call: Call[T],
    url: str,
    settings: Settings,
    owns_client: bool,
    call_timeout: CallTimeout,
) -> httpx.Request:
    """The ``httpx.Request`` for ``call`` (the same for the blocking and the async client)."""
    import httpx

    request_timeout = settings.request_timeout(call_timeout)
    if owns_client:
        # Our client carries the auth and User-Agent headers and the default timeout.
        request = client.build_request(
            call.method,
            url,
            json=call.json,
            params=call.params,
            headers=call.headers,
            timeout=httpx.USE_CLIENT_DEFAULT if call_timeout is DEFAULT else request_timeout,
        )
        if not call.auth:
            del request.headers["Authorization"]
        return request
    return client.build_request(
        call.method,
        url,
        json=call.json,
        params=call.params,
        headers=call.headers_for(settings),
        timeout=request_timeout,
    )


def no_body(method: str, path: str, **kwargs: Any) -> Call[None]:
    """A call whose answer (204, or 201 with a text body) carries nothing to return."""
    return Call(method, path, _no_body, **kwargs)


def json_data(body: bytes) -> Any:
    """The ``data`` member of a ``{"data": ...}`` success envelope."""
    document = json.loads(body)
    if not isinstance(document, dict) or "data" not in document:
        raise ValueError("no 'data' member in the response")
    return document["data"]


# --------------------------------------------------------------------------------------
# Errors


def error_message(response: httpx.Response, content: bytes) -> str:
    """The server's message from either error envelope, else the body text, else the phrase."""
    if content:
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict) and "errors" in body:
            errors = body["errors"]
            if isinstance(errors, str):
                return errors
            if isinstance(errors, dict) and isinstance(errors.get("detail"), str):
                return str(errors["detail"])
            try:
                return json.dumps(errors)
            except (ValueError, RecursionError):
                pass
        text = content.decode("utf-8", errors="replace").strip()
        if text:
            return text if len(text) <= 2000 else text[:2000] + "..."
    return response.reason_phrase or f"HTTP {response.status_code}"


def http_error(response: httpx.Response, body: bytes, method: str, path: str) -> HTTPError:
    """The typed :class:`~jellyfish.errors.HTTPError` for a non-2xx answer."""
    message = error_message(response, body)
    return HTTPError.from_status(response.status_code, message, method, path)


def _tls_failure(exc: BaseException) -> ssl.SSLError | ssl.CertificateError | None:
    """The TLS error behind ``exc`` (its cause chain), if there is one."""
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _tls_cause(failure: ssl.SSLError | ssl.CertificateError) -> str:
    """What went wrong in words: the verification message, the OpenSSL reason, or the class.

    The same on every backend: httpx's own message for a TLS failure is empty on trio
    (the TLS error hides behind ``trio.BrokenResourceError``).
    """
    import ssl

    if isinstance(failure, ssl.SSLCertVerificationError) and failure.verify_message:
        return f"certificate verify failed: {failure.verify_message}"
    reason = getattr(failure, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.replace("_", " ").lower()
    text = str(failure).strip()
    return text or type(failure).__name__


def _describe_timeout(timeout: Timeout) -> str:
    import httpx

    if isinstance(timeout, httpx.Timeout):
        return "within the configured timeout"
    if timeout is None:
        return ""
    return f"within {timeout:g} s"


def transport_error(exc: httpx.RequestError, url: str, timeout: Timeout) -> TransportError:
    """The typed :class:`~jellyfish.errors.TransportError` for an httpx failure."""
    import httpx

    from jellyfish.api._http_types import DeadlineExceeded

    if isinstance(exc, httpx.TimeoutException):
        kind = {
            DeadlineExceeded: "no complete answer",
            httpx.ConnectTimeout: "could not connect",
            httpx.ReadTimeout: "no answer",
            httpx.WriteTimeout: "could not send the request",
            httpx.PoolTimeout: "no free connection in the pool",
        }.get(type(exc), "timed out")
        within = _describe_timeout(timeout)
        return RequestTimeoutError(f"{kind} {within}".strip() + " (timeout)", url)
    tls_failure = _tls_failure(exc)
    if tls_failure is not None:
        return TLSError(f"TLS failure: {_tls_cause(tls_failure)}", url)
    if isinstance(exc, httpx.ConnectError):
        return ConnectionFailedError(f"connection failed: {exc}", url)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        reason = str(exc) or type(exc).__name__
        return ConnectionFailedError(f"connection broke: {reason}", url)
    return TransportError(f"{type(exc).__name__}: {exc}", url)
