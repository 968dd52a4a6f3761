"""The public surface of the notification classes, derived from the proto descriptors.

``codegen/generate.py`` compiles ``spec/protos`` with grpcio-tools; for the notification
file (``NOTIFICATIONS_PROTO``) it then uses the compiled descriptors (with their comments)
to write:

* ``src/jellyfish/events/_generated.py``: every message under the flat name that
  jellyfish-server-sdk 0.4.0 (betterproto) gave it (``ServerMessage.RoomCreated`` ->
  ``ServerMessageRoomCreated``), every enum as an ``enum.IntEnum`` of that name, and the
  ``MESSAGES``/``ENUMS`` tables from which ``jellyfish.events`` installs the readable
  ``repr``/``to_dict`` (``jellyfish/events/_readable.py``);
* additions to protoc's ``.pyi`` stub that make the static types match that runtime:
  ``to_dict()`` on every message, and enum fields typed ``int`` (they hold plain ints, which
  the IntEnums compare equal to and which the constructors accept).

Nothing here is a hand-kept list: a message added to the proto gets all of it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from google.protobuf import descriptor_pb2

NOTIFICATIONS_PROTO = "jellyfish/server_notifications.proto"
PB2_MODULE = "jellyfish.events._protos.jellyfish.server_notifications_pb2"
PUBLIC_MODULE = "jellyfish.events"

# FileDescriptorProto / DescriptorProto field numbers, as used in SourceCodeInfo paths.
_FILE_MESSAGE, _FILE_ENUM = 4, 5
_MESSAGE_NESTED, _MESSAGE_ENUM = 3, 4


@dataclass(frozen=True)
class Declaration:
    """One message or enum of the proto file."""

    python_path: str  # how the generated pb2 module reaches it: "ServerMessage.RoomCreated"
    public_name: str  # the 0.4.0 name: "ServerMessageRoomCreated"
    full_name: str  # the protobuf name: "jellyfish.ServerMessage.RoomCreated"
    comment: str
    values: tuple[tuple[str, int], ...] = ()  # enum members; empty for messages
    enum_fields: tuple[tuple[str, str], ...] = ()  # a message's (field, enum full name)


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {
        tuple(location.path): location.leading_comments.strip()
        for location in file.source_code_info.location
        if location.leading_comments.strip()
    }


def declarations(file: descriptor_pb2.FileDescriptorProto) -> tuple[list[Declaration], ...]:
    """``(messages, enums)`` of ``file``, nested ones included, in declaration order."""
    comments = _comments(file)
    messages: list[Declaration] = []
    enums: list[Declaration] = []

    def full_name(python_path: str) -> str:
        return f"{file.package}.{python_path}" if file.package else python_path

    def add_enum(
        enum: descriptor_pb2.EnumDescriptorProto, parent: tuple[str, str], path: tuple[int, ...]
    ) -> None:
        python_path = f"{parent[0]}.{enum.name}" if parent[0] else enum.name
        enums.append(
            Declaration(
                python_path=python_path,
                public_name=parent[1] + enum.name,
                full_name=full_name(python_path),
                comment=comments.get(path, ""),
                values=tuple((value.name, value.number) for value in enum.value),
            )
        )

    def add_message(
        message: descriptor_pb2.DescriptorProto, parent: tuple[str, str], path: tuple[int, ...]
    ) -> None:
        python_path = f"{parent[0]}.{message.name}" if parent[0] else message.name
        public_name = parent[1] + message.name
        messages.append(
            Declaration(
                python_path=python_path,
                public_name=public_name,
                full_name=full_name(python_path),
                comment=comments.get(path, ""),
                enum_fields=tuple(
                    (field.name, field.type_name.lstrip("."))
                    for field in message.field
                    if field.type == descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
                ),
            )
        )
        for index, enum in enumerate(message.enum_type):
            add_enum(enum, (python_path, public_name), (*path, _MESSAGE_ENUM, index))
        for index, nested in enumerate(message.nested_type):
            if not nested.options.map_entry:  # map<,> entries are not classes of their own
                add_message(nested, (python_path, public_name), (*path, _MESSAGE_NESTED, index))

    for index, message in enumerate(file.message_type):
        add_message(message, ("", ""), (_FILE_MESSAGE, index))
    for index, enum in enumerate(file.enum_type):
        add_enum(enum, ("", ""), (_FILE_ENUM, index))

    seen: dict[str, str] = {}
    for declaration in messages + enums:
        clash = seen.setdefault(declaration.public_name, declaration.full_name)
        if clash != declaration.full_name:
            raise ValueError(
                f"{clash} and {declaration.full_name} would both be {declaration.public_name}"
            )
    return messages, enums


def _sentence(comment: str) -> str:
    """``comment`` as one docstring-safe sentence."""
    text = " ".join(comment.replace("\\", "\\\\").replace('"""', "'''").split())
    return text if text.endswith(".") else text + "."


def _docstring(summary: str, comment: str, indent: str) -> str:
    """A docstring: ``summary`` (one line), then the proto comment as a wrapped paragraph."""
    if not comment:
        return f'{indent}"""{summary}"""'
    body = textwrap.fill(
        _sentence(comment), width=92, initial_indent=indent, subsequent_indent=indent
    )
    return f'{indent}"""{summary}\n\n{body}\n{indent}"""'


