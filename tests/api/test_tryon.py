"""POST /tryon over HTTP: multipart and JSON in, PNG or problem+json out."""

from __future__ import annotations

import base64

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("cv2")
pytest.importorskip("skimage")
pytest.importorskip("multipart")  # python-multipart, which Starlette's form parser needs

import asyncio  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from trustcart.api.tryon import MAX_TRYON_BODY, create_tryon_app  # noqa: E402
from trustcart.tryon.backends import TryOnService, discover_backends  # noqa: E402
from trustcart.tryon.images import decode_rgb, encode_png  # noqa: E402
from trustcart.tryon.samples import draw_glasses, draw_tshirt, person_photo  # noqa: E402


class Client:
    """A synchronous face over httpx's ASGI transport: real requests, no server socket."""

    def __init__(self) -> None:
        self.app = create_tryon_app(TryOnService(discover_backends(entry_points=[])))

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tryon") as http:
                return await http.request(method, url, **options)

        return asyncio.run(send())

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


def problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_multipart_tryon_returns_a_png_of_the_photo_size(client: Client) -> None:
    photo = person_photo("hopper")
    response = client.post(
        "/tryon",
        files={
            "person": ("me.jpg", photo, "image/jpeg"),
            "product": ("shirt.png", draw_tshirt(), "image/png"),
        },
        data={"category": "upper", "product_key": "sku-1"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert decode_rgb(response.content).shape == decode_rgb(photo).shape
    assert response.headers["tryon-approximate"] == "true"
    assert "Approximate preview" in response.headers["tryon-notice"]
    left, top, right, _bottom = (int(v) for v in response.headers["tryon-region"].split(","))
    assert top > 250
    assert right > left


def test_json_tryon_with_base64_images(client: Client) -> None:
    body = {
        "person_image": base64.b64encode(person_photo("astronaut")).decode(),
        "product_image": base64.b64encode(draw_glasses()).decode(),
        "category": "eyewear",
    }
    response = client.post("/tryon", json=body)
    assert response.status_code == 200, response.text
    left, top, right, bottom = (int(v) for v in response.headers["tryon-region"].split(","))
    assert left < 203 < 247 < right
    assert top < 101 < bottom


def test_unusable_photo_is_a_problem_with_a_stable_code(client: Client) -> None:
    from skimage import data

    cat = encode_png(np.ascontiguousarray(data.chelsea()))
    response = client.post(
        "/tryon",
        files={
            "person": ("cat.png", cat, "image/png"),
            "product": ("s.png", draw_tshirt(), "image/png"),
        },
        data={"category": "upper"},
    )
    problem(response, 422, "no-person")
    assert "shoulders" in response.json()["detail"]


def test_unusable_product_and_unreadable_image(client: Client) -> None:
    blank = encode_png(np.full((200, 200, 3), 255, np.uint8))
    response = client.post(
        "/tryon",
        files={
            "person": ("p.png", person_photo("astronaut"), "image/png"),
            "product": ("b.png", blank, "image/png"),
        },
        data={"category": "upper"},
    )
    problem(response, 422, "product-unusable")
    response = client.post(
        "/tryon",
        files={
            "person": ("p.gif", b"GIF89a not really", "image/gif"),
            "product": ("s.png", draw_tshirt(), "image/png"),
        },
        data={"category": "upper"},
    )
    problem(response, 422, "image-unreadable")


def test_bad_requests_are_refused_before_any_work(client: Client) -> None:
    problem(
        client.post(
            "/tryon", json={"person_image": "!!", "product_image": "AA==", "category": "upper"}
        ),
        400,
        "invalid-request",
    )
    problem(
        client.post(
            "/tryon", json={"person_image": "AA==", "product_image": "AA==", "category": "trousers"}
        ),
        400,
        "invalid-request",
    )
    problem(
        client.post(
            "/tryon", files={"person": ("p.png", b"x", "image/png")}, data={"category": "upper"}
        ),
        400,
        "invalid-request",
    )
    problem(
        client.post("/tryon", content=b"x", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    problem(
        client.post(
            "/tryon",
            content=b"x",
            headers={"content-type": "application/json", "content-length": str(MAX_TRYON_BODY + 1)},
        ),
        413,
        "body-too-large",
    )
    problem(
        client.post(
            "/tryon?backend=catvton",
            json={
                "person_image": base64.b64encode(person_photo()).decode(),
                "product_image": base64.b64encode(draw_tshirt()).decode(),
                "category": "upper",
            },
        ),
        422,
        "backend-unknown",
    )


def test_backends_are_listed(client: Client) -> None:
    response = client.get("/tryon/backends")
    assert response.status_code == 200
    assert response.json()["backends"][0]["name"] == "classical"
    assert response.json()["backends"][0]["available"] is True
