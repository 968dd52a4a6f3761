"""Commands over the REST API: health, rooms, peers, components, recordings, HLS."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jellyfish._cli._app import Connection, cli, pass_connection
from jellyfish._cli._output import (
    Progress,
    emit_json,
    emit_table,
    json_option,
    scalar_text,
    tree_lines,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from jellyfish.api import ComponentOptions

_POSITIVE = click.IntRange(min=1)


# -- health and rooms -------------------------------------------------------------------------


@cli.command()
@json_option
@pass_connection
def health(connection: Connection, as_json: bool) -> None:
    """Show the server's health report.

    \b
    Example:
      jellyfish health
    """
    report = connection.room_api().get_health().to_dict()
    if as_json:
        emit_json(report)
        return
    distribution = report.get("distribution", {})
    fields = {
        "status": report.get("status"),
        "version": report.get("version"),
        "uptime": f"{report.get('uptime')} s",
        "git commit": report.get("gitCommit"),
        "distribution": "enabled" if distribution.get("enabled") else "disabled",
        "nodes in cluster": distribution.get("nodesInCluster"),
    }
    _emit_fields(fields)


@cli.command(short_help="List the rooms.")
@json_option
@pass_connection
def rooms(connection: Connection, as_json: bool) -> None:
    """List the rooms: id, video codec, peers, components, webhook URL.

    \b
    Examples:
      jellyfish rooms
      jellyfish rooms --json | jq -r '.[].id'
    """
    listed = [room.to_dict() for room in connection.room_api().get_all_rooms()]
    if as_json:
        emit_json(listed)
        return
    if not listed:
        click.echo("no rooms")
        return
    emit_table(
        ["id", "codec", "peers", "components", "webhook"],
        (
            [
                room["id"],
                scalar_text(room["config"].get("videoCodec")),
                str(len(room["peers"])),
                ",".join(component["type"] for component in room["components"]) or "-",
                scalar_text(room["config"].get("webhookUrl")),
            ]
            for room in listed
        ),
    )


@cli.group()
def room() -> None:
    """Create, show and delete rooms."""


@room.command("create")
@click.option(
    "--room-id", metavar="ID", help="The room's id (letters, digits, '-'); default: a UUID."
)
@click.option("--max-peers", type=_POSITIVE, metavar="N", help="The most peers the room accepts.")
@click.option(
    "--video-codec",
    type=click.Choice(["h264", "vp8"]),
    help="The codec every peer must use (HLS, recording and RTSP need h264).",
)
@click.option(
    "--webhook-url", metavar="URL", help="Where the server POSTs the room's notifications."
)
@click.option(
    "--peerless-purge-timeout",
    type=_POSITIVE,
    metavar="S",
    help="Delete the room after S seconds without connected peers.",
)
@click.option(
    "--peer-disconnected-timeout",
    type=_POSITIVE,
    metavar="S",
    help="Remove a peer S seconds after it disconnects.",
)
@json_option
@pass_connection
def room_create(
    connection: Connection,
    room_id: str | None,
    max_peers: int | None,
    video_codec: str | None,
    webhook_url: str | None,
    peerless_purge_timeout: int | None,
    peer_disconnected_timeout: int | None,
    as_json: bool,
) -> None:
    """Create a room.

    \b
    Examples:
      jellyfish room create
      jellyfish room create --room-id demo --video-codec h264 --max-peers 10
      jellyfish room create --webhook-url http://127.0.0.1:8000/webhook
    """
    address, created = connection.room_api().create_room(
        room_id=room_id,
        max_peers=max_peers,
        video_codec=video_codec,  # type: ignore[arg-type]  # click.Choice checked it
        webhook_url=webhook_url,
        peerless_purge_timeout=peerless_purge_timeout,
        peer_disconnected_timeout=peer_disconnected_timeout,
    )
    if as_json:
        emit_json({"jellyfish_address": address, "room": created.to_dict()})
        return
    click.echo(f"Created room {created.id} on {address}")


@room.command("show")
@click.argument("room_id", metavar="ROOM")
@json_option
@pass_connection
def room_show(connection: Connection, room_id: str, as_json: bool) -> None:
    """Show a room: its peers, components and their tracks, as a tree.

    \b
    Example:
      jellyfish room show demo
    """
    shown = connection.room_api().get_room(room_id).to_dict()
    if as_json:
        emit_json(shown)
        return
    config = {
        key: value
        for key, value in shown["config"].items()
        if value is not None and key != "roomId"  # the id is in the label already
    }
    settings = ", ".join(f"{_words(key)} {scalar_text(value)}" for key, value in config.items())
    peers = [
        (
            f"peer {peer['id']} ({peer['type']}, {peer['status']})",
            [_track_label(track) for track in peer["tracks"]],
        )
        for peer in shown["peers"]
    ]
    components = [
        (
            f"component {component['id']} ({component['type']}){_properties(component)}",
            [_track_label(track) for track in component["tracks"]],
        )
        for component in shown["components"]
    ]
    label = f"room {shown['id']}" + (f" ({settings})" if settings else "")
    children = [(f"peers: {len(peers)}", peers), (f"components: {len(components)}", components)]
    for line in tree_lines(label, children):
        click.echo(line)


@room.command("delete")
@click.argument("room_ids", metavar="ROOM...", nargs=-1, required=True)
@pass_connection
def room_delete(connection: Connection, room_ids: tuple[str, ...]) -> None:
    """Delete rooms (stops at the first one that cannot be deleted).

    \b
    Example:
      jellyfish room delete demo other-room
    """
    api = connection.room_api()
    for room_id in room_ids:
        api.delete_room(room_id)
        click.echo(f"Deleted room {room_id}")


# -- peers ------------------------------------------------------------------------------------


@cli.group()
def peer() -> None:
    """Add and delete WebRTC peers."""


@peer.command("add")
@click.argument("room_id", metavar="ROOM")
@click.option("--simulcast/--no-simulcast", default=None, help="Let the peer send simulcast video.")
@json_option
@pass_connection
def peer_add(connection: Connection, room_id: str, simulcast: bool | None, as_json: bool) -> None:
    """Add a WebRTC peer; print what a client needs: its token and WebSocket URL.

    \b
    Example:
      jellyfish peer add demo
    """
    from jellyfish import PeerOptionsWebRTC

    options = PeerOptionsWebRTC() if simulcast is None else PeerOptionsWebRTC(simulcast)
    details = connection.room_api().add_peer(room_id, options)
    scheme = "wss" if connection.settings().secure else "ws"
    websocket_url = f"{scheme}://{details.peer_websocket_url}"
    if as_json:
        emit_json(
            {
                "peer": details.peer.to_dict(),
                "token": details.token,
                "peer_websocket_url": websocket_url,
            }
        )
        return
    _emit_fields({"peer": details.peer.id, "token": details.token, "websocket url": websocket_url})


@peer.command("delete")
@click.argument("room_id", metavar="ROOM")
@click.argument("peer_id", metavar="PEER")
@pass_connection
def peer_delete(connection: Connection, room_id: str, peer_id: str) -> None:
    """Delete a peer (its WebSocket, if connected, is closed).

    \b
    Example:
      jellyfish peer delete demo 5f2b...
    """
    connection.room_api().delete_peer(room_id, peer_id)
    click.echo(f"Deleted peer {peer_id} from room {room_id}")


# -- components -------------------------------------------------------------------------------

_COMPONENT_TYPES = ("hls", "file", "rtsp", "recording", "sip")
# which component types each option of `component add` applies to
_APPLIES_TO: dict[str, tuple[str, ...]] = {
    "low_latency": ("hls",),
    "persistent": ("hls",),
    "target_window_duration": ("hls",),
    "subscribe_mode": ("hls", "recording"),
    "s3_access_key_id": ("hls", "recording"),
    "s3_secret_access_key": ("hls", "recording"),
    "s3_region": ("hls", "recording"),
    "s3_bucket": ("hls", "recording"),
    "path_prefix": ("recording",),
    "file_path": ("file",),
    "framerate": ("file",),
    "source_uri": ("rtsp",),
    "rtp_port": ("rtsp",),
    "reconnect_delay": ("rtsp",),
    "keep_alive_interval": ("rtsp",),
    "pierce_nat": ("rtsp",),
    "sip_address": ("sip",),
    "sip_username": ("sip",),
    "sip_password": ("sip",),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "file": ("file_path",),
    "rtsp": ("source_uri",),
    "sip": ("sip_address", "sip_username", "sip_password"),
}
_S3 = ("s3_access_key_id", "s3_secret_access_key", "s3_region", "s3_bucket")


@cli.group()
def component() -> None:
    """Add and delete components (hls, file, rtsp, recording, sip)."""


@component.command("add")
@click.argument("room_id", metavar="ROOM")
@click.argument("component_type", metavar="TYPE", type=click.Choice(_COMPONENT_TYPES))
@click.option("--low-latency/--no-low-latency", default=None, help="hls: LL-HLS.")
@click.option("--persistent/--no-persistent", default=None, help="hls: keep files after the room.")
@click.option(
    "--target-window-duration", type=_POSITIVE, metavar="S", help="hls: seconds in the playlist."
)
@click.option(
    "--subscribe-mode",
    type=click.Choice(["auto", "manual"]),
    help="hls, recording: take every track (auto) or those of `jellyfish subscribe` (manual).",
)
@click.option("--s3-access-key-id", metavar="KEY", help="hls, recording: S3 credentials ...")
@click.option("--s3-secret-access-key", metavar="SECRET", help="... secret access key ...")
@click.option("--s3-region", metavar="REGION", help="... region ...")
@click.option("--s3-bucket", metavar="BUCKET", help="... and bucket (all four or none).")
@click.option("--path-prefix", metavar="PREFIX", help="recording: path prefix of the recording.")
@click.option("--file-path", metavar="PATH", help="file: media file under the server's file dir.")
@click.option(
    "--framerate", type=_POSITIVE, metavar="FPS", help="file: frame rate of an H.264 file."
)
@click.option("--source-uri", metavar="URI", help="rtsp: the stream, rtsp://...")
@click.option(
    "--rtp-port", type=click.IntRange(1, 65535), metavar="PORT", help="rtsp: local RTP port."
)
@click.option("--reconnect-delay", type=click.IntRange(min=0), metavar="MS", help="rtsp.")
@click.option("--keep-alive-interval", type=click.IntRange(min=0), metavar="MS", help="rtsp.")
@click.option("--pierce-nat/--no-pierce-nat", default=None, help="rtsp: send NAT-piercing packets.")
@click.option("--sip-address", metavar="HOST[:PORT]", help="sip: the registrar.")
@click.option("--sip-username", metavar="USER", help="sip: registrar username.")
@click.option("--sip-password", metavar="PASSWORD", help="sip: registrar password (never printed).")
@json_option
@pass_connection
def component_add(
    connection: Connection, /, room_id: str, component_type: str, as_json: bool, **options: Any
) -> None:
    """Add a component of TYPE (hls, file, rtsp, recording or sip) to ROOM.

    Each option names the types it applies to; an option for another type is an error.

    \b
    Examples:
      jellyfish component add demo hls --low-latency --subscribe-mode manual
      jellyfish component add demo file --file-path video.h264 --framerate 30
      jellyfish component add demo rtsp --source-uri rtsp://camera.local:554/stream
      jellyfish component add demo recording
      jellyfish component add demo sip --sip-address 10.0.0.1 --sip-username u --sip-password p
    """
    given = {name: value for name, value in options.items() if value is not None}
    for name in given:
        if component_type not in _APPLIES_TO[name]:
            applies = ", ".join(_APPLIES_TO[name])
            raise click.UsageError(
                f"{_flag(name)} applies to {applies} components, not {component_type}"
            )
    missing = [_flag(name) for name in _REQUIRED.get(component_type, ()) if name not in given]
    if missing:
        raise click.UsageError(f"a {component_type} component needs {', '.join(missing)}")
    s3_given = [name for name in _S3 if name in given]
    if s3_given and len(s3_given) != len(_S3):
        raise click.UsageError(f"give all of {', '.join(_flag(n) for n in _S3)} or none")
    added = connection.room_api().add_component(room_id, _component_options(component_type, given))
    data = added.to_dict()
    if as_json:
        emit_json(data)
        return
    click.echo(f"Added {data['type']} component {data['id']} to room {room_id}")


def _component_options(component_type: str, given: dict[str, Any]) -> ComponentOptions:
    import jellyfish

    s3 = (
        jellyfish.S3Credentials(
            access_key_id=given.pop("s3_access_key_id"),
            secret_access_key=given.pop("s3_secret_access_key"),
            region=given.pop("s3_region"),
            bucket=given.pop("s3_bucket"),
        )
        if "s3_bucket" in given
        else None
    )
    if s3 is not None:
        given["credentials" if component_type == "recording" else "s3"] = s3
    if component_type == "hls":
        if "subscribe_mode" in given:
            given["subscribe_mode"] = jellyfish.ComponentOptionsHLSSubscribeMode(
                given["subscribe_mode"]
            )
        return jellyfish.ComponentOptionsHLS(**given)
    if component_type == "recording":
        if "subscribe_mode" in given:
            given["subscribe_mode"] = jellyfish.ComponentOptionsRecordingSubscribeMode(
                given["subscribe_mode"]
            )
        return jellyfish.ComponentOptionsRecording(**given)
    if component_type == "file":
        return jellyfish.ComponentOptionsFile(**given)
    if component_type == "rtsp":
        return jellyfish.ComponentOptionsRTSP(**given)
    credentials = jellyfish.ComponentOptionsSIPSIPCredentials(
        address=given["sip_address"], username=given["sip_username"], password=given["sip_password"]
    )
    return jellyfish.ComponentOptionsSIP(registrar_credentials=credentials)


@component.command("delete")
@click.argument("room_id", metavar="ROOM")
@click.argument("component_id", metavar="COMPONENT")
@pass_connection
def component_delete(connection: Connection, room_id: str, component_id: str) -> None:
    """Delete a component.

    \b
    Example:
      jellyfish component delete demo hls-1
    """
    connection.room_api().delete_component(room_id, component_id)
    click.echo(f"Deleted component {component_id} from room {room_id}")


@cli.command(short_help="Subscribe an HLS or recording component to tracks.")
@click.argument("room_id", metavar="ROOM")
@click.argument("component_id", metavar="COMPONENT")
@click.argument("origins", metavar="ORIGIN...", nargs=-1, required=True)
@pass_connection
def subscribe(
    connection: Connection, room_id: str, component_id: str, origins: tuple[str, ...]
) -> None:
    """Subscribe an HLS or recording component (manual mode) to peers' or components' tracks.

    \b
    Example:
      jellyfish subscribe demo hls-1 PEER_ID FILE_COMPONENT_ID
    """
    connection.room_api().subscribe(room_id, component_id, list(origins))
    click.echo(f"Subscribed component {component_id} to {', '.join(origins)}")


@cli.group()
def sip() -> None:
    """Start and end phone calls of a SIP component."""


@sip.command("dial")
@click.argument("room_id", metavar="ROOM")
@click.argument("component_id", metavar="COMPONENT")
@click.argument("phone_number", metavar="NUMBER")
@pass_connection
def sip_dial(connection: Connection, room_id: str, component_id: str, phone_number: str) -> None:
    """Dial NUMBER from a SIP component (the server only schedules the call).

    \b
    Example:
      jellyfish sip dial demo sip-1 +48123456789
    """
    connection.room_api().sip_dial(room_id, component_id, phone_number)
    click.echo(f"Dialling {phone_number} from component {component_id}")


@sip.command("hangup")
@click.argument("room_id", metavar="ROOM")
@click.argument("component_id", metavar="COMPONENT")
@pass_connection
def sip_hangup(connection: Connection, room_id: str, component_id: str) -> None:
    """End the call of a SIP component.

    \b
    Example:
      jellyfish sip hangup demo sip-1
    """
    connection.room_api().sip_end_call(room_id, component_id)
    click.echo(f"Ending the call of component {component_id}")


# -- recordings and HLS files -----------------------------------------------------------------


@cli.command()
@json_option
@pass_connection
def recordings(connection: Connection, as_json: bool) -> None:
    """List the recordings' ids.

    \b
    Example:
      jellyfish recordings
    """
    listed = connection.recording_api().get_list()
    if as_json:
        emit_json(listed)
        return
    for recording_id in listed:
        click.echo(recording_id)
    if not listed:
        click.echo("no recordings")


@cli.group()
def recording() -> None:
    """Download and delete recordings."""


@recording.command("delete")
@click.argument("recording_id", metavar="ID")
@pass_connection
def recording_delete(connection: Connection, recording_id: str) -> None:
    """Delete a recording.

    \b
    Example:
      jellyfish recording delete 9b1c...
    """
    connection.recording_api().delete(recording_id)
    click.echo(f"Deleted recording {recording_id}")


_output_option = click.option(
    "-o",
    "--output",
    metavar="PATH",
    help="Where to write the file ('-' for stdout); default: FILE's name in this directory.",
)


@recording.command("get")
@click.argument("recording_id", metavar="ID")
@click.argument("filename", metavar="FILE")
@_output_option
@pass_connection
def recording_get(
    connection: Connection, recording_id: str, filename: str, output: str | None
) -> None:
    """Download FILE of a recording (e.g. index.m3u8), streamed to disk.

    \b
    Examples:
      jellyfish recording get 9b1c... index.m3u8 -o index.m3u8
      jellyfish recording get 9b1c... index.m3u8 -o - | head
    """
    _download(connection.recording_api().stream_content(recording_id, filename), filename, output)


@cli.group()
def hls() -> None:
    """Download the files of a room's HLS stream."""


