"""MIME framing for uploads and batches, against what google-api-python-client sends and reads."""

from __future__ import annotations

import json
from email.parser import FeedParser
from typing import Any

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest, MediaInMemoryUpload

from careerdocs.sandbox import multipart
from careerdocs.sandbox.multipart import MalformedMessage, Part

BINARY = bytes(range(256)) + b"\r\n--not-a-boundary\r\n\n\n"


def drive_service() -> Any:
    return build("drive", "v3", developerKey="unused", static_discovery=True)


def test_parses_the_multipart_upload_google_api_python_client_sends() -> None:
    media = MediaInMemoryUpload(BINARY, mimetype="application/octet-stream", resumable=False)
    request = drive_service().files().create(body={"name": "blob.bin"}, media_body=media)
    parts = multipart.parse_multipart(request.body, request.headers["content-type"])
    assert [p.content_type for p in parts] == ["application/json", "application/octet-stream"]
    assert json.loads(parts[0].body) == {"name": "blob.bin"}
    assert parts[1].body == BINARY


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_parses_either_line_ending(newline: bytes) -> None:
    body = newline.join(
        [
            b"preamble",
            b"--xyz",
            b"Content-Type: text/plain",
            b"",
            b"one",
            b"--xyz",
            b"Content-Type: text/csv",
            b"",
            b"a,b" + newline + b"1,2",
            b"--xyz--",
            b"",
        ]
    )
    parts = multipart.parse_multipart(body, 'multipart/related; boundary="xyz"')
    assert [(p.content_type, p.body) for p in parts] == [
        ("text/plain", b"one"),
        ("text/csv", b"a,b" + newline + b"1,2"),
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--xyz\r\n\r\nno end", "multipart/related; boundary=xyz"),
        (b"nothing here", "multipart/related; boundary=xyz"),
        (b"--xyz--", "multipart/related"),
    ],
)
def test_rejects_bodies_that_are_not_multipart(body: bytes, content_type: str) -> None:
    with pytest.raises(MalformedMessage):
        multipart.parse_multipart(body, content_type)


def test_encoded_parts_parse_back() -> None:
    parts = [
        Part(
            {"Content-Type": "application/http", "Content-ID": "<response-a + 1>"},
            b"HTTP/1.1 200 OK\r\n\r\n{}",
        ),
        Part({"Content-Type": "application/http"}, BINARY),
    ]
    encoded = multipart.encode_multipart(parts, "b0undary")
    back = multipart.parse_multipart(encoded, "multipart/mixed; boundary=b0undary")
    assert [p.body for p in back] == [p.body for p in parts]
    assert back[0].headers["content-id"] == "<response-a + 1>"


def test_parses_a_batch_part_as_google_api_python_client_writes_it() -> None:
    service = drive_service()
    batch = BatchHttpRequest(batch_uri="http://sandbox/batch/drive/v3")
    request = service.files().update(fileId="abc", body={"name": "new"}, fields="id")
    message = multipart.parse_http_request(batch._serialize_request(request).encode())
    assert message.method == "PATCH"
    assert message.target.startswith("/drive/v3/files/abc?")
    assert "fields=id" in message.target
    assert message.headers["content-type"] == "application/json"
    assert json.loads(message.body) == {"name": "new"}


@pytest.mark.parametrize(
    ("status", "body"), [(200, b'{"id": "f1"}'), (204, b""), (404, b'{"error": {"code": 404}}')]
)
def test_batch_response_parts_are_read_by_google_api_python_client(
    status: int, body: bytes
) -> None:
    inner = multipart.encode_http_response(status, {"Content-Type": "application/json"}, body)
    encoded = multipart.encode_multipart(
        [Part({"Content-Type": "application/http", "Content-ID": "<response-u + 7>"}, inner)], "bnd"
    )
    parser = FeedParser()
    parser.feed("content-type: multipart/mixed; boundary=bnd\r\n\r\n" + encoded.decode())
    part = parser.close().get_payload()[0]
    batch = BatchHttpRequest()
    assert batch._header_to_id(part["Content-ID"]) == "7"
    resp, content = batch._deserialize_response(part.get_payload())
    assert resp.status == status
    assert content == body.decode()
