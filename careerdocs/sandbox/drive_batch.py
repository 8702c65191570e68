"""Drive's HTTP batch endpoint: ``POST /batch/drive/v3`` with a ``multipart/mixed`` body.

Each part holds one Drive call as ``application/http``; the outer headers (Authorization) apply
to every part unless the part overrides them. Each call runs through the server's whole
pipeline via ``ctx.dispatch`` — quotas, faults and counters see n calls — and the answer holds
one ``application/http`` part per call, in request order, with Content-ID ``<response-ID>``
for a request Content-ID ``<ID>`` (google-api-python-client requires that shape, fact 4).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import core, multipart
from .core import ApiError, Request, Response, Router
from .multipart import Part

BATCH = r"/batch/drive/v3"
MIXED = "multipart/mixed"
HTTP_PART = "application/http"
MAX_CALLS = 100
DRIVE_PREFIX = "/drive/v3/"
RESPONSE_PREFIX = "response-"
PART_ONLY_HEADERS = frozenset(
    {"content-type", "content-length", "content-id", "content-transfer-encoding", "mime-version"}
)


def register(router: Router) -> None:
    router.add("POST", BATCH, batch, api="drive", kind="batch", name="batch")


def batch(ctx: core.Context, req: Request) -> Response:
    content_type = req.headers.get("content-type", "")
    if multipart.media_type(content_type) != MIXED:
        raise ApiError(400, "A batch request must be sent as multipart/mixed.", reason="badRequest")
    try:
        parts = multipart.parse_multipart(req.body, content_type)
    except multipart.MalformedMessage as exc:
        raise ApiError(400, f"Malformed batch body: {exc}", reason="badRequest") from None
    if not parts:
        raise ApiError(400, "A batch request must contain at least one call.", reason="badRequest")
    if len(parts) > MAX_CALLS:
        raise ApiError(
            400,
            f"A batch request may contain at most {MAX_CALLS} calls; this one has {len(parts)}.",
            reason="badRequest",
        )
    assert ctx.dispatch is not None, "the server provides dispatch for batch parts"
    answers = [answer_part(part, run_part(ctx, req, part)) for part in parts]
    boundary = multipart.new_boundary()
    return Response(
        200,
        multipart.encode_multipart(answers, boundary),
        {"Content-Type": f"{MIXED}; boundary={boundary}"},
    )


def run_part(ctx: core.Context, outer: Request, part: Part) -> Response:
    """Run one call as the outer caller; a part that is not a Drive call is answered 400."""
    try:
        message = multipart.parse_http_request(part.body)
    except multipart.MalformedMessage as exc:
        return error_response(ApiError(400, f"Malformed batch part: {exc}", reason="badRequest"))
    target = urlsplit(message.target)
    if not target.path.startswith(DRIVE_PREFIX):
        return error_response(
            ApiError(
                400,
                f"Only Drive v3 calls may be batched here, not {target.path}.",
                reason="badRequest",
            )
        )
    headers = {k: v for k, v in outer.headers.items() if k not in PART_ONLY_HEADERS}
    headers.update(message.headers)
    inner = Request.build(message.method, target.path, target.query, headers, message.body)
    inner.user = outer.user
    assert ctx.dispatch is not None
    return ctx.dispatch(inner)


def error_response(exc: ApiError) -> Response:
    return Response.json(exc.body(), exc.code)


def answer_part(request_part: Part, response: Response) -> Part:
    headers = {"Content-Type": HTTP_PART}
    content_id = request_part.headers.get("content-id")
    if content_id:
        headers["Content-ID"] = response_id(content_id)
    body = multipart.encode_http_response(response.status, response.headers, response.body)
    return Part(headers, body)


def response_id(content_id: str) -> str:
    """``<abc + 1>`` → ``<response-abc + 1>``; a bare ``abc`` → ``response-abc``."""
    if content_id.startswith("<") and content_id.endswith(">"):
        return f"<{RESPONSE_PREFIX}{content_id[1:-1]}>"
    return RESPONSE_PREFIX + content_id
