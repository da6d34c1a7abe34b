"""Platform profiles fetched from a real loopback server: cache, timeout, failures, URL rules."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.ucp_platform import platform_server
from trustcart.commerce.ucp.errors import UcpCode, UcpError
from trustcart.commerce.ucp.platforms import (
    HttpProfileFetcher,
    PlatformDirectory,
    check_profile_url,
)


class Clock:
    def __init__(self) -> None:
        self.instant = datetime(2026, 12, 2, 8, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.instant


def _refused(directory: PlatformDirectory, url: str) -> UcpError:
    with pytest.raises(UcpError) as refused:
        directory.profile(url)
    return refused.value


def test_profile_is_fetched_once_and_cached_for_its_ttl() -> None:
    clock = Clock()
    with platform_server() as platform:
        directory = PlatformDirectory(HttpProfileFetcher(), clock)
        profile = directory.profile(platform.url)
        assert profile.signing_keys[platform.kid] == platform.key.public
        directory.profile(platform.url)
        assert platform.hits == 1
        clock.instant += timedelta(seconds=61)
        directory.profile(platform.url)
        assert platform.hits == 2
        directory.profile(platform.url, refresh=True)  # at most once per 60 s
        assert platform.hits == 2


def test_a_stalled_profile_is_a_bounded_424_and_the_failure_is_cached() -> None:
    clock = Clock()
    with platform_server() as platform:
        platform.delay = 3.0
        directory = PlatformDirectory(HttpProfileFetcher(), clock, timeout=0.5)
        started = time.monotonic()
        error = _refused(directory, platform.url)
        assert time.monotonic() - started < 2.0  # never a hang
        assert (error.code, error.status) == (UcpCode.PROFILE_UNREACHABLE, 424)
        platform.delay = 0.0
        started = time.monotonic()
        assert _refused(directory, platform.url).code is UcpCode.PROFILE_UNREACHABLE
        assert time.monotonic() - started < 0.1  # served from the failure cache
        clock.instant += timedelta(seconds=61)
        assert directory.profile(platform.url).version


def test_closed_port_redirect_error_status_and_malformed_profiles_are_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/.well-known/ucp"
    directory = PlatformDirectory(HttpProfileFetcher(), Clock())
    assert _refused(directory, closed).code is UcpCode.PROFILE_UNREACHABLE
    with platform_server() as platform:
        platform.status, platform.extra_headers = 302, {"Location": "https://elsewhere.example/"}
        assert _refused(directory, platform.url).status == 424  # no redirects followed
    with platform_server() as platform:
        platform.status = 500
        assert _refused(directory, platform.url).code is UcpCode.PROFILE_UNREACHABLE
    with platform_server() as platform:
        platform.document = {"ucp": {"version": "draft"}}
        error = _refused(directory, platform.url)
        assert (error.code, error.status) == (UcpCode.PROFILE_MALFORMED, 422)
    with platform_server() as platform:
        platform.document["signing_keys"] = [{"kty": "EC", "crv": "P-256", "x": "bad"}]
        assert _refused(directory, platform.url).code is UcpCode.PROFILE_MALFORMED


def test_keys_of_other_types_are_only_remembered_by_kid() -> None:
    with platform_server() as platform:
        platform.document["signing_keys"].append(
            {
                "kid": "ed",
                "kty": "OKP",
                "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            }
        )
        profile = PlatformDirectory(HttpProfileFetcher(), Clock()).profile(platform.url)
        assert set(profile.signing_keys) == {platform.kid}
        assert profile.other_kids == {"ed"}


@pytest.mark.parametrize(
    "url",
    ["http://platform.example/.well-known/ucp", "ftp://127.0.0.1/x", "https:///nohost"],
)
def test_profile_urls_must_be_https_except_on_loopback(url: str) -> None:
    with pytest.raises(UcpError) as refused:
        check_profile_url(url)
    assert (refused.value.code, refused.value.status) == (UcpCode.INVALID_PROFILE_URL, 400)
    check_profile_url("http://127.0.0.1:9/.well-known/ucp")
    check_profile_url("http://[::1]:9/.well-known/ucp")


def test_cache_is_bounded() -> None:
    with platform_server() as platform:
        directory = PlatformDirectory(HttpProfileFetcher(), Clock(), max_entries=2)
        for n in range(3):
            directory.profile(f"{platform.url}?n={n}")
        directory.profile(f"{platform.url}?n=0")  # evicted: fetched again
        assert platform.hits == 4
