"""The console's forms without a browser: onboarding (and its refusals), live import progress.

The import's runner is held on an event, so the test sees the job running (the fragment polls
itself every second) and then done (the polling stops and the counts are final).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers.web import MERCHANT_FORM, MERCHANT_ID
from tests.helpers.web_app import log_in, web_client
from trustcart.commerce.ingest import ImportIssue, ImportReport
from trustcart.web.services import WebServices

PASSWORD = "a console password"


@pytest.fixture
def console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, WebServices, str]]:
    monkeypatch.setenv("TRUSTCART_CONSOLE_PASSWORD", PASSWORD)
    with web_client(tmp_path) as (client, services):
        yield client, services, log_in(client, PASSWORD)


def _create(client: TestClient, token: str, **changes: str) -> object:
    form = {**MERCHANT_FORM, **changes, "csrf_token": token}
    return client.post("/console/merchants", data=form, follow_redirects=False)


def test_onboarding_creates_the_merchant_and_registers_its_key(
    console: tuple[TestClient, WebServices, str],
) -> None:
    client, services, token = console
    answer = _create(client, token, coupon_0_value="3", coupon_0_description="3 off")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == f"/console/merchants/{MERCHANT_ID}?created=1"  # type: ignore[attr-defined]
    page = client.get(f"/console/merchants/{MERCHANT_ID}?created=1").text
    key = services.deployment.merchant_keys[MERCHANT_ID]
    assert key.kid in page
    entry = services.deployment.directory.resolve(key.kid)
    assert entry is not None
    assert entry.role == "merchant"
    jwks = client.get(f"/console/merchants/{MERCHANT_ID}/jwks.json").json()
    assert [k["kid"] for k in jwks["keys"]] == [key.kid]
    assert "d" not in jwks["keys"][0]
    coupons = client.get(f"/console/merchants/{MERCHANT_ID}/coupons").text
    assert "3 off" in coupons


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"lat": "123"}, "lat"),
        ({"categories": "Not a category"}, "category"),
        (
            {"coupon_0_value": "150", "coupon_0_kind": "percent", "coupon_0_description": "x"},
            "percent",
        ),
        ({"coupon_0_value": "5", "coupon_0_description": ""}, "description"),
    ],
)
def test_a_bad_form_is_shown_again_with_the_reason_and_creates_nothing(
    console: tuple[TestClient, WebServices, str], changes: dict[str, str], says: str
) -> None:
    client, services, token = console
    answer = _create(client, token, **changes)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert 'role="alert"' in text
    assert says in text.lower()
    assert 'value="Osmanthus Lane Tea"' in text  # what was typed is kept
    assert MERCHANT_ID not in services.deployment.merchant_keys


def test_import_progress_polls_while_running_and_stops_when_done(
    console: tuple[TestClient, WebServices, str],
) -> None:
    client, services, token = console
    assert _create(client, token).status_code == 303  # type: ignore[attr-defined]
    release = threading.Event()

    def held(
        path: Path, merchant_id: str, on_row: Callable[[int, ImportReport], None]
    ) -> ImportReport:
        report = ImportReport(inserted=1, issues=[ImportIssue(3, "bad <price>")])
        on_row(100, report)
        release.wait(10)
        return report

    services.jobs.run = held
    answer = client.post(
        f"/console/merchants/{MERCHANT_ID}/import",
        data={"csrf_token": token},
        files={"catalog": ("catalog.csv", b"product_id,title\n", "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    job_path = answer.headers["location"]
    running = ""
    for _ in range(100):
        running = client.get(f"{job_path}/progress").text
        if 'data-state="running"' in running:
            break
    assert 'hx-trigger="every 1s"' in running
    assert re.search(r'data-count="rows_read">100<', running)
    release.set()
    job_id = job_path.rsplit("/", 1)[1]
    services.jobs.wait(job_id)
    done = client.get(f"{job_path}/progress").text
    assert 'data-state="done"' in done
    assert "hx-trigger" not in done
    assert "bad &lt;price&gt;" in done  # a reason is text, never markup
    report = client.get(f"{job_path}/errors.csv")
    assert report.text == "line,reason\n3,bad <price>\n"
    assert report.headers["content-disposition"].startswith("attachment")


def test_an_upload_of_another_kind_is_refused(console: tuple[TestClient, WebServices, str]) -> None:
    client, _services, token = console
    assert _create(client, token).status_code == 303  # type: ignore[attr-defined]
    answer = client.post(
        f"/console/merchants/{MERCHANT_ID}/import",
        data={"csrf_token": token},
        files={"catalog": ("catalog.exe", b"MZ", "application/octet-stream")},
    )
    assert answer.status_code == 400
    assert "upload a" in answer.text
