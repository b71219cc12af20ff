"""kg.http against a real HTTP server on 127.0.0.1 with injected faults.

Every wait goes through an injected sleep (:class:`apis_conftest.Sleeper`), so the tests assert the
exact number of tries and the waits without waiting; only the read-timeout tests spend real time
(a 0.2 s read timeout).
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kg.errors import DataError, SourceError
from kg.http import HttpClient, HttpError, RetryPolicy, api_base, user_agent
from tests.apis_conftest import Sleeper, local_server, no_foreign_sockets, sleeper

# The fixtures are imported for pytest to find; naming them here marks them as used.
FIXTURES = (local_server, no_foreign_sockets, sleeper)

FIXED_RAND = 0.5  # the injected jitter draw: jitter * 0.5


def client(sleeper: Sleeper, **kw: Any) -> HttpClient:
    return HttpClient("Test API", sleep=sleeper, rand=lambda: FIXED_RAND, **kw)


def test_429_with_retry_after_seconds_waits_as_asked(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    local_server.expect_ordered_request("/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3"}
    )
    local_server.expect_ordered_request("/x").respond_with_json({"ok": True})
    http = client(sleeper)
    assert http.get_json(local_server.url_for("/x")) == {"ok": True}
    assert len(local_server.log) == 2
    assert sleeper.waits == [3.0]
    assert [w.reason for w in http.stats.waits] == ["retry-after"]
    assert http.stats.as_dict() | {"bytes": 0} == {
        "requests": 1,
        "retries": 1,
        "cache_hits": 0,
        "bytes": 0,
    }


def test_retry_after_http_date_uses_the_injected_clock(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    now = 1_800_000_000.0
    when = email.utils.formatdate(now + 7, usegmt=True)
    local_server.expect_ordered_request("/d").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    local_server.expect_ordered_request("/d").respond_with_data("fine")
    http = client(sleeper, clock=lambda: now)
    assert http.get(local_server.url_for("/d")).body == b"fine"
    assert sleeper.waits == [7.0]


def test_retry_after_is_capped(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_ordered_request("/c").respond_with_data(
        "", status=429, headers={"Retry-After": "86400"}
    )
    local_server.expect_ordered_request("/c").respond_with_data("fine")
    http = client(sleeper, policy=RetryPolicy(retry_after_max=90))
    http.get(local_server.url_for("/c"))
    assert sleeper.waits == [90.0]


def test_503_then_success_backs_off_with_jitter(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_ordered_request("/s").respond_with_data("busy", status=503)
    local_server.expect_ordered_request("/s").respond_with_data("busy", status=503)
    local_server.expect_ordered_request("/s").respond_with_json([1, 2])
    http = client(sleeper, policy=RetryPolicy(backoff_factor=1.0, jitter=1.0))
    assert http.get_json(local_server.url_for("/s")) == [1, 2]
    assert len(local_server.log) == 3
    # retry n waits factor * 2**(n-1) + jitter * rand
    assert sleeper.waits == [1.5, 2.5]
    assert http.stats.retries == 2 and http.stats.requests == 1


def test_persistent_503_fails_after_the_last_try_naming_url_and_status(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    local_server.expect_request("/down").respond_with_data("busy", status=503)
    http = client(sleeper, policy=RetryPolicy(attempts=4, backoff_max=3.0, jitter=0.0))
    url = local_server.url_for("/down")
    with pytest.raises(HttpError) as info:
        http.get(url)
    assert len(local_server.log) == 4
    assert sleeper.waits == [1.0, 2.0, 3.0]  # capped at backoff_max
    assert info.value.status == 503
    assert str(info.value) == f"Test API: {url} answered HTTP 503 SERVICE UNAVAILABLE after 4 tries"


def test_404_is_not_retried_and_keeps_the_api_message(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    local_server.expect_request("/missing").respond_with_json(
        {"error": "Not found", "message": "no such thing"}, status=404
    )
    http = client(sleeper)
    with pytest.raises(HttpError) as info:
        http.get(local_server.url_for("/missing"))
    assert len(local_server.log) == 1 and sleeper.waits == []
    assert info.value.api_message() == "no such thing"


class SlowThenFast:
    """A handler that answers late (seconds from ``delays``) and counts its calls; the server logs
    a timed-out request only when its late answer is written, so the tests count calls here."""

    def __init__(self, delays: list[float]) -> None:
        self.delays = delays
        self.calls = 0
        self.finished = threading.Semaphore(0)

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        time.sleep(self.delays.pop(0) if self.delays else 0.0)
        self.finished.release()
        return Response('{"late": true}', content_type="application/json")

    def wait_for_late_answers(self) -> None:
        """Let the abandoned slow answers finish, so they do not land in the next test's log."""
        for _ in range(self.calls):
            assert self.finished.acquire(timeout=5)
        time.sleep(0.05)


def test_read_timeout_is_retried(local_server: HTTPServer, sleeper: Sleeper) -> None:
    handler = SlowThenFast([0.6])
    local_server.expect_request("/t").respond_with_handler(handler)
    http = client(sleeper, timeout=(2.0, 0.2), policy=RetryPolicy(jitter=0.0))
    assert http.get_json(local_server.url_for("/t")) == {"late": True}
    handler.wait_for_late_answers()
    assert handler.calls == 2
    assert sleeper.waits == [1.0]
    assert http.stats.retries == 1


