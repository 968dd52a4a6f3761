"""The one precedence for address, token and scheme: argument > environment > defaults."""

import re

import pytest

from jellyfish._settings import ConnectionSettings, resolve_settings


def test_defaults_are_040s_when_nothing_is_set():
    defaults = ConnectionSettings("localhost:5002", "development", False)
    assert resolve_settings(environ={}) == defaults


def test_environment_fills_what_no_argument_gives():
    environ = {
        "JELLYFISH_ADDRESS": "jf.example:443",
        "JELLYFISH_TOKEN": "secret",
        "JELLYFISH_SECURE": "true",
    }
    assert resolve_settings(environ=environ) == ConnectionSettings("jf.example:443", "secret", True)


def test_explicit_arguments_beat_the_environment():
    environ = {"JELLYFISH_ADDRESS": "a:1", "JELLYFISH_TOKEN": "t", "JELLYFISH_SECURE": "1"}
    settings = resolve_settings("b:2", "u", False, environ=environ)
    assert settings == ConnectionSettings("b:2", "u", False)


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("YES", True), ("off", False), ("", False)]
)
def test_secure_accepts_the_usual_spellings(text, value):
    assert resolve_settings(environ={"JELLYFISH_SECURE": text}).secure is value


def test_a_secure_value_that_is_not_a_boolean_is_a_clear_error():
    with pytest.raises(ValueError, match=r"JELLYFISH_SECURE must be true or false.*'maybe'"):
        resolve_settings(environ={"JELLYFISH_SECURE": "maybe"})


def test_the_token_never_appears_in_the_repr():
    assert "hunter2" not in repr(resolve_settings("a:1", "hunter2", False))


# ---------------------------------------------------------------- the address rule


@pytest.mark.parametrize(
    ("given", "address", "secure"),
    [
        ("localhost:5002", "localhost:5002", False),
        ("jf.example.com", "jf.example.com", False),
        ("http://localhost:5002", "localhost:5002", False),
        ("ws://localhost:5002/", "localhost:5002", False),
        ("https://jf.example.com", "jf.example.com", True),
        ("HTTPS://jf.example.com:8443/", "jf.example.com:8443", True),
        ("wss://[::1]:5002", "[::1]:5002", True),
        ("[::1]", "[::1]", False),
        ("10.0.0.7:65535", "10.0.0.7:65535", False),
    ],
)
def test_an_address_is_host_port_or_a_url_whose_scheme_sets_secure(given, address, secure):
    settings = resolve_settings(given, environ={})
    assert (settings.server_address, settings.secure) == (address, secure)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("", "it is empty"),
        ("127.0.0.1:99999", r"the port 99999 is out of range \(1-65535\)"),
        ("127.0.0.1:0", "out of range"),
        ("127.0.0.1:abc", "the port 'abc' is not a number"),
        ("127.0.0.1:", "empty port"),
        ("localhost:5002/api", "a path, query or fragment is not allowed"),
        ("localhost:5002?x=1", "a path, query or fragment is not allowed"),
        ("ftp://localhost:5002", "unsupported scheme 'ftp'"),
        ("::1", "an IPv6 address needs brackets"),
        ("[::1", "invalid IPv6 address"),
        ("[::1]5002", "text after the IPv6 address"),
        ("local host:5002", "whitespace or a control character"),
        ("localhost:5002\n", "whitespace or a control character"),
        ("-bad:1", "invalid host name '-bad'"),
        (":5002", "no host"),
    ],
)
def test_a_bad_address_is_a_value_error_naming_the_problem(given, problem):
    with pytest.raises(ValueError, match=rf"invalid server_address {re.escape(repr(given))}: "):
        resolve_settings(given, environ={})
    with pytest.raises(ValueError, match=problem):
        resolve_settings(given, environ={})


