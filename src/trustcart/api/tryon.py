"""HTTP shell of virtual try-on, used by the web app.

    POST /tryon            multipart/form-data: person (file), product (file), category,
                           optional backend and product_key
                           or application/json: {"person_image": "<base64>",
                           "product_image": "<base64>", "category": "upper", ...}
                           -> 200 image/png of the photo's size
    GET  /tryon/backends   the back ends known here and whether each can run

The result's facts travel in headers: ``Tryon-Backend``, ``Tryon-Region`` (left,top,right,bottom
in photo pixels), ``Tryon-Approximate`` and ``Tryon-Notice`` (to be shown next to the image).
Errors are problem+json with the stable codes of ``TryOnProblem`` (422 for an unusable photo or
product image or an unknown back end, 503 when the try-on extra is missing or a named back end
cannot run here) or of ``CommonProblem``.
The body is capped (``MAX_TRYON_BODY``) before it is parsed; each image is capped again, and its
pixel count is read from its header before it is decoded. The work runs in a worker thread so
that one try-on does not stall the event loop.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncGenerator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from trustcart.api.common import create_app, parse_json_object, read_body
from trustcart.api.openapi import tryon as contract
from trustcart.core.errors import ValidationError
from trustcart.core.problem import CommonProblem, ProblemError
from trustcart.tryon.backends import TryOnService
from trustcart.tryon.errors import TryOnError, TryOnProblem
from trustcart.tryon.types import MAX_IMAGE_BYTES, TryOnRequest

# Two images plus base64 overhead (4/3) plus form fields.
MAX_TRYON_BODY = 2 * MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
# Two photos take longer to upload than a JSON request: 32 MiB in 120 s is 280 KB/s.
TRYON_BODY_TIMEOUT_SECONDS = 120.0
MAX_FIELD_BYTES = 4096


def _problem(error: TryOnError) -> ProblemError:
    # A back end this service has never heard of is the caller's mistake (422), not an outage;
    # 503 stays for one it knows but cannot run here, and for a missing extra.
    status = 422 if error.code is TryOnProblem.BACKEND_UNKNOWN else error.status
    return ProblemError(error.code, status, str(error))


def _text(value: Any, name: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"'{name}' must be a short string")
    return value


def _base64(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"'{name}' must be base64 text")
    if len(value) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise ProblemError(CommonProblem.BODY_TOO_LARGE, 413, f"'{name}' is too large")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"'{name}' is not base64") from e


async def _multipart(request: Request, body: bytes) -> dict[str, Any]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers, stream(), max_files=2, max_fields=8, max_part_size=MAX_FIELD_BYTES
    )
    try:
        form = await parser.parse()
    except MultiPartException as e:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, f"bad multipart body: {e}") from e
    fields: dict[str, Any] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(MAX_IMAGE_BYTES + 1)
                if len(data) > MAX_IMAGE_BYTES:
                    raise ProblemError(CommonProblem.BODY_TOO_LARGE, 413, f"'{key}' is too large")
                fields[key] = data
            else:
                fields[key] = value
    finally:
        await form.close()
    return fields


async def _read_request(request: Request) -> TryOnRequest:
    body = await read_body(request, MAX_TRYON_BODY)
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        fields = await _multipart(request, body)
        person, product = fields.get("person"), fields.get("product")
        if not isinstance(person, bytes) or not isinstance(product, bytes):
            raise ProblemError(
                CommonProblem.INVALID_REQUEST, 400, "send the files 'person' and 'product'"
            )
    else:
        fields = contract.TRYON.check(parse_json_object(body, request.headers.get("content-type")))
        person = _base64(fields.get("person_image"), "person_image")
        product = _base64(fields.get("product_image"), "product_image")
    category = _text(fields.get("category"), "category")
    key = _text(fields.get("product_key"), "product_key", required=False)
    try:
        return TryOnRequest(person, product, category, product_key=key)  # type: ignore[arg-type]
    except ValidationError as e:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, str(e)) from e


def create_tryon_app(service: TryOnService | None = None) -> FastAPI:
    """The try-on HTTP app; ``service`` defaults to one with every discovered back end."""
    app = create_app("trustcart virtual try-on", body_timeout=TRYON_BODY_TIMEOUT_SECONDS)
    chosen = service if service is not None else TryOnService()

    @app.get("/tryon/backends", **contract.BACKENDS.route())
    async def backends() -> dict[str, Any]:
        return {"backends": await run_in_threadpool(chosen.describe)}

    @app.post("/tryon", **contract.TRYON.route())
    async def tryon(request: Request) -> Response:
        try_on_request = await _read_request(request)
        backend = request.query_params.get("backend")
        try:
            result = await run_in_threadpool(chosen.try_on, try_on_request, backend)
        except TryOnError as e:
            raise _problem(e) from e
        headers = {
            "Tryon-Backend": result.backend,
            "Tryon-Region": ",".join(str(v) for v in result.region.to_json()),
            "Tryon-Approximate": "true" if result.approximate else "false",
            "Cache-Control": "no-store",
        }
        if result.notice:
            headers["Tryon-Notice"] = result.notice
        return Response(result.image_png, media_type="image/png", headers=headers)

    return app
