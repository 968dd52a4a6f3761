from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    room_id: str,
    filename: str,
    *,
    field_hls_msn: int | None | Unset = UNSET,
    field_hls_part: int | None | Unset = UNSET,
    field_hls_skip: None | str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(range_, Unset):
        headers["range"] = range_

    params: dict[str, Any] = {}

    json_field_hls_msn: int | None | Unset
    if isinstance(field_hls_msn, Unset):
        json_field_hls_msn = UNSET
    else:
        json_field_hls_msn = field_hls_msn
    params["_HLS_msn"] = json_field_hls_msn

    json_field_hls_part: int | None | Unset
    if isinstance(field_hls_part, Unset):
        json_field_hls_part = UNSET
    else:
        json_field_hls_part = field_hls_part
    params["_HLS_part"] = json_field_hls_part

    json_field_hls_skip: None | str | Unset
    if isinstance(field_hls_skip, Unset):
        json_field_hls_skip = UNSET
    else:
        json_field_hls_skip = field_hls_skip
    params["_HLS_skip"] = json_field_hls_skip

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/hls/{room_id}/{filename}".format(
            room_id=quote(str(room_id), safe=""),
            filename=quote(str(filename), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | File | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    room_id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    field_hls_msn: int | None | Unset = UNSET,
    field_hls_part: int | None | Unset = UNSET,
    field_hls_skip: None | str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Error | File]:
    """Retrieve HLS Content

    Args:
        room_id (str):
        filename (str):
        field_hls_msn (int | None | Unset): Segment sequence number Example: 10.
        field_hls_part (int | None | Unset): Partial segment sequence number Example: 10.
        field_hls_skip (None | str | Unset): Set to "YES" if delta manifest should be requested
            Example: True.
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        room_id=room_id,
        filename=filename,
        field_hls_msn=field_hls_msn,
        field_hls_part=field_hls_part,
        field_hls_skip=field_hls_skip,
        range_=range_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    room_id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    field_hls_msn: int | None | Unset = UNSET,
    field_hls_part: int | None | Unset = UNSET,
    field_hls_skip: None | str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Error | File | None:
    """Retrieve HLS Content

    Args:
        room_id (str):
        filename (str):
        field_hls_msn (int | None | Unset): Segment sequence number Example: 10.
        field_hls_part (int | None | Unset): Partial segment sequence number Example: 10.
        field_hls_skip (None | str | Unset): Set to "YES" if delta manifest should be requested
            Example: True.
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return sync_detailed(
        room_id=room_id,
        filename=filename,
        client=client,
        field_hls_msn=field_hls_msn,
        field_hls_part=field_hls_part,
        field_hls_skip=field_hls_skip,
        range_=range_,
    ).parsed


async def asyncio_detailed(
    room_id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    field_hls_msn: int | None | Unset = UNSET,
    field_hls_part: int | None | Unset = UNSET,
    field_hls_skip: None | str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Error | File]:
    """Retrieve HLS Content

    Args:
        room_id (str):
        filename (str):
        field_hls_msn (int | None | Unset): Segment sequence number Example: 10.
        field_hls_part (int | None | Unset): Partial segment sequence number Example: 10.
        field_hls_skip (None | str | Unset): Set to "YES" if delta manifest should be requested
            Example: True.
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        room_id=room_id,
        filename=filename,
        field_hls_msn=field_hls_msn,
        field_hls_part=field_hls_part,
        field_hls_skip=field_hls_skip,
        range_=range_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    room_id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    field_hls_msn: int | None | Unset = UNSET,
    field_hls_part: int | None | Unset = UNSET,
    field_hls_skip: None | str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Error | File | None:
    """Retrieve HLS Content

    Args:
        room_id (str):
        filename (str):
        field_hls_msn (int | None | Unset): Segment sequence number Example: 10.
        field_hls_part (int | None | Unset): Partial segment sequence number Example: 10.
        field_hls_skip (None | str | Unset): Set to "YES" if delta manifest should be requested
            Example: True.
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return (
        await asyncio_detailed(
            room_id=room_id,
            filename=filename,
            client=client,
            field_hls_msn=field_hls_msn,
            field_hls_part=field_hls_part,
            field_hls_skip=field_hls_skip,
            range_=range_,
        )
    ).parsed