def test_read_timeout_on_every_try_is_a_clear_error(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    handler = SlowThenFast([0.5, 0.5])
    local_server.expect_request("/t").respond_with_handler(handler)
    http = client(sleeper, timeout=(2.0, 0.2), policy=RetryPolicy(attempts=2, jitter=0.0))
    with pytest.raises(SourceError, match=r"timed out after 2 tries \(connect 2 s, read 0.2 s\)"):
        http.get(local_server.url_for("/t"))
    handler.wait_for_late_answers()
    assert handler.calls == 2
    assert sleeper.waits == [1.0]


def test_truncated_body_is_a_source_error(local_server: HTTPServer, sleeper: Sleeper) -> None:
    def handler(request: Request) -> Response:
        resp = Response(b'{"results": [1, 2', content_type="application/json")
        resp.headers["Content-Length"] = "5000"  # promise more than is sent
        return resp

    local_server.expect_request("/cut").respond_with_handler(handler)
    http = client(sleeper)
    with pytest.raises(SourceError, match=r"Test API: the response from .*/cut was cut short"):
        http.get_json(local_server.url_for("/cut"))


def test_an_oversized_body_is_refused(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_request("/big").respond_with_data(b"x" * 3_000_001)
    http = client(sleeper, max_bytes=2_000_000)
    with pytest.raises(SourceError, match=r"/big is larger than 2 MB; stopped reading$"):
        http.get(local_server.url_for("/big"))


def test_invalid_json_is_a_data_error_naming_source_and_url(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    local_server.expect_request("/bad").respond_with_data("<html>oops</html>")
    http = client(sleeper)
    url = local_server.url_for("/bad")
    with pytest.raises(DataError, match=rf"^Test API: {url} did not return valid JSON"):
        http.get_json(url)


def test_redirect_loop_is_bounded(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    local_server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    http = client(sleeper, max_redirects=4)
    with pytest.raises(SourceError, match=r"too many redirects \(more than 4\) from .*/a$"):
        http.get(local_server.url_for("/a"))
    assert [req.path for req, _ in local_server.log] == ["/a", "/b", "/a", "/b", "/a"]
    assert sleeper.waits == []


def test_redirect_to_another_scheme_is_refused(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_request("/r").respond_with_data(
        "", status=301, headers={"Location": "https://127.0.0.1:1/elsewhere"}
    )
    http = client(sleeper)
    with pytest.raises(SourceError, match=r"refused a redirect to another scheme"):
        http.get(local_server.url_for("/r"))
    assert len(local_server.log) == 1


def test_same_scheme_redirect_is_followed(local_server: HTTPServer, sleeper: Sleeper) -> None:
    local_server.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    local_server.expect_request("/new").respond_with_data("here")
    resp = client(sleeper).get(local_server.url_for("/old"))
    assert resp.body == b"here" and resp.url.endswith("/new")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_fails_at_once(sleeper: Sleeper) -> None:
    """Connection refused (nothing listens) or a host name that does not resolve: no answer comes
    by waiting, so no retry and no backoff, one clear line."""
    url = f"http://127.0.0.1:{_closed_port()}/x"
    http = client(sleeper, policy=RetryPolicy(attempts=3, jitter=0.0))
    with pytest.raises(SourceError) as info:
        http.get(url)
    message = str(info.value)
    assert message.startswith("Test API: cannot reach 127.0.0.1:")
    assert "(Connection refused) after 1 try" in message and message.endswith(url)
    assert sleeper.waits == []
    assert http.stats.retries == 0


def test_cache_answers_a_repeated_get_and_hides_the_api_key(
    local_server: HTTPServer, sleeper: Sleeper, tmp_path: Path
) -> None:
    local_server.expect_request("/c").respond_with_json({"n": 1})
    first = client(sleeper, cache_dir=tmp_path)
    url = local_server.url_for("/c")
    assert first.get_json(url, params={"api_key": "SECRET", "q": "1"}) == {"n": 1}
    second = client(sleeper, cache_dir=tmp_path)
    assert second.get_json(url, params={"api_key": "OTHER", "q": "1"}) == {"n": 1}
    assert len(local_server.log) == 1
    assert second.stats.as_dict() == {"requests": 0, "retries": 0, "cache_hits": 1, "bytes": 0}
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*.json"))
    assert b"SECRET" not in stored and b"api_key=***" in stored


def test_error_answers_are_not_cached(
    local_server: HTTPServer, sleeper: Sleeper, tmp_path: Path
) -> None:
    local_server.expect_request("/e").respond_with_data("no", status=404)
    for _ in range(2):
        with pytest.raises(HttpError):
            client(sleeper, cache_dir=tmp_path).get(local_server.url_for("/e"))
    assert len(local_server.log) == 2


def test_user_agent_names_kg_version_and_contact(
    local_server: HTTPServer, sleeper: Sleeper
) -> None:
    local_server.expect_request("/ua").respond_with_data("ok")
    client(sleeper, mailto="data@example.org").get(local_server.url_for("/ua"))
    sent = local_server.log[0][0].headers["User-Agent"]
    assert sent == user_agent("data@example.org")
    assert sent.startswith("kg/0.") and sent.endswith("(+mailto:data@example.org)")


def test_api_base_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KG_DBLP_API", raising=False)
    assert api_base("dblp") == "https://dblp.org"
    monkeypatch.setenv("KG_DBLP_API", "http://127.0.0.1:9/dblp/")
    assert api_base("dblp") == "http://127.0.0.1:9/dblp"
    monkeypatch.setenv("KG_DBLP_API", "ftp://mirror")
    with pytest.raises(SourceError, match="KG_DBLP_API"):
        api_base("dblp")


def test_guard_refuses_foreign_addresses() -> None:
    with pytest.raises(AssertionError, match=r"resolve 'example\.org'"):
        socket.getaddrinfo("example.org", 443)
    with socket.socket() as s, pytest.raises(AssertionError, match="connect to"):
        s.connect(("192.0.2.1", 80))
