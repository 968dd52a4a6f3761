"""Every error the SDK raises, in one hierarchy rooted in :class:`JellyfishError`.

* :class:`HTTPError` and its subclasses: the server answered with a non-2xx status.
  The 0.4.0 names (``BadRequestError``, ``UnauthorizedError``, ``NotFoundError``,
  ``ServiceUnavailableError``) are kept, so ``except jellyfish.errors.NotFoundError``
  keeps working.
* :class:`TransportError` and its subclasses: no usable answer at all (refused,
  reset, timed out, TLS failure).
* :class:`DecodeError`: bytes that are not a Jellyfish ``ServerMessage``.
* :class:`NotifierError` and its subclasses: the server WebSocket failed.

Some are also the builtin exception Python code already catches: every timeout
(:class:`RequestTimeoutError`, :class:`NotifierTimeoutError`) is a ``TimeoutError``,
:class:`ConnectionFailedError` (REST and notifiers alike) a ``ConnectionError``, and
:class:`InvalidTokenError` the ``RuntimeError`` that 0.4.0 raised for a bad token.
The one table of them all, with when each is raised and whether to retry, is the
documentation's "Errors" page (docs/errors.md, checked against this module by a test).

All of them keep their state in ``args``, so they pickle and cross process
boundaries intact.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class JellyfishError(Exception):
    """The root of every error raised by jellyfish-server-sdk."""


class HTTPError(JellyfishError):
    """The server answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status the server sent.
        message: the server's explanation: the string of ``{"errors": "..."}`` or
            the ``detail`` of ``{"errors": {"detail": "..."}}``; for a body in
            neither envelope, its text.
        method: the HTTP method of the request (``"GET"``, ``"POST"``, ...).
        path: the path of the request (``"/room/abc"``).

    ``str(error)`` is the server's message, as in 0.4.0 (where it was ``args[0]``).
    """

    def __init__(self, message: str, status_code: int = 0, method: str = "", path: str = ""):
        super().__init__(message, status_code, method, path)

    @property
    def message(self) -> str:
        """The server's message."""
        return str(self.args[0])

    @property
    def status_code(self) -> int:
        """The HTTP status code of the answer."""
        return int(self.args[1])

    @property
    def method(self) -> str:
        """The HTTP method of the failed request."""
        return str(self.args[2])

    @property
    def path(self) -> str:
        """The path of the failed request."""
        return str(self.args[3])

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, "
            f"method={self.method!r}, path={self.path!r})"
        )

    @staticmethod
    def from_status(status_code: int, message: str, method: str = "", path: str = "") -> HTTPError:
        """Build the most specific error class for ``status_code``."""
        error_class = _BY_STATUS.get(status_code)
        if error_class is None:
            error_class = ServerError if status_code >= 500 else UnexpectedStatusError
        return error_class(message, status_code, method, path)


class BadRequestError(HTTPError):
    """400: the server rejected the request (see ``message`` for why)."""


class UnauthorizedError(HTTPError):
    """401: the server API token is missing or wrong."""


class NotFoundError(HTTPError):
    """404: the room, peer, component, recording or file does not exist on that node."""


class NotAcceptableError(HTTPError):
    """406: the request's ``Accept`` header names no JSON type."""


class ServiceUnavailableError(HTTPError):
    """503: for example, the room has reached its peer limit."""


class ServerError(HTTPError):
    """A 5xx status (other than 503): the server failed while handling the request.

    Jellyfish answers 500 when a room crashes during the call; a ``RoomCrashed``
    notification follows.
    """


class UnexpectedStatusError(HTTPError):
    """A non-2xx status that the Jellyfish API does not document (e.g. 409, 3xx)."""


_BY_STATUS: dict[int, type[HTTPError]] = {
    HTTPStatus.BAD_REQUEST: BadRequestError,
    HTTPStatus.UNAUTHORIZED: UnauthorizedError,
    HTTPStatus.NOT_FOUND: NotFoundError,
    HTTPStatus.NOT_ACCEPTABLE: NotAcceptableError,
    HTTPStatus.SERVICE_UNAVAILABLE: ServiceUnavailableError,
}


