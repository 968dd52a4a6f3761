"""Run openapi-python-client so the models keep the field names of jellyfish-server-sdk 0.4.0.

openapi-python-client 0.28 appends ``_`` to every identifier that is a Python builtin, so
the ``type`` property of ``Peer``, ``Track``, ``Component*`` and the request bodies became
``type_``: ``peer.type`` raised ``AttributeError`` and ``Peer(type="webrtc", ...)``
``TypeError``. 0.4.0 (openapi-python-client 0.16 with its own templates) called it
``type``. The Python name of a property comes from ``utils.fix_reserved_words``, so
exempting the names below there renames the attribute, the constructor keyword, the
locals of ``to_dict``/``from_dict`` and the docstrings together, and nothing else. The
generated code never calls the builtin where a field or local shadows it; the one
annotation that names it, ``from_dict(cls: type[T])``, is made ``builtins.type[T]`` by
``generate.keep_the_builtin_type_in_annotations``. codegen/tests runs mypy --strict on
the output; tests/test_generated.py round-trips every model.

Usage (what codegen/generate.py runs): the arguments of ``openapi-python-client``.
"""

from __future__ import annotations

from openapi_python_client import utils
from openapi_python_client.cli import app

# Builtin names that 0.4.0's models used as field names unchanged.
NAMES_KEPT_AS_0_4_0 = frozenset({"type"})


def main() -> None:
    """Exempt the 0.4.0 names from the builtin renaming, then run the generator's CLI."""
    if not NAMES_KEPT_AS_0_4_0 <= utils.RESERVED_WORDS or utils.fix_reserved_words("type") != (
        "type_"
    ):
        raise SystemExit(
            "openapi-python-client no longer renames builtins through utils.RESERVED_WORDS: "
            "revisit codegen/openapi_python_client_with_0_4_names.py"
        )
    utils.RESERVED_WORDS = utils.RESERVED_WORDS - NAMES_KEPT_AS_0_4_0
    app(prog_name="openapi-python-client")


if __name__ == "__main__":
    main()
