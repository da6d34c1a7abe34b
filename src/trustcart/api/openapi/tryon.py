"""The try-on service's contract: a photo and a product image in, a PNG out.

The body is JSON (base64 images) or a multipart form (files); both carry the same fields. The
answer's facts travel in headers (``Tryon-Backend``, ``Tryon-Region``, ``Tryon-Approximate``,
``Tryon-Notice``). Image limits are checked by the service, not the schema, so that an
oversized image is ``413`` and an unreadable one ``422``, as documented.
"""

from __future__ import annotations

from trustcart.api.openapi.vocabulary import (
    Header,
    JsonBody,
    Operation,
    Reply,
    Schema,
    nullable,
    obj,
)
from trustcart.tryon.types import Category

_CATEGORY: Schema = {"type": "string", "enum": [c.value for c in Category]}
_KEY: Schema = {"type": "string", "minLength": 1, "maxLength": 200}
_IMAGE = "PNG, JPEG or WebP"

BACKENDS = Operation(
    "listTryonBackends",
    "The try-on back ends known here and whether each can run",
    replies=(
        Reply(
            200,
            "The back ends",
            obj(
                {
                    "backends": {
                        "type": "array",
                        "items": obj(
                            {"name": {"type": "string"}, "available": {"type": "boolean"}},
                            ("name", "available"),
                            closed=False,
                        ),
                    }
                },
                ("backends",),
            ),
        ),
    ),
)

TRYON = Operation(
    "tryOn",
    "Show a product on a person photo",
    body=JsonBody(
        obj(
            {
                "person_image": {"type": "string", "description": f"{_IMAGE}, base64"},
                "product_image": {"type": "string", "description": f"{_IMAGE}, base64"},
                "category": _CATEGORY,
                "product_key": nullable(_KEY),
            },
            ("person_image", "product_image", "category"),
            closed=False,
        ),
        description="JSON with base64 images, or a multipart form with the files",
        alternatives={
            "multipart/form-data": obj(
                {
                    "person": {"type": "string", "format": "binary"},
                    "product": {"type": "string", "format": "binary"},
                    "category": _CATEGORY,
                    "product_key": _KEY,
                },
                ("person", "product", "category"),
                closed=False,
            )
        },
    ),
    extra={
        "parameters": [
            {
                "name": "backend",
                "in": "query",
                "required": False,
                "description": "a back end named by GET /tryon/backends (default: the best)",
                "schema": {"type": "string"},
            }
        ]
    },
    replies=(
        Reply(
            200,
            "The photo with the product on it, at the photo's size",
            {"type": "string", "format": "binary"},
            media_type="image/png",
            headers=(
                Header("Tryon-Backend", "the back end that made the image", required=True),
                Header("Tryon-Region", "left,top,right,bottom of the product, in photo pixels"),
                Header("Tryon-Approximate", "true when the result is an approximation"),
                Header("Tryon-Notice", "a sentence to show next to the image"),
            ),
        ),
    ),
    problems={
        400: "invalid-request (missing files, not base64, a category that is not one of the list)",
        413: "body-too-large (an image over the limit)",
        422: "image-unreadable, image-too-large, image-too-small, no-person, several-people, "
        "seen-from-behind, person-too-small, product-unusable, backend-unknown",
        503: "tryon-unavailable (the try-on extra is not installed), backend-unavailable, "
        "backend-failed",
    },
)
