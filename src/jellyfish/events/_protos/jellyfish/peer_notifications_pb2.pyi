from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PeerMessage(_message.Message):
    __slots__ = ("authenticated", "auth_request", "media_event")
    class Authenticated(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class AuthRequest(_message.Message):
        __slots__ = ("token",)
        TOKEN_FIELD_NUMBER: _ClassVar[int]
        token: str
        def __init__(self, token: _Optional[str] = ...) -> None: ...
    class MediaEvent(_message.Message):
        __slots__ = ("data",)
        DATA_FIELD_NUMBER: _ClassVar[int]
        data: str
        def __init__(self, data: _Optional[str] = ...) -> None: ...
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    AUTH_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MEDIA_EVENT_FIELD_NUMBER: _ClassVar[int]
    authenticated: PeerMessage.Authenticated
    auth_request: PeerMessage.AuthRequest
    media_event: PeerMessage.MediaEvent
    def __init__(self, authenticated: _Optional[_Union[PeerMessage.Authenticated, _Mapping]] = ..., auth_request: _Optional[_Union[PeerMessage.AuthRequest, _Mapping]] = ..., media_event: _Optional[_Union[PeerMessage.MediaEvent, _Mapping]] = ...) -> None: ...
