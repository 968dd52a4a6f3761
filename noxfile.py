"""Developer tasks: `nox -s generate`, `nox -s tests`, `nox -s lint` (see README.md)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# Both ends of the protobuf range that pyproject.toml declares: the floor is the gencode
# version the generated modules carry (codegen/requirements.txt).
PROTOBUF_BOUNDS = ["5.29.0", "7.*"]
# Without arguments the suite runs on every core (pytest-xdist); with arguments (a file, -k,
# -x ...) exactly what was asked.
PARALLEL = ["-n", "auto"]


def _put_pyenv_interpreters_on_path() -> None:
    """Let nox find python3.X for every installed pyenv version, not only the global one."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    newest = [sorted(versions.glob(f"{v}.*"))[-1:] for v in PYTHONS]
    bins = [str(found[0] / "bin") for found in newest if found]
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


_put_pyenv_interpreters_on_path()


def _install_package(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".[testing]")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the REST client and protobuf modules from spec/; `-- --check` only compares."""
    session.install("-r", "codegen/requirements.txt")
    session.run("python", "codegen/generate.py", *session.posargs)


@nox.session
def unasync(session: nox.Session) -> None:
    """Generate the blocking REST modules and tests from the async ones; `-- --check` compares."""
    ruff = [r for r in nox.project.dependency_groups(PYPROJECT, "lint") if r.startswith("ruff")]
    session.install(*ruff)
    session.run("python", "codegen/unasync_rest.py", *session.posargs)


@nox.session
def codegen_tests(session: nox.Session) -> None:
    """Tests of the generation pipeline (corrections, drift check, spec changes)."""
    session.install("-r", "codegen/requirements.txt", "pytest>=8.3,<10", "mypy>=1.13,<3")
    session.run("pytest", "codegen/tests", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite on the interpreter that runs nox (the everyday default)."""
    _install_package(session, "test")
    session.run("pytest", *(session.posargs or PARALLEL))


@nox.session(python=PYTHONS)
def tests_all(session: nox.Session) -> None:
    """The test suite on every supported CPython that is installed."""
    _install_package(session, "test")
    session.run("pytest", *(session.posargs or PARALLEL))


@nox.session
def tests_remote(session: nox.Session) -> None:
    """The suite in real-server mode: JELLYFISH_ADDRESS points at an emulator in another process.

    Proves that every integration test runs against a server it does not control, as they
    would against a real Jellyfish, and that the tests needing the control API run against
    an emulator in another process through its HTTP control API (RemoteEmulator); only
    those marked emulator_only(in_process=True) skip.
    """
    _install_package(session, "test")
    session.run("python", "tests/run_against_remote.py", *session.posargs)


@nox.session
@nox.parametrize("protobuf", PROTOBUF_BOUNDS)
def tests_protobuf(session: nox.Session, protobuf: str) -> None:
    """The test suite on the lowest and the highest protobuf runtime we declare."""
    _install_package(session, "test")
    session.install(f"protobuf=={protobuf}")
    session.run("python", "-c", "import google.protobuf as p; print('protobuf', p.__version__)")
    session.run("pytest", *(session.posargs or PARALLEL))


@nox.session
def quickstart(session: nox.Session) -> None:
    """The main job: run the quickstart (against the embedded emulator by default)."""
    _install_package(session)
    session.run("python", "examples/quickstart.py", *session.posargs)


@nox.session
def install_check(session: nox.Session) -> None:
    """The install of README.md/docs/install.md, in fresh venvs: checkout, wheel, SDK alone.

    Each then runs `jellyfish --help`, `python -m jellyfish.testing --help` and the quickstart
    (tests/docs/install_check.py); pip's cache keeps the downloads to one.
    """
    session.run("python", "tests/docs/install_check.py", *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    """Schemathesis run of spec/openapi.yaml against jellyfish.testing (about 2 minutes)."""
    _install_package(session)
    session.install("schemathesis>=4.32,<5")
    session.run("python", "tests/emulator/conformance/run_schemathesis.py", *session.posargs)


@nox.session
def examples(session: nox.Session) -> None:
    """Run every program in examples/ against the embedded emulator."""
    _install_package(session, "examples")
    session.run("python", "examples/run_all.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs --strict: any warning fails the build)."""
    _install_package(session, "docs")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "site",
        *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    session.run("python", "tests/docs/check_reference.py", "site")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark, one table: ours, the raw limit, the ratio and the target."""
    _install_package(session, "bench")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) over everything hand-written, mypy --strict over the package."""
    _install_package(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def compat(session: nox.Session) -> None:
    """Prove the 0.4.0 drop-in claim against the real jellyfish-server-sdk 0.4.0 from the index.

    Installs 0.4.0 into its own venv, extracts both public surfaces with the same script
    (tests/compat/extract_surface.py), runs the 0.4.0 README's examples unchanged against
    the emulator on localhost:5002 (in a private network namespace when `unshare` allows),
    and fails on any difference that tests/compat/exceptions.toml does not explain.
    """
    _install_package(session)
    scratch = Path(session.create_tmp())
    old_venv = Path(session.virtualenv.location).parent / "compat_jellyfish_040"
    old_python = old_venv / "bin" / "python"
    if not old_python.exists():
        session.run("python", "-m", "venv", str(old_venv))
    session.run(
        str(old_python), "-m", "pip", "install", "-q", "jellyfish-server-sdk==0.4.0", external=True
    )
    old_surface, new_surface = scratch / "surface-0.4.0.json", scratch / "surface-ours.json"
    with old_surface.open("w") as out:
        session.run(str(old_python), "tests/compat/extract_surface.py", stdout=out, external=True)
    with new_surface.open("w") as out:
        session.run("python", "tests/compat/extract_surface.py", str(old_surface), stdout=out)

    # 0.4.0's README comes from its sdist at session time (its code is not ours to commit).
    sdist_dir = scratch / "sdist"
    session.run(
        "python",
        "-m",
        "pip",
        "download",
        "-q",
        "--no-binary",
        ":all:",
        "--no-deps",
        "jellyfish-server-sdk==0.4.0",
        "-d",
        str(sdist_dir),
    )
    readme = scratch / "README-0.4.0.md"
    session.run(
        "python",
        "-c",
        "import sys, tarfile; t = tarfile.open(sys.argv[1]); "
        "m = next(n for n in t.getnames() if n.endswith('/README.md')); "
        "open(sys.argv[2], 'wb').write(t.extractfile(m).read())",
        str(next(sdist_dir.glob("*.tar.gz"))),
        str(readme),
    )
    readme_differences = scratch / "readme-differences.txt"
    runner = ["python", "tests/compat/run_040_readme.py", str(readme), str(readme_differences)]
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-rn", "true"], check=False).returncode == 0
    ):
        # A private loopback: the examples' fixed port 5002 cannot clash with anything.
        python = Path(session.bin) / "python"
        command = f"ip link set lo up && exec {shlex.join([str(python), *runner[1:]])}"
        session.run("unshare", "-rn", "sh", "-c", command, external=True)
    else:
        session.run(*runner)
    session.run(
        "python",
        "tests/compat/compare_surfaces.py",
        str(old_surface),
        str(new_surface),
        str(readme_differences),
    )
