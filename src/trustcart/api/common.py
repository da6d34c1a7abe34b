"""What every trustcart HTTP service shares: problem+json errors and strict JSON bodies.

``create_app`` installs the handlers; endpoints read their body with ``read_json_object`` (size
cap, content type, JSON object only) so that malformed input always becomes a problem+json
response with a stable code, never a 500 and never a partial write.

Bad input, in the order it is refused: a body that does not arrive within the app's
``body_timeout`` (``api.body_timeout``, 408 ``request-timeout``); more than ``max_bytes``
(413 ``body-too-large``, before it is buffered); another content type (415); nested deeper than
``MAX_JSON_DEPTH`` (400 ``json-too-deep``, measured without recursion before ``json.loads``
runs: ``core.json_limits``); not JSON, or a float (400 ``malformed-json``); not an object
(400 ``invalid-request``). Anything unexpected is a problem+json 500 ``internal-error`` whose
detail says nothing about the cause; the traceback goes to the service's log.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from trustcart.api.body_timeout import (
    BODY_TIMEOUT_SECONDS,
    BodyTimeout,
    BodyTimeoutMiddleware,
    timeout_problem,
)
from trustcart.api.docs import install_offline_docs
from trustcart.api.openapi.vocabulary import finish_openapi
from trustcart.core.errors import ValidationError
from trustcart.core.json_limits import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded
from trustcart.core.problem import (
    PROBLEM_CONTENT_TYPE,
    CommonProblem,
    Problem,
    ProblemError,
)

MAX_BODY_BYTES = 64 * 1024
M = TypeVar("M", bound=BaseModel)


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.to_json(),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def create_app(title: str, *, body_timeout: float = BODY_TIMEOUT_SECONDS) -> FastAPI:
    """A FastAPI app whose every error is RFC 9457 problem+json, even an unexpected one, and
    whose ``/docs`` works offline.

    ``body_timeout`` bounds the time a client may take to send a request body (408).
    """
    app = FastAPI(title=title, version="2026-11-29", docs_url=None, redoc_url=None)
    generate = app.openapi  # every route documents its contract (api.openapi)
    app.openapi = lambda: finish_openapi(generate)  # type: ignore[method-assign]
    install_offline_docs(app)
    app.add_middleware(BodyTimeoutMiddleware, timeout=body_timeout)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        # Nothing about the cause goes to the caller; Starlette re-raises after this answer,
        # so the server logs the traceback.
        return problem_response(
            Problem(CommonProblem.INTERNAL, 500, "Internal error", "the request was not completed")
        )

    @app.exception_handler(BodyTimeout)
    async def _body_timeout(_request: Request, _exc: BodyTimeout) -> JSONResponse:
        # The middleware has answered already; this keeps the app from logging an error.
        return problem_response(timeout_problem(body_timeout), headers={"Connection": "close"})

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.problem)

    @app.exception_handler(ValidationError)
    async def _validation(_request: Request, exc: ValidationError) -> JSONResponse:
        return problem_response(
            Problem(CommonProblem.INVALID_REQUEST, 400, "Invalid request", str(exc))
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            Problem(CommonProblem.INVALID_REQUEST, 400, "Invalid request", _describe(exc.errors()))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: CommonProblem.NOT_FOUND, 405: CommonProblem.METHOD_NOT_ALLOWED}.get(
            exc.status_code, CommonProblem.INVALID_REQUEST
        )
        return problem_response(Problem(code, exc.status_code, str(exc.detail)))

    return app


def _describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


async def read_body(request: Request, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """Read the raw body, refusing more than ``max_bytes`` without buffering all of it."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise ProblemError(CommonProblem.BODY_TOO_LARGE, 413, f"body exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ProblemError(CommonProblem.BODY_TOO_LARGE, 413, f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Parse a JSON object body; raise problem errors for anything else."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ProblemError(
            CommonProblem.UNSUPPORTED_MEDIA_TYPE, 415, "send Content-Type: application/json"
        )
    try:
        value = loads_bounded(body, parse_float=_no_float, parse_constant=_no_constant)
    except JsonTooDeep as e:
        raise ProblemError(
            CommonProblem.JSON_TOO_DEEP,
            400,
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
            title="JSON too deep",
        ) from e
    except (ValueError, UnicodeDecodeError) as e:
        raise ProblemError(CommonProblem.MALFORMED_JSON, 400, f"body is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, "body must be a JSON object")
    return value


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} must be sent as a decimal string")


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def validate_model(model: type[M], data: dict[str, Any]) -> M:
    """Validate a parsed body with a pydantic model; errors become ``invalid-request``."""
    try:
        return model.model_validate(data, strict=False)
    except PydanticValidationError as e:
        raise ProblemError(CommonProblem.INVALID_REQUEST, 400, _describe(e.errors())) from e


async def read_json_object(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    return parse_json_object(
        await read_body(request, max_bytes), request.headers.get("content-type")
    )
