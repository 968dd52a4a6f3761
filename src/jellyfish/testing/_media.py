"""The media simulation: what the real server's media engine does on its own.

File components play their file for its real duration, RTSP components connect to (fake)
sources, HLS components turn subscribed tracks into playlists and segments, recording
components write raw parts, all on the node's :class:`~jellyfish.testing._clock.Clock`.

A room gets media state only when it gets a media component (file, rtsp, hls, recording);
rooms with peers only cost nothing here. Everything runs on the emulator's loop thread.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._clock import Scheduler, TimerHandle
from jellyfish.testing._model import Component, Peer, Room, Track
from jellyfish.testing.media_files import file_duration

logger = logging.getLogger("jellyfish.testing")

MEDIA_COMPONENTS = frozenset({"file", "rtsp", "hls", "recording"})

#: Jellyfish v0.5.0 HLS: 6 s segments, 1.1 s partial segments (§9).
SEGMENT_SECONDS = 6.0
PART_SECONDS = 1.1
#: The parts of one segment: 1.1 s each, the last one what is left of the 6 s.
PART_DURATIONS = (1.1, 1.1, 1.1, 1.1, 1.1, 0.5)
#: Playlists list parts for this many of the newest segments (membrane's HLS serializer).
PARTS_IN_PLAYLIST = 4
#: A delta playlist (``_delta.m3u8``) exists once the playlist has more segments than this.
DELTA_MIN_SEGMENTS = 6
#: LL-HLS parts are kept in memory for this many segments (``LLStorage``).
PARTS_KEPT_SEGMENTS = 4
#: An RTSP source is retried at least this far apart (``reconnectDelay: 0`` would spin).
MIN_RTSP_RETRY_SECONDS = 0.1
#: A file with no frame to play still goes through its pipeline (file source, parser,
#: payloader, realtimer, track sender) before the end of stream reaches the track sender
#: and the endpoint reports ``:finished``: the component stays listed that long.
UNPARSEABLE_FILE_PIPELINE_SECONDS = 0.1
RENDITIONS = ("video", "audio")


class MediaHost(Protocol):
    """What the media simulation needs from the node (implemented by ``NodeCore``)."""

    def publish_track(self, room: Room, component: Component, track_type: str) -> Track:
        """The component's endpoint publishes a track (``TrackAdded``)."""

    def finish_component(self, room: Room, component: Component) -> None:
        """The component ends on its own: ``TrackRemoved`` per track, then it is removed."""

    def emit(self, message: ServerMessage, room: Room | None) -> None:
        """Publish a server notification (WebSocket subscribers and the room's webhook)."""


# --- HLS -----------------------------------------------------------------------------------


@dataclass
class _Segment:
    index: int
    duration: float
    parts: list[float] = field(default_factory=list)


def _name(rendition: str, index: int) -> str:
    return f"{rendition}_segment_{index}.m4s"


def _part_name(rendition: str, index: int, part: int) -> str:
    return f"{rendition}_segment_{index}_{part}_part.m4s"


def _header_name(rendition: str) -> str:
    return f"{rendition}_header.mp4"


def _seconds(value: float) -> str:
    return f"{round(value, 3):g}" if value != int(value) else f"{value:.1f}"


def _placeholder(kind: bytes, label: str) -> bytes:
    """Bytes standing for a header, segment or part (boxes-shaped, not decodable media)."""
    body = label.encode()
    return (8 + len(body)).to_bytes(4, "big") + kind + body