def render_module(file: descriptor_pb2.FileDescriptorProto) -> str:
    """The source of ``jellyfish/events/_generated.py`` for the notification file."""
    messages, enums = declarations(file)
    top_level = sorted({d.python_path.split(".")[0] for d in messages + enums})
    public = sorted(d.public_name for d in messages + enums)
    lines = [
        f'"""Public names of the messages and enums of spec/protos/{file.name}.',
        "",
        "Generated by codegen/generate.py from spec/. Do not edit: change spec/ or codegen/ and",
        "run `nox -s generate`.",
        "",
        "Every message is also reachable under the flat name jellyfish-server-sdk 0.4.0 gave it",
        "(``ServerMessage.RoomCreated`` is ``ServerMessageRoomCreated``); every enum is an",
        f":class:`enum.IntEnum` of that name. ``{PUBLIC_MODULE}`` exports them. Importing this",
        "module gives every message class its public name, the readable ``repr``/``str`` and",
        "``to_dict()`` (``jellyfish/events/_readable.py``).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "from google.protobuf.message import Message",
        "",
        f"from {PB2_MODULE} import {', '.join(top_level)}",
        "from jellyfish.events._readable import ProtobufEnum, make_readable",
        "",
        "__all__ = [",
        *[f'    "{name}",' for name in public],
        "]",
        "",
    ]
    for enum in enums:
        lines += ["", ""]
        lines.append(f"class {enum.public_name}(ProtobufEnum):")
        lines.append(_docstring(f"The protobuf enum ``{enum.full_name}``.", enum.comment, "    "))
        lines.append("")
        lines += [f"    {name} = {number}" for name, number in enum.values]
    lines += ["", ""]
    for message in messages:
        if message.public_name != message.python_path:
            lines.append(f"{message.public_name} = {message.python_path}")
            summary = f"The protobuf message ``{message.full_name}``."
            lines.append(_docstring(summary, message.comment, ""))
    lines += [
        "",
        "MESSAGES: Final[dict[str, type[Message]]] = {",
        *[f'    "{m.public_name}": {m.public_name},' for m in messages],
        "}",
        '"""Every message class of the file, under its public name."""',
        "",
        f"ENUMS: Final = ({''.join(f'{e.public_name}, ' for e in enums)})",
        '"""Every enum of the file."""',
        "",
        f'make_readable(MESSAGES, ENUMS, module="{PUBLIC_MODULE}")',
        "",
    ]
    return "\n".join(lines)


TO_DICT_STUB = (
    'def to_dict(self, casing: _Literal["camel", "snake"] = ..., '
    "include_default_values: bool = ...) -> dict[str, _Any]: ..."
)
_CLASS_HEADER = re.compile(r"^(?P<indent> *)class (?P<name>\w+)\(")
_INIT_STUB = re.compile(r"^(?P<indent> *)def __init__\(self.*\) -> None: \.\.\.$")
_TYPING_IMPORT = re.compile(r"^from typing import .*$", re.MULTILINE)


def patch_stub(stub: str, file: descriptor_pb2.FileDescriptorProto) -> str:
    """Make protoc's ``.pyi`` of ``file`` describe the readable surface.

    * every message class gets ``to_dict()`` (installed at runtime by ``jellyfish.events``);
    * enum-typed fields are ``int``: a message holds a plain int there and takes any int
      (a generated IntEnum member included), where protoc's stub names the enum wrapper
      type, which the IntEnums are not, so type checkers rejected
      ``Track(type=ServerMessageTrackType.TRACK_TYPE_VIDEO)`` and flagged comparisons.
    """
    messages, enums = declarations(file)
    wanted = {message.python_path for message in messages}
    lines: list[str] = []
    classes: list[tuple[int, str]] = []  # the enclosing classes: (indent, name)
    for line in stub.splitlines(keepends=True):
        lines.append(line)
        header = _CLASS_HEADER.match(line)
        if header:
            indent = len(header.group("indent"))
            classes = [c for c in classes if c[0] < indent] + [(indent, header.group("name"))]
        init = _INIT_STUB.match(line)
        if init:
            indent = len(init.group("indent"))
            owner = ".".join(name for level, name in classes if level < indent)
            if owner in wanted:  # not for the entry classes of map fields
                lines.append(f"{init.group('indent')}{TO_DICT_STUB}\n")
                wanted.remove(owner)
    if wanted:
        raise ValueError(f"no __init__ stub found for {sorted(wanted)}")
    patched = "".join(lines)
    patched, count = _TYPING_IMPORT.subn(
        lambda match: f"{match.group(0)}\nfrom typing import Any as _Any, Literal as _Literal",
        patched,
        count=1,
    )
    if count != 1:
        raise ValueError("no `from typing import` line in the stub")
    enum_paths = {enum.full_name: re.escape(enum.python_path) for enum in enums}
    for message in messages:
        for field, enum_name in message.enum_fields:
            # the attribute (`type: ServerMessage.TrackType`; repeated: a container of it)
            # and the __init__ argument (`type: _Optional[_Union[ServerMessage.TrackType, str]]`)
            enum = enum_paths.get(enum_name)
            if enum is None:  # an enum of another file keeps protoc's typing
                continue
            patched = re.sub(rf"(?m)^( +{field}: ){enum}$", r"\1int", patched)
            patched = re.sub(rf"(?m)^( +{field}: \w+\.\w+\[){enum}\]$", r"\1int]", patched)
            patched = re.sub(
                rf"\b({field}: [\w\[]*)_Union\[{enum}, str\]", r"\1_Union[int, str]", patched
            )
    return patched
