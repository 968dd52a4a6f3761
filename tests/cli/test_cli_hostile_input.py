"""The command line under hostile or mistaken input: malformed tokens and addresses exit 2
with one line that says what is wrong, never a traceback, never the token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest._hostile import BAD_ADDRESSES, MALFORMED_TOKENS, SECRET  # tests/ is on sys.path

from jellyfish.testing import JellyfishServer

from .conftest import Run, run_in_process, run_subprocess

# the NUL-byte token cannot be passed to a process (argv and the environment are C strings)
ARGV_TOKENS = [case for case in MALFORMED_TOKENS if case != "NUL inside"]


def assert_refused(outcome: object, problem: str) -> None:
    exit_code, stdout, stderr = outcome.exit_code, outcome.stdout, outcome.stderr  # type: ignore[attr-defined]
    assert exit_code == 2, (stdout, stderr)
    assert stdout == ""
    assert f"Error: {problem}" in stderr
    assert "Traceback" not in stderr
    assert SECRET[4:] not in stdout + stderr


@pytest.mark.parametrize("case", MALFORMED_TOKENS)
def test_a_malformed_token_option_exits_2_without_showing_it(case: str) -> None:
    token, problem = MALFORMED_TOKENS[case]
    outcome = run_in_process("--address", "127.0.0.1:1", "--token", token, "rooms")
    assert_refused(outcome, f"--token {problem}")


@pytest.mark.parametrize("case", [case for case in ARGV_TOKENS if case != "empty"])
def test_a_malformed_token_variable_exits_2_without_showing_it(case: str) -> None:
    token, problem = MALFORMED_TOKENS[case]
    env = {"JELLYFISH_ADDRESS": "127.0.0.1:1", "JELLYFISH_TOKEN": token}
    assert_refused(run_in_process("health", env=env), f"JELLYFISH_TOKEN {problem}")


@pytest.mark.parametrize("case", ["trailing newline", "nbsp inside", "escape sequence"])
def test_the_console_script_refuses_a_malformed_token_the_same_way(case: str) -> None:
    token, problem = MALFORMED_TOKENS[case]
    outcome = run_subprocess("--address", "127.0.0.1:1", "--token", token, "room", "show", "x")
    assert_refused(outcome, f"--token {problem}")


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_bad_address_exits_2_naming_the_problem(run: Run, address: str) -> None:
    outcome = run("--address", address, "rooms")
    assert_refused(outcome, f"invalid --address {address!r}: {BAD_ADDRESSES[address]}")


def test_a_scheme_contradicting_no_secure_exits_2(run: Run) -> None:
    outcome = run("--address", "https://127.0.0.1:1", "--no-secure", "rooms")
    assert_refused(
        outcome, "--address 'https://127.0.0.1:1' says https/wss but --no-secure contradicts it"
    )


def test_an_address_with_credentials_is_refused_without_showing_them(run: Run) -> None:
    outcome = run("--address", f"https://admin:{SECRET}@jf.example.com", "rooms")
    assert_refused(outcome, "--address must not contain credentials")


def test_an_id_the_sdk_refuses_is_invalid_usage(run: Run) -> None:
    outcome = run("--address", "127.0.0.1:1", "room", "show", "..")
    assert_refused(outcome, "room_id cannot be '..'")


def test_a_timeout_no_timer_can_take_is_invalid_usage(run: Run) -> None:
    outcome = run("--address", "127.0.0.1:1", "--timeout", "inf", "rooms")
    assert_refused(outcome, "timeout must be at most")


@pytest.fixture(scope="module")
def secret_server() -> Iterator[JellyfishServer]:
    """An emulator whose server token is :data:`SECRET`."""
    with JellyfishServer(token=SECRET) as server:
        yield server


@pytest.mark.parametrize("scheme", ["http://", "ws://", ""])
def test_an_address_with_a_scheme_works(
    run: Run, secret_server: JellyfishServer, scheme: str
) -> None:
    address = f"{scheme}127.0.0.1:{secret_server.port}"
    outcome = run("--address", address, "--token", SECRET, "rooms", "--json")
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, "[]\n", "")


def test_a_rejected_token_fails_with_exit_1_without_showing_it(
    run: Run, secret_server: JellyfishServer
) -> None:
    wrong = SECRET[::-1]
    outcome = run("--address", f"127.0.0.1:{secret_server.port}", "--token", wrong, "rooms")
    assert outcome.exit_code == 1
    assert outcome.stderr == "Error: 401 Unauthorized: Invalid token (GET /room)\n"
    assert wrong not in outcome.stdout + outcome.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--address", "--token", SECRET, "rooms"],  # the address is missing: the token moves
        ["--token", "--json", SECRET, "rooms"],  # a flag typed in between
        ["--token", SECRET + "\n", SECRET, "rooms"],  # the token twice, once as a command
    ],
    ids=["address missing", "flag in between", "repeated"],
)
def test_a_token_misread_as_a_command_is_hidden_in_the_error(run: Run, argv: list[str]) -> None:
    outcome = run(*argv)
    assert outcome.exit_code == 2
    assert "Error: No such command '<token hidden>'." in outcome.stderr
    assert SECRET[4:] not in outcome.stdout + outcome.stderr


def test_a_misplaced_token_from_the_environment_is_hidden(run: Run) -> None:
    outcome = run("room", "create", "--video-codec", SECRET, env={"JELLYFISH_TOKEN": SECRET})
    assert outcome.exit_code == 2
    assert "'<token hidden>' is not one of 'h264', 'vp8'" in outcome.stderr
    assert SECRET[4:] not in outcome.stdout + outcome.stderr