class HlsStream:
    """One hls component: subscriptions, the segment timeline, playlists and files."""

    def __init__(
        self,
        sim: MediaSimulation,
        room: Room,
        component: Component,
        directory: str,
        s3_bucket: str | None,
    ) -> None:
        properties = component.properties
        self.sim = sim
        self.room = room
        self.component = component
        self.directory = directory
        self.low_latency = bool(properties["lowLatency"])
        self.persistent = bool(properties["persistent"])
        window = properties["targetWindowDuration"]
        self.window: float | None = None if window is None else float(window)
        self.auto = properties["subscribeMode"] == "auto"
        self.s3_bucket = s3_bucket
        self.origins: set[str] = set()
        self.tracks: set[str] = set()
        self.started_at: float | None = None
        self.segments: list[_Segment] = []  # in the playlist window
        self.stale: list[_Segment] = []  # out of the window, kept when persistent
        self.open: _Segment | None = None  # LL-HLS: the segment being written
        self.next_index = 0
        self.media_sequence = 0
        self.parts: dict[str, bytes] = {}  # LL-HLS partial segments, served from memory
        self.finished = False
        self._timer: TimerHandle | None = None
        self._elapsed = 0.0  # media seconds produced so far

    def wants(self, endpoint_id: str) -> bool:
        """Whether tracks of ``endpoint_id`` feed this component."""
        return endpoint_id != self.component.id and (self.auto or endpoint_id in self.origins)

    def attach(self, track: Track) -> None:
        """A subscribed track: the first one starts the stream (compositor and mixer)."""
        self.tracks.add(track.id)
        if self.started_at is None and not self.finished:
            self._start()

    def detach(self, track: Track) -> None:
        """A track went away; the compositor keeps producing (black video, silent audio)."""
        self.tracks.discard(track.id)

    def _start(self) -> None:
        self.started_at = self.sim.clock.now()
        os.makedirs(self.directory, exist_ok=True)
        for rendition in RENDITIONS:
            self._write(_header_name(rendition), _placeholder(b"ftyp", f"{rendition} header"))
        self._schedule()

    def _step(self) -> float:
        if not self.low_latency:
            return SEGMENT_SECONDS
        done = len(self.open.parts) if self.open is not None else 0
        return PART_DURATIONS[done]

    def _schedule(self) -> None:
        if self.started_at is None:
            return
        due = self.started_at + self._elapsed + self._step()
        self._timer = self.sim.clock.call_later(due - self.sim.clock.now(), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.finished:
            return
        step = self._step()
        self._elapsed += step
        if self.low_latency:
            if self.open is None:
                self.open = _Segment(self.next_index, 0.0)
                self.next_index += 1
            segment = self.open
            part = len(segment.parts)
            segment.parts.append(step)
            segment.duration = round(segment.duration + step, 6)
            for rendition in RENDITIONS:
                name = _part_name(rendition, segment.index, part)
                self.parts[name] = _placeholder(b"moof", name)
            if len(segment.parts) == len(PART_DURATIONS):
                self.open = None
                self._close_segment(segment)
            else:
                self._write_playlists()
        else:
            segment = _Segment(self.next_index, SEGMENT_SECONDS)
            self.next_index += 1
            self._close_segment(segment)
        self._schedule()

    def _close_segment(self, segment: _Segment) -> None:
        for rendition in RENDITIONS:
            self._write(
                _name(rendition, segment.index),
                _placeholder(b"moof", _name(rendition, segment.index)),
            )
        self.segments.append(segment)
        self._trim_window()
        self._drop_old_parts()
        self._write_playlists()
        if not self.component.properties.get("playable"):  # unless forced by hls_playable()
            self.sim.hls_playable(self.room, self.component)

    def _trim_window(self) -> None:
        if self.window is None:
            return
        total = sum(segment.duration for segment in self.segments)
        while self.segments:
            rest = total - self.segments[0].duration
            if not (rest >= self.window and rest > 0):
                break
            stale = self.segments.pop(0)
            total = rest
            self.media_sequence += 1
            if self.persistent:
                self.stale.append(stale)
            else:
                for rendition in RENDITIONS:
                    self._remove(_name(rendition, stale.index))

    def _drop_old_parts(self) -> None:
        newest = self.next_index - 1
        for name in [n for n in self.parts if _part_segment(n) + PARTS_KEPT_SEGMENTS <= newest]:
            del self.parts[name]

    # --- playlists -----------------------------------------------------------------------

    def _write_playlists(self) -> None:
        self._write("index.m3u8", self.master_playlist().encode())
        for rendition in RENDITIONS:
            self._write(f"{rendition}.m3u8", self.media_playlist(rendition).encode())
            if self.low_latency and len(self.segments) > DELTA_MIN_SEGMENTS:
                delta = self.media_playlist(rendition, delta=True)
                self._write(f"{rendition}_delta.m3u8", delta.encode())

    def master_playlist(self) -> str:
        """``index.m3u8``: one video variant with an audio rendition group."""
        return (
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            '#EXT-X-MEDIA:TYPE=AUDIO,NAME="audio_default_name",GROUP-ID="audio_default_id",'
            'AUTOSELECT=YES,DEFAULT=YES,URI="audio.m3u8"\n'
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,"
            'RESOLUTION=1920x1080,FRAME-RATE=24,CODECS="avc1.42e028",AUDIO="audio_default_id"\n'
            "video.m3u8\n"
        )

    def media_playlist(self, rendition: str, *, delta: bool = False) -> str:
        """A media playlist in the shape membrane's HLS sink writes (LL-HLS tags if enabled)."""
        segments = (
            self.stale + self.segments if self.finished and self.persistent else self.segments
        )
        sequence = 0 if self.finished and self.persistent else self.media_sequence
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{int(SEGMENT_SECONDS)}"]
        if self.low_latency:
            skippable = sum(s.duration for s in segments[:-DELTA_MIN_SEGMENTS])
            hold_back = _seconds(3 * PART_SECONDS)
            control = f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={hold_back}"
            if skippable > 0:
                control += f",CAN-SKIP-UNTIL={_seconds(skippable)}"
            lines += [control, f"#EXT-X-PART-INF:PART-TARGET={_seconds(PART_SECONDS)}"]
        lines += [
            f"#EXT-X-MEDIA-SEQUENCE:{sequence}",
            "#EXT-X-DISCONTINUITY-SEQUENCE:0",
            f'#EXT-X-MAP:URI="{_header_name(rendition)}"',
        ]
        shown = segments
        if delta:
            skipped = len(segments) - DELTA_MIN_SEGMENTS
            lines.append(f"#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}")
            shown = segments[skipped:]
        with_parts = {s.index for s in segments[-PARTS_IN_PLAYLIST:]} if self.low_latency else set()
        for segment in shown:
            if segment.index in with_parts and not self.finished:
                lines += self._part_lines(rendition, segment)
            lines += [f"#EXTINF:{_seconds(segment.duration)},", _name(rendition, segment.index)]
        if self.finished:
            lines.append("#EXT-X-ENDLIST")
        elif self.low_latency:
            if self.open is not None:
                lines += self._part_lines(rendition, self.open)
                hint = _part_name(rendition, self.open.index, len(self.open.parts))
            else:
                hint = _part_name(rendition, self.next_index, 0)
            if segments or self.open is not None:
                lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{hint}"')
        return "\n".join(lines) + "\n"

    @staticmethod
    def _part_lines(rendition: str, segment: _Segment) -> list[str]:
        lines = []
        for part, duration in enumerate(segment.parts):
            uri = _part_name(rendition, segment.index, part)
            line = f'#EXT-X-PART:DURATION={_seconds(duration)},URI="{uri}"'
            lines.append(line + (",INDEPENDENT=YES" if part == 0 else ""))
        return lines

    # --- the end -------------------------------------------------------------------------

    def finish(self) -> None:
        """The component or the room stops: no more segments; a persistent stream is ended."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.finished:
            return
        self.finished = True
        self.parts.clear()
        if self.started_at is not None and self.persistent:
            self.open = None
            self._write_playlists()

    def _write(self, name: str, content: bytes) -> None:
        try:
            with open(os.path.join(self.directory, name), "wb") as handle:
                handle.write(content)
        except OSError as error:
            logger.warning(
                "HLS component %s could not write %s: %s", self.component.id, name, error
            )

    def _remove(self, name: str) -> None:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(self.directory, name))


def _part_segment(name: str) -> int:
    # <rendition>_segment_<index>_<part>_part.m4s
    return int(name.split("_")[2])


# --- recording -----------------------------------------------------------------------------


class RecordingSession:
    """One recording component: raw track files and a report under ``raw_recordings/``."""

    def __init__(self, sim: MediaSimulation, room: Room, component: Component) -> None:
        self.sim = sim
        self.component = component
        self.auto = component.properties["subscribeMode"] == "auto"
        self.origins: set[str] = set()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
        self.directory = os.path.join(sim.resources_dir, "raw_recordings", room.id, f"part_{stamp}")
        self.started = sim.clock.now()
        self.tracks: dict[str, dict[str, object]] = {}
        self.finished = False
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as error:
            logger.warning("Recording directory %s could not be made: %s", self.directory, error)
        self._write_report()

    def wants(self, endpoint_id: str) -> bool:
        """Whether tracks of ``endpoint_id`` are recorded."""
        return endpoint_id != self.component.id and (self.auto or endpoint_id in self.origins)

    def attach(self, track: Track) -> None:
        """Start recording a track: its ``.msr`` file and an entry in ``report.json``."""
        if self.finished or track.id in self.tracks:
            return
        offset = self.sim.clock.now() - self.started
        self.tracks[track.id] = {
            "type": track.type,
            "encoding": "H264" if track.type == "video" else "OPUS",
            "offset": int(offset * 1e9),
            "end": None,
        }
        _write_file(
            os.path.join(self.directory, f"{_safe(track.id)}.msr"), _placeholder(b"msr ", track.id)
        )
        self._write_report()

    def detach(self, track: Track) -> None:
        """The track ended: its end offset goes into the report."""
        entry = self.tracks.get(track.id)
        if entry is not None and entry["end"] is None:
            entry["end"] = int((self.sim.clock.now() - self.started) * 1e9)
            self._write_report()

    def finish(self) -> None:
        """The component or the room stops: every open track ends now."""
        if self.finished:
            return
        now = int((self.sim.clock.now() - self.started) * 1e9)
        for entry in self.tracks.values():
            if entry["end"] is None:
                entry["end"] = now
        self.finished = True
        self._write_report()

    def _write_report(self) -> None:
        report = {"tracks": self.tracks, "finished": self.finished}
        content = json.dumps(report, sort_keys=True).encode()
        _write_file(os.path.join(self.directory, "report.json"), content)


def _write_file(path: str, content: bytes) -> None:
    """Write media output; a failure (a directory removed under us) is logged, not raised.

    A real media pipeline's storage error does not fail the REST call that fed it.
    """
    try:
        with open(path, "wb") as handle:
            handle.write(content)
    except OSError as error:
        logger.warning("Media output %s could not be written: %s", path, error)


def _safe(track_id: str) -> str:
    return track_id.replace(":", "_").replace("/", "_")


# --- the simulation ------------------------------------------------------------------------


@dataclass
class _RoomMedia:
    """Media state of one room (exists only while the room has or had a media component)."""

    room: Room
    timers: dict[str, TimerHandle] = field(default_factory=dict)  # per component
    hls: HlsStream | None = None
    recording: RecordingSession | None = None
    hls_dirs: list[tuple[str, bool]] = field(default_factory=list)  # (directory, persistent)
    upload_bucket: str | None = None
    uploads: bool = False

    def sinks(self) -> Iterable[HlsStream | RecordingSession]:
        return [sink for sink in (self.hls, self.recording) if sink is not None]


class MediaSimulation:
    """The media engine of one node."""

    def __init__(
        self,
        clock: Scheduler,
        host: MediaHost,
        resources_dir: str,
        failing_s3_buckets: frozenset[str] = frozenset(),
    ) -> None:
        self.clock = clock
        self.host = host
        self.resources_dir = resources_dir
        self.failing_s3_buckets = failing_s3_buckets
        self.rtsp_sources: set[str] = set()
        self._rooms: dict[str, _RoomMedia] = {}

    def active_rooms(self) -> int:
        """Rooms with media state (for tests: rooms without media components have none)."""
        return len(self._rooms)

    # --- components ----------------------------------------------------------------------

    def component_added(
        self,
        room: Room,
        component: Component,
        *,
        file_path: str | None = None,
        s3_bucket: str | None = None,
    ) -> None:
        """A component was added (after the POST answer is built)."""
        if component.type not in MEDIA_COMPONENTS:
            return
        media = self._rooms.setdefault(room.id, _RoomMedia(room))
        if component.type == "file" and file_path is not None:
            self.clock.call_soon(lambda: self._start_file(media, component, file_path))
        elif component.type == "rtsp":
            self.clock.call_soon(lambda: self._connect_rtsp(media, component))
        elif component.type == "hls" and component.output_dir is not None:
            # The HLS endpoint starts from an empty directory (File.rm_rf, then mkdir_p).
            shutil.rmtree(component.output_dir, ignore_errors=True)
            os.makedirs(component.output_dir, exist_ok=True)
            media.hls = HlsStream(self, room, component, component.output_dir, s3_bucket)
            media.hls_dirs.append((component.output_dir, media.hls.persistent))
            if s3_bucket is not None:
                media.uploads, media.upload_bucket = True, s3_bucket
            self._attach_existing(media, media.hls)
        elif component.type == "recording":
            media.recording = RecordingSession(self, room, component)
            self._attach_existing(media, media.recording)

    def component_removed(self, room: Room, component: Component) -> None:
        """A component was deleted, crashed or finished."""
        media = self._rooms.get(room.id)
        if media is None:
            return
        timer = media.timers.pop(component.id, None)
        if timer is not None:
            timer.cancel()
        if media.hls is not None and media.hls.component is component:
            media.hls.finish()
            media.hls = None
        if media.recording is not None and media.recording.component is component:
            media.recording.finish()
            media.recording = None

    def _start_file(self, media: _RoomMedia, component: Component, path: str) -> None:
        room = media.room
        if room.components.get(component.id) is not component or not room.alive:
            return
        try:
            seconds = file_duration(path, component.properties.get("framerate"))
        except OSError as error:
            logger.warning("File component %s cannot read %s: %s", component.id, path, error)
            seconds = 0.0
        track_type = "video" if path.endswith(".h264") else "audio"
        self.host.publish_track(room, component, track_type)
        if seconds > 0:
            logger.info("File component %s plays %s for %.3f s", component.id, path, seconds)
        else:
            logger.warning("File component %s: %s has nothing to play", component.id, path)
            seconds = UNPARSEABLE_FILE_PIPELINE_SECONDS
        media.timers[component.id] = self.clock.call_later(
            seconds, lambda: self._end_file(media, component)
        )

    def _end_file(self, media: _RoomMedia, component: Component) -> None:
        media.timers.pop(component.id, None)
        room = media.room
        if room.alive and room.components.get(component.id) is component:
            self.host.finish_component(room, component)

    def _connect_rtsp(self, media: _RoomMedia, component: Component) -> None:
        media.timers.pop(component.id, None)
        room = media.room
        if not room.alive or room.components.get(component.id) is not component:
            return
        uri = str(component.properties["sourceUri"])
        if uri in self.rtsp_sources:
            logger.info("RTSP component %s connected to %s", component.id, uri)
            self.host.publish_track(room, component, "video")
            return
        delay = max(MIN_RTSP_RETRY_SECONDS, int(component.properties["reconnectDelay"]) / 1000)
        logger.warning(
            "RTSP component %s cannot reach %s; retrying in %s s", component.id, uri, delay
        )
        media.timers[component.id] = self.clock.call_later(
            delay, lambda: self._connect_rtsp(media, component)
        )

    # --- tracks and subscriptions --------------------------------------------------------

    def _attach_existing(self, media: _RoomMedia, sink: HlsStream | RecordingSession) -> None:
        endpoints: list[Peer | Component] = [*media.room.peers.values()]
        endpoints += media.room.components.values()
        for endpoint in endpoints:
            if sink.wants(endpoint.id):
                for key in sorted(endpoint.tracks):
                    sink.attach(endpoint.tracks[key])

    def track_added(self, room: Room, endpoint: Peer | Component, track: Track) -> None:
        """A track was published in ``room``."""
        media = self._rooms.get(room.id)
        if media is None:
            return
        for sink in media.sinks():
            if sink.wants(endpoint.id):
                sink.attach(track)

    def track_removed(self, room: Room, endpoint: Peer | Component, track: Track) -> None:
        """A track of ``room`` went away."""
        media = self._rooms.get(room.id)
        if media is None:
            return
        for sink in media.sinks():
            sink.detach(track)

    def subscribed(self, room: Room, component: Component, origins: list[str]) -> None:
        """Manual mode: ``component`` now takes the tracks of ``origins`` (ids not checked)."""
        media = self._rooms.get(room.id)
        if media is None:
            return
        for sink in media.sinks():
            if sink.component is component:
                sink.origins.update(origins)
                self._attach_existing(media, sink)

    # --- hls -----------------------------------------------------------------------------

    def hls_playable(self, room: Room, component: Component) -> None:
        """The first video segment exists: ``playable: true`` and ``HlsPlayable``."""
        component.properties["playable"] = True
        message = ServerMessage(
            hls_playable=ServerMessage.HlsPlayable(room_id=room.id, component_id=component.id)
        )
        self.host.emit(message, room)

    def hls_part(self, room_id: str, filename: str) -> bytes | None:
        """An LL-HLS partial segment of the room's live hls component, from memory."""
        media = self._rooms.get(room_id)
        if media is None or media.hls is None:
            return None
        return media.hls.parts.get(filename)

    # --- rooms ---------------------------------------------------------------------------

    def room_stopped(self, room: Room) -> None:
        """The room stopped or crashed: every timer stops, every stream ends."""
        media = self._rooms.get(room.id)
        if media is None:
            return
        for timer in media.timers.values():
            timer.cancel()
        media.timers.clear()
        for sink in media.sinks():
            sink.finish()

    def room_deleted(self, room: Room, crashed: bool) -> None:
        """After ``RoomDeleted`` (or ``RoomCrashed``): HLS cleanup, then the S3 upload result."""
        media = self._rooms.pop(room.id, None)
        if media is None:
            return
        for directory, persistent in media.hls_dirs:
            if not persistent:
                shutil.rmtree(directory, ignore_errors=True)
        if media.uploads and not crashed:
            self.clock.call_soon(lambda: self._upload_result(room, media.upload_bucket))

    def _upload_result(self, room: Room, bucket: str | None) -> None:
        if bucket in self.failing_s3_buckets:
            logger.error("HLS upload of room %s to bucket %s failed", room.id, bucket)
            message = ServerMessage(
                hls_upload_crashed=ServerMessage.HlsUploadCrashed(room_id=room.id)
            )
        else:
            message = ServerMessage(hls_uploaded=ServerMessage.HlsUploaded(room_id=room.id))
        self.host.emit(message, room)
