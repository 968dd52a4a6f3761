"""Errors keep 0.4.0's contracts (bad token is a RuntimeError) and Python's (timeouts are
TimeoutError, connection failures ConnectionError), and still pickle intact."""

import pickle

import pytest

from jellyfish import errors


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (errors.InvalidTokenError("invalid token"), RuntimeError),
        (errors.NotifierTimeoutError("timed out waiting for 'authenticated'"), TimeoutError),
        (errors.RequestTimeoutError("read timed out", "http://h/room"), TimeoutError),
        (errors.ConnectionFailedError("connection failed", "http://h/room"), ConnectionError),
    ],
)
def test_errors_are_also_the_builtin_a_python_user_catches(error, builtin):
    assert isinstance(error, builtin)
    assert isinstance(error, errors.JellyfishError)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert str(copy) == str(error)


def test_os_error_fields_of_transport_errors_are_not_garbled():
    error = errors.ConnectionFailedError("connection failed: refused", "http://h/room")
    assert error.errno is None
    assert error.strerror == "connection failed: refused"
    assert str(error) == "connection failed: refused (http://h/room)"
