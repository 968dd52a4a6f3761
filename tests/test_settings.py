"""The one precedence for address, token and scheme: argument > environment > defaults."""

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
