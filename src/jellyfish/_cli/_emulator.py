"""``jellyfish emulator``: ``python -m jellyfish.testing`` under the ``jellyfish`` command."""

from __future__ import annotations

import click

from jellyfish._cli._app import cli

INSTALL_TESTING_EXTRA = (
    'pip install ".[testing]" in a checkout of this SDK, or "<wheel file>[testing]" with a '
    "wheel built from one (see docs/install.md)"
)
"""How to get the testing extra while this version is not on the package index."""


@cli.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
    short_help="Run a local Jellyfish emulator (python -m jellyfish.testing).",
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def emulator(arguments: tuple[str, ...]) -> None:
    """Run the local Jellyfish emulator until Ctrl-C (`jellyfish emulator --help`: options).

    The same program and options as `python -m jellyfish.testing`; needs the testing extra
    (pip install ".[testing]" in a checkout of this SDK: see docs/install.md).

    \b
    Examples:
      jellyfish emulator --port 5002
      jellyfish emulator --help
    """
    try:
        from jellyfish.testing.__main__ import main
    except ImportError as error:
        # Not "pip install jellyfish-server-sdk[testing]": the package index has 0.4.0,
        # which has no such extra. docs/install.md: a checkout, or a wheel built from one.
        raise click.ClickException(
            f"the emulator needs the testing extra: {INSTALL_TESTING_EXTRA} ({error})"
        ) from None
    status = main(list(arguments), prog="jellyfish emulator")
    if status:
        raise click.exceptions.Exit(status)