class TransportError(JellyfishError):
    """No usable answer from the server: the request may or may not have been applied.

    Attributes:
        message: what went wrong.
        url: the URL the SDK was talking to.
    """

    def __init__(self, message: str, url: str = ""):
        super().__init__(message, url)
        if isinstance(self, OSError):
            # OSError reads two arguments as (errno, strerror); ours are (message, url).
            os_error: OSError = self
            os_error.errno = None
            os_error.strerror = message

    @property
    def message(self) -> str:
        """What went wrong."""
        return str(self.args[0])

    @property
    def url(self) -> str:
        """The URL the SDK was talking to."""
        return str(self.args[1])

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class ConnectionFailedError(TransportError, ConnectionError):
    """The connection could not be made, or broke (refused, reset, DNS failure).

    Raised by the REST clients and by the notifiers alike; also a builtin
    ``ConnectionError``.
    """


class RequestTimeoutError(TransportError, TimeoutError):
    """The server did not answer a REST call in time. A write may still have been applied.

    Also a builtin ``TimeoutError``.
    """


class TLSError(TransportError):
    """The TLS handshake failed (for example, the certificate did not verify)."""


class DecodeError(JellyfishError):
    """Bytes that are not a valid Jellyfish ``ServerMessage`` (or a body in the wrong format).

    Attributes:
        message: what is wrong.
        data: the offending bytes (possibly truncated to 1 KiB).
        status_code: for a REST answer, the (2xx) HTTP status that came with the body;
            0 for notification bytes.
    """

    def __init__(self, message: str, data: bytes = b"", status_code: int = 0):
        super().__init__(message, bytes(data[:1024]), status_code)

    @property
    def message(self) -> str:
        """What is wrong with the data."""
        return str(self.args[0])

    @property
    def data(self) -> bytes:
        """The first KiB of the offending bytes."""
        return bytes(self.args[1])

    @property
    def status_code(self) -> int:
        """The HTTP status of the REST answer whose body this is (0 if not a REST answer)."""
        return int(self.args[2]) if len(self.args) > 2 else 0

    def __str__(self) -> str:
        return self.message


class NotifierError(JellyfishError):
    """The server notification WebSocket failed."""


class InvalidTokenError(NotifierError, RuntimeError):
    """The server rejected the server API token (close 1000 ``invalid token``). Final.

    Also a ``RuntimeError``, which is what jellyfish-server-sdk 0.4.0 raised for a bad
    token, so ``except RuntimeError:`` keeps working.
    """


class ProtocolError(NotifierError):
    """The client refused what the server sent, or the server refused the SDK's messages.

    The client's refusals begin with "protocol violation detected by the client": a
    frame (text, masked, reserved bits, over ``max_size``, an invalid close code), an
    invalid WebSocket upgrade answer, an unexpected handshake message. The notifiers
    retry them by policy. The server's refusals (close 1003, ``invalid auth request``)
    are final.
    """


class NotifierTimeoutError(NotifierError, TimeoutError):
    """The server did not answer in time; the connection is considered dead. Retryable.

    Also a builtin ``TimeoutError``.

    Raised for a missing WebSocket upgrade, ``authenticated``, ``subscribe_response``
    (also from ``subscribe()``) or answer to a ping within the notifier's
    :class:`jellyfish.Timeouts`, and for a write the server does not take within
    ``Timeouts.send`` (it stopped reading).
    """


class NotifierClosedError(NotifierError):
    """The connection closed and the notifier will not (or may no longer) reconnect.

    Attributes:
        code: the WebSocket close code, or ``None`` if the connection just broke.
        reason: the close reason the server gave.
    """

    def __init__(self, message: str, code: int | None = None, reason: str = ""):
        super().__init__(message, code, reason)

    @property
    def code(self) -> int | None:
        """The WebSocket close code, or ``None``."""
        code: Any = self.args[1]
        return None if code is None else int(code)

    @property
    def reason(self) -> str:
        """The close reason."""
        return str(self.args[2])

    def __str__(self) -> str:
        return str(self.args[0])


__all__ = [
    "BadRequestError",
    "ConnectionFailedError",
    "DecodeError",
    "HTTPError",
    "InvalidTokenError",
    "JellyfishError",
    "NotAcceptableError",
    "NotFoundError",
    "NotifierClosedError",
    "NotifierError",
    "NotifierTimeoutError",
    "ProtocolError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "TLSError",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedStatusError",
]
