"""Property test: ``jellyfish`` with random arguments never shows a traceback or the token.

Hypothesis builds command lines from the command tree itself (every command, its options
and arguments, values of the right type and of every wrong one), with malformed tokens and
addresses among the connection options, and runs each against an emulator whose server
token is the secret. Whatever the input: the exit status is 0, 1 or 2, nothing escapes as
an uncaught exception (what a user would see as a traceback), and the token never shows.

Commands that run until Ctrl-C (``bridge``, ``events``, ``webhooks listen``, ``emulator``)
are only driven to their help or a usage error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest._hostile import BAD_ADDRESSES, MALFORMED_TOKENS, SECRET  # tests/ is on sys.path

from jellyfish._cli import cli
from jellyfish.testing import JellyfishServer

LONG_RUNNING = {("bridge",), ("emulator",), ("events",), ("webhooks", "listen")}
SHOWN_NEVER = SECRET[4:].encode()


def leaf_commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(leaf_commands(cli))

WORDS = st.sampled_from(
    [
        "demo",
        "r1",
        "..",
        ".",
        "",
        "-",
        "--",
        "-x",
        "ü",
        "a/b",
        "%2e%2e",
        "0",
        "-1",
        "1e999",
        "99999999999999999999",
        "index.m3u8",
        "\x1b[2J",
        "a b",
        "\n",
    ]
)
TEXT = st.one_of(WORDS, st.text(max_size=12))
SAFE_VALUES = {
    # options whose value reaches the network or the file system: only harmless values
    "output": st.sampled_from(["-", "out.bin", "missing-directory/out.bin", ""]),
    "webhook_url": st.sampled_from(["http://127.0.0.1:1/hook", "not a url", "", "ftp://x"]),
    "source_uri": st.sampled_from(["rtsp://127.0.0.1:1/stream", "nonsense", ""]),
    "sip_address": st.sampled_from(["127.0.0.1", "127.0.0.1:1", ""]),
    "host": st.sampled_from(["127.0.0.1", "", "no such host"]),
}


def value_for(parameter: click.Parameter) -> st.SearchStrategy[str]:
    if parameter.name in SAFE_VALUES:
        return SAFE_VALUES[parameter.name]
    kind = parameter.type
    if isinstance(kind, click.Choice):
        return st.one_of(st.sampled_from([str(choice) for choice in kind.choices]), TEXT)
    if isinstance(kind, click.types.IntParamType):
        return st.one_of(st.integers(-3, 10**6).map(str), TEXT)
    return TEXT


@st.composite
def invocations(draw: st.DrawFn, address: str) -> list[str]:
    argv: list[str] = []
    if draw(st.booleans()):
        argv += ["--address", draw(st.sampled_from(
            [address, f"http://{address}", f"ws://{address}/", f"https://{address}",
             "127.0.0.1:1", "localhost:1", *BAD_ADDRESSES]
        ))]  # fmt: skip
    if draw(st.booleans()):
        tokens = [SECRET, SECRET[::-1]] + [token for token, _ in MALFORMED_TOKENS.values()]
        argv += ["--token", draw(st.one_of(st.sampled_from(tokens), TEXT))]
    if draw(st.booleans()):
        argv.append(draw(st.sampled_from(["--secure", "--no-secure"])))
    if draw(st.booleans()):
        argv += ["--timeout", draw(st.sampled_from(["5", "0", "-1", "abc", "inf", "nan", "1e-9"]))]
    path, command = draw(st.sampled_from(COMMANDS))
    argv += path
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            if not draw(st.booleans()):
                continue
            if parameter.is_flag:
                argv.append(draw(st.sampled_from(parameter.opts + parameter.secondary_opts)))
            else:
                argv += [draw(st.sampled_from(parameter.opts)), draw(value_for(parameter))]
        elif isinstance(parameter, click.Argument):
            count = parameter.nargs if parameter.nargs >= 0 else draw(st.integers(0, 3))
            argv += [draw(value_for(parameter)) for _ in range(count)]
    if draw(st.integers(0, 9)) == 0:  # sometimes: garbage anywhere
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(["--bogus", "-z", "--"])))
    if tuple(path) in LONG_RUNNING or draw(st.integers(0, 19)) == 0:
        argv.append("--help")
    return argv


@pytest.fixture(scope="module")
def secret_server() -> Iterator[JellyfishServer]:
    with JellyfishServer(token=SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def environment(secret_server: JellyfishServer) -> dict[str, Any]:
    return {
        "JELLYFISH_ADDRESS": f"127.0.0.1:{secret_server.port}",
        "JELLYFISH_TOKEN": SECRET,
        "JELLYFISH_SECURE": None,
    }


def test_random_command_lines_exit_0_1_or_2_without_a_traceback_or_the_token(
    secret_server: JellyfishServer,
    environment: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = f"127.0.0.1:{secret_server.port}"
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # where downloads land

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(argv=invocations(address), token_variable=st.sampled_from([SECRET, SECRET + "\n"]))
    def run(argv: list[str], token_variable: str) -> None:
        env = {**environment, "JELLYFISH_TOKEN": token_variable}
        result = runner.invoke(cli, argv, env=env, prog_name="jellyfish")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{argv!r}: uncaught {result.exception!r}") from result.exception
        assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.stderr)
        shown = result.stdout_bytes + result.stderr_bytes
        assert b"Traceback" not in shown, argv
        assert SHOWN_NEVER not in shown, argv

    run()


def test_the_fuzzer_reaches_every_command() -> None:
    assert len(COMMANDS) >= 19
    assert {("room", "create"), ("recording", "get"), ("component", "add")} <= {
        path for path, _ in COMMANDS
    }
