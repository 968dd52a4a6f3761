"""docs/install.md and README.md say the same about installing, and name the real dependencies.

The install itself runs in ``nox -s install_check`` (tests/docs/install_check.py), in fresh
virtual environments; these checks are the cheap part of it, in every test run.
"""

from __future__ import annotations

import re
from importlib.metadata import requires

import jellyfish
from docs.install_check import INDEX_CLAIM, INSTALL_PAGE, README, VERIFY, install_blocks


def test_the_readme_shows_the_install_pages_commands() -> None:
    page, readme = install_blocks(INSTALL_PAGE), install_blocks(README)
    assert {"checkout", "wheel", VERIFY} <= set(page)
    assert readme
    assert all(page.get(name) == body for name, body in readme.items())


def test_both_pages_say_what_the_index_installs() -> None:
    for path in (README, INSTALL_PAGE):
        assert INDEX_CLAIM.search(" ".join(path.read_text(encoding="utf-8").split())), path


def test_the_wheel_block_names_this_version() -> None:
    wheel = f"jellyfish_server_sdk-{jellyfish.__version__}-py3-none-any.whl"
    assert wheel in install_blocks(INSTALL_PAGE)["wheel"]


def test_the_runtime_dependencies_are_the_declared_ones() -> None:
    text = " ".join(INSTALL_PAGE.read_text(encoding="utf-8").split())
    sentence = text.split("Runtime dependencies are ", 1)[1].split(". ", 1)[0]
    listed = set(re.findall(r"`([\w-]+)`", sentence)) - {"jellyfish"}  # the `jellyfish` command
    declared = [r for r in requires("jellyfish-server-sdk") or [] if "extra ==" not in r]
    assert listed == {re.split(r"[<>=!~\[; ]", requirement)[0] for requirement in declared}