@hls.command("get")
@click.argument("room_id", metavar="ROOM")
@click.argument("filename", metavar="FILE")
@_output_option
@pass_connection
def hls_get(connection: Connection, room_id: str, filename: str, output: str | None) -> None:
    """Download FILE (a playlist or segment) of ROOM's HLS component, streamed to disk.

    \b
    Examples:
      jellyfish hls get demo index.m3u8
      jellyfish hls get demo video_segment_0_video.m4s -o segment.m4s
    """
    _download(connection.room_api().stream_hls_content(room_id, filename), filename, output)


def _download(
    stream: AbstractContextManager[Iterator[bytes]], filename: str, output: str | None
) -> None:
    """Write the chunks as they arrive; a file appears under its name only when complete."""
    if output == "-":
        stdout = sys.stdout.buffer
        with stream as chunks:
            for chunk in chunks:
                stdout.write(chunk)
        stdout.flush()
        return
    target = Path(output) if output else Path(Path(filename).name or "download")
    partial = target.with_name(target.name + ".part")
    progress = Progress(f"{filename} -> {target}")
    try:
        with stream as chunks, partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                progress.advance(len(chunk))
        partial.replace(target)
    finally:
        progress.finish()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    click.echo(f"Saved {target} ({progress.done} bytes)")


# -- helpers ----------------------------------------------------------------------------------


def _emit_fields(fields: dict[str, Any]) -> None:
    width = max(len(name) for name in fields) + 1
    for name, value in fields.items():
        click.echo(f"{name + ':':<{width}} {scalar_text(value)}")


def _words(camel: str) -> str:
    """``maxPeers`` -> ``max peers``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in camel)


def _track_label(track: dict[str, Any]) -> str:
    metadata = track.get("metadata")
    extra = f", metadata {scalar_text(metadata)}" if metadata not in (None, "null") else ""
    return f"track {track.get('id', '?')} ({track.get('type', '?')}{extra})"


def _properties(component: dict[str, Any]) -> str:
    """Scalar properties only: nested ones hold credentials, which are never printed."""
    properties = component.get("properties") or {}
    shown = [
        f"{_words(key)} {scalar_text(value)}"
        for key, value in properties.items()
        if value is not None and not isinstance(value, dict | list)
    ]
    return f": {', '.join(shown)}" if shown else ""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")
