"""Try-on and product pictures without a browser: every refusal is a page, never a 500.

The app runs over a store with one small catalog (``tests.helpers.pictures``): a T-shirt,
glasses and a cap (try-on capable), a milk tea (drawn, not tried on), a book (no drawing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.helpers.pictures import (
    BOOK,
    CAP,
    GLASSES,
    OTHERS_TEE,
    SVG_WITH_SCRIPT,
    TEA,
    TEE,
    encoded,
    picture_catalog,
)
from tests.helpers.web_app import BASE, csrf_token, log_in, web_client
from trustcart.commerce.picture_upload import PictureProblem
from trustcart.store.pictures import ProductPictureRow
from trustcart.tryon.errors import TryOnProblem
from trustcart.web.messages import MESSAGES
from trustcart.web.services import WebServices

PASSWORD = "a console password"
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, WebServices]]:
    # One app for the module (building one takes a second or two); the tests that write
    # change products no other test looks at.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUSTCART_CONSOLE_PASSWORD", PASSWORD)
        with web_client(tmp_path_factory.mktemp("tryon")) as (client, services):
            picture_catalog(services.db)
            yield client, services


def _try_on(
    client: TestClient, photo: bytes, product: str = TEE, headers: dict[str, str] | None = None
) -> object:
    token = csrf_token(client, "/tryon")
    return client.post(
        "/tryon",
        data={"csrf_token": token, "product": product},
        files={"photo": ("me.png", photo, "image/png")},
        headers=headers or {},
    )


def test_every_refusal_code_has_a_message_in_both_languages() -> None:
    for lang in ("en", "zh"):
        for code in (*TryOnProblem, *PictureProblem):
            assert f"tryon.error.{code}" in MESSAGES[lang], (lang, code)
        for code in PictureProblem:
            assert f"picture.error.{code}" in MESSAGES[lang], (lang, code)


def test_the_page_lists_only_try_on_products_with_their_pictures(
    shop: tuple[TestClient, WebServices],
) -> None:
    client, _ = shop
    page = client.get(f"/tryon?product={GLASSES}")
    assert page.status_code == 200
    listed = set(re.findall(r'data-choice="([^"]+)"', page.text))
    assert listed == {TEE, GLASSES, CAP, OTHERS_TEE}  # not the milk tea nor the book
    assert re.search(rf'value="{GLASSES}"[^>]*checked', page.text)
    assert 'capture="user"' in page.text
    assert 'accept="image/*"' in page.text
    assert f'src="/pictures/{TEE}.png?v=g1-t-shirt-' in page.text
    assert 'alt="Navy Picture Tee"' in page.text


def test_a_try_on_without_the_csrf_token_is_refused(shop: tuple[TestClient, WebServices]) -> None:
    client, _ = shop
    answer = client.post(
        "/tryon", data={"product": TEE}, files={"photo": ("me.png", encoded(), "image/png")}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("photo", "product", "key"),
    [
        (SVG_WITH_SCRIPT, TEE, "tryon.error.picture-unreadable"),
        (b"not a picture at all", TEE, "tryon.error.picture-unreadable"),
        (encoded("PNG", (20, 20)), TEE, "tryon.error.picture-too-small"),
        (b"\x89PNG" + b"\x00" * (12 * 1024 * 1024 + 10), TEE, "tryon.error.picture-too-large"),
        (b"", TEE, "tryon.error.no-photo"),
        (encoded(), TEA, "tryon.error.no-product"),  # drawn, but not a try-on product
        (encoded(), "p_no_such", "tryon.error.no-product"),
    ],
    ids=["svg", "text", "small", "large", "empty", "not-tryable", "unknown"],
)
def test_a_bad_upload_gets_its_message_in_both_languages(
    shop: tuple[TestClient, WebServices], photo: bytes, product: str, key: str
) -> None:
    client, _ = shop
    english = _try_on(client, photo, product)
    assert english.status_code == 422  # type: ignore[attr-defined]
    assert f'data-tryon-error="{key}"' in english.text  # type: ignore[attr-defined]
    assert MESSAGES["en"][key] in english.text  # type: ignore[attr-defined]
    chinese = _try_on(client, photo, product, ZH)
    assert chinese.status_code == 422  # type: ignore[attr-defined]
    assert MESSAGES["zh"][key] in chinese.text  # type: ignore[attr-defined]


def test_a_photo_without_a_person_is_told_so(shop: tuple[TestClient, WebServices]) -> None:
    pytest.importorskip("cv2")
    client, _ = shop
    answer = _try_on(client, encoded("JPEG", (400, 400), (90, 160, 90)))
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert 'data-tryon-error="tryon.error.no-person"' in answer.text  # type: ignore[attr-defined]


def test_a_preview_comes_back_in_the_page_and_the_photo_is_not_kept(
    shop: tuple[TestClient, WebServices],
) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("skimage")
    from trustcart.tryon.samples import person_photo

    client, services = shop
    home = services.home
    before = {p for p in home.rglob("*") if p.is_file()}
    answer = _try_on(client, person_photo("astronaut"))
    assert answer.status_code == 200, answer.text[:500]  # type: ignore[attr-defined]
    assert 'id="preview" src="data:image/png;base64,' in answer.text  # type: ignore[attr-defined]
    assert MESSAGES["en"]["tryon.notice"] in answer.text  # type: ignore[attr-defined]
    assert answer.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    written = {p for p in home.rglob("*") if p.is_file()} - before
    # Only the generated T-shirt's cached drawing and the database's own files.
    assert {p.suffix for p in written} <= {".png", ".db", ".db-wal", ".db-shm", ".db-journal"}
    assert all(p.parent == services.home / "pictures" for p in written if p.suffix == ".png")


def test_pictures_are_served_here_and_a_product_without_one_has_the_placeholder(
    shop: tuple[TestClient, WebServices],
) -> None:
    client, services = shop
    picture = client.get(f"/pictures/{TEE}.png?v=whatever")
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert "immutable" in picture.headers["cache-control"]
    assert picture.content == client.get(f"/pictures/{TEE}.png").content  # deterministic
    assert list((services.home / "pictures").glob("g1-t-shirt-*.png"))  # cached on disk
    assert client.get(f"/pictures/{BOOK}.png").status_code == 404
    assert client.get("/pictures/p_no_such.png").status_code == 404


def _console(client: TestClient) -> str:
    return log_in(client, PASSWORD)


def _upload(
    client: TestClient, token: str, product: str, data: bytes, merchant: str = ""
) -> object:
    merchant = merchant or "m_picture_shop"
    return client.post(
        f"/console/merchants/{merchant}/products/{product}/picture",
        data={"csrf_token": token},
        files={"picture": ("p.png", data, "image/png")},
        follow_redirects=False,
    )


def test_the_console_lists_pictures_and_placeholders(shop: tuple[TestClient, WebServices]) -> None:
    client, _ = shop
    _console(client)
    page = client.get("/console/merchants/m_picture_shop/products").text
    assert f'src="/pictures/{TEA}.png?v=g1-cup-' in page
    assert 'alt="Picture Book (No picture)"' in page
    assert 'data-picture="placeholder"' in page


def test_a_merchant_uploads_a_picture_and_it_is_what_shoppers_get(
    shop: tuple[TestClient, WebServices],
) -> None:
    client, services = shop
    token = _console(client)
    upload = encoded("JPEG", (320, 240), (20, 120, 220))
    answer = _upload(client, token, CAP, upload)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    with services.db.transaction() as session:
        row = session.get(ProductPictureRow, CAP)
        assert row is not None
        stored, sha = row.data, row.sha256
    assert stored != upload
    assert stored.startswith(b"\x89PNG")
    served = client.get(f"/pictures/{CAP}.png")
    assert served.content == stored
    page = client.get("/console/merchants/m_picture_shop/products").text
    assert f'src="/pictures/{CAP}.png?v=u{sha[:16]}"' in page
    saved = client.get(f"/console/merchants/m_picture_shop/products/{CAP}/picture?saved=1")
    assert "data-picture-saved" in saved.text


def test_a_bad_picture_upload_is_refused_with_its_reason(
    shop: tuple[TestClient, WebServices],
) -> None:
    client, services = shop
    token = _console(client)
    answer = _upload(client, token, TEE, SVG_WITH_SCRIPT)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert MESSAGES["en"]["picture.error.picture-unreadable"] in answer.text  # type: ignore[attr-defined]
    with services.db.transaction() as session:
        assert session.get(ProductPictureRow, TEE) is None


def test_a_merchant_cannot_set_another_merchants_picture_nor_without_login(
    shop: tuple[TestClient, WebServices],
) -> None:
    client, services = shop
    with TestClient(client.app, base_url=BASE) as stranger:  # a session that never logged in
        token = csrf_token(stranger, "/tryon")
        refused = _upload(stranger, token, TEE, encoded())
        assert refused.status_code == 403  # type: ignore[attr-defined]
    token = _console(client)
    refused = _upload(client, token, OTHERS_TEE, encoded())  # listed by m_other_shop
    assert refused.status_code == 404  # type: ignore[attr-defined]
    with services.db.transaction() as session:
        assert session.get(ProductPictureRow, OTHERS_TEE) is None