def test_an_address_with_credentials_is_refused_without_showing_them():
    with pytest.raises(ValueError, match="must not contain credentials") as info:
        resolve_settings("https://admin:hunter2@jf.example.com", environ={})
    assert "hunter2" not in str(info.value)


def test_a_bad_address_from_the_environment_names_the_variable():
    with pytest.raises(ValueError, match=r"invalid JELLYFISH_ADDRESS 'x:99999'"):
        resolve_settings(environ={"JELLYFISH_ADDRESS": "x:99999"})


def test_secure_contradicting_the_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'http://x:1' says http/ws but secure=True contradicts"):
        resolve_settings("http://x:1", secure=True, environ={})
    assert resolve_settings("https://x:1", secure=True, environ={}).secure is True
    environ = {"JELLYFISH_ADDRESS": "https://x:1", "JELLYFISH_SECURE": "0"}
    with pytest.raises(ValueError, match="JELLYFISH_SECURE='0' contradicts it"):
        resolve_settings(environ=environ)


def test_the_scheme_of_an_explicit_address_beats_jellyfish_secure():
    settings = resolve_settings("http://x:1", environ={"JELLYFISH_SECURE": "1"})
    assert settings.secure is False
    settings = resolve_settings("x:1", environ={"JELLYFISH_SECURE": "1"})
    assert settings.secure is True


# ---------------------------------------------------------------- the token rule

SECRET = "tok-SECRET-4b1d"

MALFORMED_TOKENS = [
    ("", "is empty"),
    (SECRET + "\n", r"ends with a line break \(read from a file\? strip it\)"),
    (SECRET + "\r\n", "ends with a line break"),
    (" " + SECRET, "has leading or trailing whitespace: strip it"),
    (SECRET + "\t", "has leading or trailing whitespace"),
    (SECRET + "\xa0", "has leading or trailing whitespace"),
    (SECRET[:4] + "\x00" + SECRET[4:], "contains a control character"),
    (SECRET[:4] + "\x1b[2J" + SECRET[4:], "contains a control character"),
    (SECRET[:4] + "\x7f" + SECRET[4:], "contains a control character"),
    (SECRET[:4] + "\xa0" + SECRET[4:], "contains a non-ASCII character"),
    (SECRET[:4] + "\u201c" + SECRET[4:], "contains a non-ASCII character"),
    (SECRET[:4] + "é" + SECRET[4:], "contains a non-ASCII character"),
    (SECRET[:4] + " " + SECRET[4:], "contains a space"),
]


@pytest.mark.parametrize(("token", "problem"), MALFORMED_TOKENS)
def test_a_malformed_token_is_named_never_shown(token, problem):
    with pytest.raises(ValueError, match=rf"^server_api_token {problem}") as info:
        resolve_settings("x:1", token, environ={})
    assert SECRET[4:] not in str(info.value)
    assert SECRET[4:] not in repr(info.value.args)
    if not token:
        return  # an empty JELLYFISH_TOKEN is unset: the default applies
    with pytest.raises(ValueError, match=rf"^JELLYFISH_TOKEN {problem}") as info:
        resolve_settings("x:1", environ={"JELLYFISH_TOKEN": token})
    assert SECRET[4:] not in repr(info.value.args)


def test_a_token_that_is_not_a_string_is_named_by_type_only():
    with pytest.raises(ValueError, match="server_api_token must be a string, not bytes") as info:
        resolve_settings("x:1", SECRET.encode(), environ={})  # type: ignore[arg-type]
    assert SECRET not in repr(info.value.args)


def test_every_printable_ascii_token_is_accepted():
    token = "".join(chr(code) for code in range(0x21, 0x7F))
    assert resolve_settings("x:1", token, environ={}).server_api_token == token


def test_the_settings_hold_the_token_hidden():
    settings = resolve_settings("x:1", SECRET, environ={})
    assert SECRET not in repr(settings)
    assert SECRET not in repr(settings.token)
    assert not hasattr(settings, "__dict__")
    assert settings.server_api_token == SECRET
