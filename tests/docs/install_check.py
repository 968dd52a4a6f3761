"""Install this SDK as README.md and docs/install.md say, in fresh virtual environments.

``python tests/docs/install_check.py`` (``nox -s install_check``, in CI) copies the checkout
(the files git tracks, or the tree without build outputs) into a scratch directory, and for
each ``<!-- install-check: NAME -->`` ``sh`` block of docs/install.md creates a fresh venv,
runs the block there (as in an activated venv: ``python`` and ``jellyfish`` are the venv's),
then runs the page's ``verify`` block: ``jellyfish --version``, ``--help``,
``python -m jellyfish.testing --help`` and the quickstart. The checkout block is also run
without the extra (``"."``, the SDK alone), with the checks that need no emulator.
README.md's marked install blocks must be blocks of docs/install.md, so both pages say the
same. The page's claim that ``pip install jellyfish-server-sdk`` installs an older release
is checked against the package index. Exit status 1, with the output of the failing
command, on any failure.

pip's cache is shared with the user's, so dependencies are downloaded once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL_PAGE = ROOT / "docs" / "install.md"
README = ROOT / "README.md"
BLOCK = re.compile(
    r"^<!-- install-check: (?P<name>[\w-]+)[^\n]*-->\n```sh\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
VERIFY = "verify"
# What the SDK alone (no `testing` extra) must still do.
WITHOUT_EMULATOR = ("jellyfish --version", "jellyfish --help")
STEP_TIMEOUT = 600
INDEX_CLAIM = re.compile(r"`pip install jellyfish-server-sdk` installs (?P<version>\d+(?:\.\d+)*)")


def install_blocks(path: Path) -> dict[str, str]:
    """``{name: body}`` of the page's install-check blocks."""
    return {m["name"]: m["body"] for m in BLOCK.finditer(path.read_text(encoding="utf-8"))}


def _copy_checkout(destination: Path) -> Path:
    """The checkout's files, as a fresh clone would have them, under ``destination``."""
    checkout = destination / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            if name and (ROOT / name).is_file():
                (checkout / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, checkout / name)
    else:  # not a git checkout (an sdist): everything but build outputs and venvs
        ignore = shutil.ignore_patterns(
            ".git", ".venv", ".nox", "dist", "build", "site", "__pycache__", "*.egg-info"
        )
        shutil.copytree(ROOT, checkout, ignore=ignore)
    return checkout


def _run_in_venv(script: str, environment: Path, cwd: Path) -> None:
    """Run ``script`` with ``sh -e`` as in an activated ``environment``; SystemExit on failure."""
    bin_dir = environment / "bin"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
        "VIRTUAL_ENV": str(environment),
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE"):
        env.pop(name, None)
    for line in script.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        started = time.monotonic()
        print(f"  $ {command}", flush=True)
        result = subprocess.run(
            ["sh", "-ec", command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(
                f"FAILED (exit {result.returncode}): {command}\n{result.stdout}{result.stderr}"
            )
        expected = line.split("#", 1)[1].strip() if "#" in line else ""
        if command.endswith("--version") and expected and expected not in result.stdout:
            raise SystemExit(f"FAILED: {command} printed {result.stdout!r}, not {expected!r}")
        print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)


def _check_installed_from(environment: Path, cwd: Path) -> None:
    """The venv imports the installed copy, not the checkout's sources."""
    python = environment / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import jellyfish; print(jellyfish.__file__)"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).is_relative_to(environment):
        raise SystemExit(f"FAILED: jellyfish is imported from {where}, not from the venv")


def _check_the_index_claim(scratch: Path) -> None:
    """What README.md and docs/install.md say the index installs is what the index has."""
    claims = [
        claim
        for page in (README, INSTALL_PAGE)
        for claim in INDEX_CLAIM.finditer(" ".join(page.read_text(encoding="utf-8").split()))
    ]
    if not claims:
        raise SystemExit(f"{INSTALL_PAGE}: says nothing of what the package index installs")
    download = scratch / "from-the-index"
    pip_download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
    subprocess.run(
        [*pip_download, "-d", str(download), "jellyfish-server-sdk"],
        check=True,
        timeout=STEP_TIMEOUT,
    )
    [wheel] = [p.name for p in download.iterdir()]
    print(f"the package index installs {wheel}", flush=True)
    for claim in claims:
        if not wheel.startswith(f"jellyfish_server_sdk-{claim['version']}-"):
            raise SystemExit(f"FAILED: the docs say {claim[0]!r}, the index has {wheel}")


def main() -> int:
    blocks = install_blocks(INSTALL_PAGE)
    if VERIFY not in blocks or len(blocks) < 2:
        raise SystemExit(f"{INSTALL_PAGE}: needs install-check blocks and a '{VERIFY}' block")
    for name, body in install_blocks(README).items():
        if blocks.get(name) != body:
            raise SystemExit(f"README.md's install block {name!r} is not docs/install.md's")
    verify = blocks.pop(VERIFY)
    runs = {name: (body, verify) for name, body in blocks.items()}
    if "checkout" in blocks:
        sdk_alone = blocks["checkout"].replace('".[testing]"', '"."')
        if sdk_alone == blocks["checkout"]:
            raise SystemExit("the checkout block no longer installs '.[testing]'")
        runs["checkout, SDK alone"] = (sdk_alone, "\n".join(WITHOUT_EMULATOR))
    with tempfile.TemporaryDirectory(prefix="install-check-") as scratch:
        _check_the_index_claim(Path(scratch))
        for name, (install, checks) in runs.items():
            started = time.monotonic()
            print(f"{name}: a fresh venv, a fresh copy of the checkout", flush=True)
            run_dir = Path(scratch) / re.sub(r"\W+", "-", name)
            checkout = _copy_checkout(run_dir)
            environment = run_dir / "venv"
            venv.create(environment, with_pip=True)
            _run_in_venv(install, environment, checkout)
            _check_installed_from(environment, checkout)
            _run_in_venv(checks, environment, checkout)
            print(f"{name}: ok ({time.monotonic() - started:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
