"""The one HTTP layer every API source uses: polite, patient, bounded, and testable.

Built on a :class:`requests.Session` with urllib3's :class:`~urllib3.util.Retry` (no hand-rolled
retry loop):

* connect and read timeouts on every request (:data:`DEFAULT_TIMEOUT`);
* GETs only are retried, on 429/500/502/503/504, connection errors and read timeouts, with capped
  exponential backoff plus jitter (a host name that does not resolve or a refused connection
  fails at once: no answer comes by waiting); a ``Retry-After`` header (seconds or an HTTP date, RFC 9110
  section 10.2.3) is honoured up to :attr:`RetryPolicy.retry_after_max`;
* after the last try, a :class:`~kg.errors.SourceError` naming the URL and the status or failure;
* a ``User-Agent`` naming kg, its version and a contact address (``mailto``), as the Crossref and
  OpenAlex etiquette asks (https://api.crossref.org/swagger-ui/index.html "Etiquette",
  https://docs.openalex.org/how-to-use-the-api/rate-limits-and-authentication);
* redirects are followed only within the same scheme (never https -> http) and at most
  ``max_redirects`` times;
* an optional on-disk response cache, so a repeated import does not hit the API again;
* the sleep, clock and random source are injectable, so tests assert every wait without waiting.

Each source owns one :class:`HttpClient`; its :class:`HttpStats` count requests, retries, cache
hits and bytes for the import summary.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random as _random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry

from kg import limits
from kg.errors import DataError, SourceError

__all__ = [
    "API_ENV",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "HttpClient",
    "HttpError",
    "HttpResponse",
    "HttpStats",
    "RetryPolicy",
    "Wait",
    "api_base",
    "user_agent",
]

#: (connect, read) timeouts in seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
#: The largest response body kg reads (bytes); an OpenAlex page of 200 works is about 1-3 MB.
DEFAULT_MAX_BYTES = 100_000_000
#: Environment variables that move an API (mirror, proxy, test server) and their defaults.
API_ENV: dict[str, tuple[str, str]] = {
    "orcid": ("KG_ORCID_API", "https://pub.orcid.org/v3.0"),
    "openalex": ("KG_OPENALEX_API", "https://api.openalex.org"),
    "crossref": ("KG_CROSSREF_API", "https://api.crossref.org"),
    "dblp": ("KG_DBLP_API", "https://dblp.org"),
}
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def api_base(api: str) -> str:
    """The base URL of ``api`` (orcid, openalex, crossref, dblp): its env variable or the default.

    >>> api_base("crossref") if "KG_CROSSREF_API" not in os.environ else "https://api.crossref.org"
    'https://api.crossref.org'
    """
    env, default = API_ENV[api]
    base = os.environ.get(env, "").strip() or default
    if urlsplit(base).scheme not in {"http", "https"}:
        raise SourceError(f"{env}={base!r}: expected an http(s) URL")
    return base.rstrip("/")


def user_agent(mailto: str | None = None) -> str:
    """The User-Agent kg sends: its name, version and, when given, a contact address.

    >>> agent = user_agent("data@example.org")
    >>> agent.startswith("kg/") and agent.endswith("(+mailto:data@example.org)")
    True
    """
    from kg.version import __version__

    base = f"kg/{__version__} requests/{requests.__version__}"
    return f"{base} (+mailto:{mailto})" if mailto else base


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How patient to be. Backoff before retry *n* (1-based) is ``backoff_factor * 2**(n-1)``, at
    most ``backoff_max``, plus up to ``jitter`` seconds; a ``Retry-After`` wait is used instead when
    the server sends one, but never longer than ``retry_after_max``."""

    attempts: int = 5  #: tries in all, the first included
    backoff_factor: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 1.0
    retry_after_max: float = 120.0
    statuses: frozenset[int] = _RETRY_STATUSES


@dataclass(frozen=True)
class Wait:
    """One pause between tries: how long and why (``retry-after`` or ``backoff``)."""

    seconds: float
    reason: str


@dataclass
class HttpStats:
    """Counters of one client. ``requests`` are GETs sent to the network (a retry is not a new
    request: it is counted in ``retries``); ``cache_hits`` were answered from the cache."""

    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    bytes: int = 0
    waits: list[Wait] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """The integer counters, for a source's ``stats``."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "cache_hits": self.cache_hits,
            "bytes": self.bytes,
        }


@dataclass(frozen=True)
class HttpResponse:
    """A successful (2xx) response, read in full."""

    url: str
    status: int
    content_type: str
    body: bytes
    from_cache: bool = False

    def text(self) -> str:
        """The body decoded as UTF-8 (every API kg reads serves UTF-8); DataError otherwise."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{self.url}: response is not UTF-8 ({exc.reason})") from None


class HttpError(SourceError):
    """A non-2xx answer after every allowed try. Sources turn 404 and 400 into their own words."""

    def __init__(self, message: str, *, url: str, status: int, body: bytes) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body

    def api_message(self) -> str | None:
        """The API's own explanation, from a JSON error body (``message``, ``developer-message``,
        ``error``) or a short plain-text body."""
        text = self.body.decode("utf-8", "replace").strip()
        try:
            data = json.loads(text)
        except ValueError:
            return text[:300] if text and "<" not in text[:1] else None
        if isinstance(data, dict):
            for name in ("message", "developer-message", "user-message", "error"):
                value = data.get(name)
                if isinstance(value, str) and value.strip():
                    return value.strip()[:500]
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    inner = value[0].get("message")
                    if isinstance(inner, str):
                        return inner[:500]
        return None


class _Hooks:
    """What a retry may call and record: shared by every copy urllib3 makes of the Retry."""

    def __init__(
        self,
        stats: HttpStats,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rand: Callable[[], float],
    ) -> None:
        self.stats = stats
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.rand = rand


class _KgRetry(Retry):
    """urllib3's Retry with kg's backoff (the first retry waits too), an injectable sleep and clock,
    and every retry and wait recorded in the client's stats."""

    hooks: _Hooks | None = None

    def new(self, **kw: Any) -> _KgRetry:
        other = super().new(**kw)
        other.hooks = self.hooks
        return other

    def increment(self, *args: Any, **kwargs: Any) -> _KgRetry:
        error = kwargs.get("error", args[3] if len(args) > 3 else None)
        if _unreachable(error):  # no answer will come by waiting: fail at once, in one line
            url = kwargs.get("url", args[1] if len(args) > 1 else None)
            raise MaxRetryError(kwargs.get("_pool"), url, error)  # type: ignore[arg-type]
        other = super().increment(*args, **kwargs)  # raises MaxRetryError when exhausted
        if self.hooks is not None:
            self.hooks.stats.retries += 1
        return other

    def get_backoff_time(self) -> float:
        hooks = self.hooks
        errors = 0
        for entry in reversed(self.history):
            if entry.redirect_location is not None:
                break
            errors += 1
        if errors == 0 or hooks is None:
            return 0.0
        base = min(self.backoff_max, self.backoff_factor * 2 ** (errors - 1))
        return float(base + hooks.rand() * hooks.policy.jitter)

    def parse_retry_after(self, retry_after: str) -> float:
        if re.fullmatch(r"\s*[0-9]+\s*", retry_after):
            seconds = float(int(retry_after))
        else:
            parsed = email.utils.parsedate_tz(retry_after)
            if parsed is None:  # unreadable header: fall back to the backoff
                return 0.0
            now = self.hooks.clock() if self.hooks else time.time()
            seconds = email.utils.mktime_tz(parsed) - now
        return float(min(max(seconds, 0.0), self.retry_after_max))

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        value = response.headers.get("Retry-After")
        return None if value is None else self.parse_retry_after(value)

    def sleep_for_retry(self, response: BaseHTTPResponse) -> bool:
        seconds = self.get_retry_after(response)
        if seconds is None or seconds <= 0:
            return False
        self._pause(seconds, "retry-after")
        return True

    def _sleep_backoff(self) -> None:
        seconds = self.get_backoff_time()
        if seconds > 0:
            self._pause(seconds, "backoff")

    def _pause(self, seconds: float, reason: str) -> None:
        if self.hooks is None:  # pragma: no cover - kg always sets hooks
            time.sleep(seconds)
            return
        self.hooks.stats.waits.append(Wait(seconds, reason))
        self.hooks.sleep(seconds)


class _Session(requests.Session):
    """A session that refuses to follow a redirect to another scheme (https -> http or file:)."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None:
            absolute = urljoin(resp.url, target)
            if urlsplit(absolute).scheme != urlsplit(resp.url).scheme:
                raise SourceError(f"{resp.url}: refused a redirect to another scheme ({absolute})")
        return target


class HttpClient:
    """One source's HTTP client.

    ``source`` names the source in messages (``ORCID``, ``OpenAlex``...). ``secret_params`` are
    query parameters (an API key) that are sent but left out of cache keys and messages.

    >>> client = HttpClient("Example", mailto="data@example.org")
    >>> client.session.headers["User-Agent"].endswith("(+mailto:data@example.org)")
    True
    >>> client.stats.as_dict()
    {'requests': 0, 'retries': 0, 'cache_hits': 0, 'bytes': 0}
    """

    def __init__(
        self,
        source: str,
        *,
        mailto: str | None = None,
        cache_dir: Path | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        max_redirects: int = 5,
        max_bytes: int = DEFAULT_MAX_BYTES,
        secret_params: frozenset[str] = frozenset({"api_key"}),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = _random.random,
    ) -> None:
        self.source = source
        self.mailto = mailto
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.secret_params = secret_params
        self.max_bytes = max_bytes
        self.stats = HttpStats()
        retries = self.policy.attempts - 1
        retry = _KgRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=None,  # requests follows redirects itself (bounded by max_redirects)
            allowed_methods=frozenset({"GET"}),
            status_forcelist=self.policy.statuses,
            backoff_factor=self.policy.backoff_factor,
            backoff_max=self.policy.backoff_max,
            retry_after_max=int(self.policy.retry_after_max),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        retry.hooks = _Hooks(self.stats, self.policy, sleep, clock, rand)
        self.session = _Session()
        self.session.max_redirects = max_redirects
        self.session.headers["User-Agent"] = user_agent(mailto)
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    # -- public -----------------------------------------------------------------------------

    def get(
        self, url: str, *, params: Mapping[str, str] | None = None, accept: str | None = None
    ) -> HttpResponse:
        """GET ``url`` (with ``params``), from the cache when it holds the answer.

        Raises :class:`HttpError` for a non-2xx answer after every allowed try, and
        :class:`~kg.errors.SourceError` when the service cannot be reached, times out, redirects
        badly or cuts the body short.
        """
        full = self._full_url(url, params)
        shown = self._shown_url(full)
        cached = self._cache_read(full, accept)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        headers = {"Accept": accept} if accept else {}
        self.stats.requests += 1
        tries_before = self.stats.retries
        try:
            with self.session.get(full, headers=headers, timeout=self.timeout, stream=True) as resp:
                body = self._read_body(resp, shown)
        except SourceError:
            raise
        except requests.exceptions.TooManyRedirects:
            raise SourceError(
                f"{self.source}: too many redirects (more than {self.session.max_redirects}) "
                f"from {shown}"
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise SourceError(f"{self.source}: the response from {shown} was cut short") from None
        except requests.exceptions.RequestException as exc:
            tries = _plural(self.stats.retries - tries_before + 1, "try", "tries")
            root = _root_cause(exc)
            timed_out = isinstance(exc, requests.exceptions.Timeout) or isinstance(
                root, (Urllib3Timeout, TimeoutError)
            )
            if timed_out and not isinstance(root, NewConnectionError):  # a subclass, for history
                raise SourceError(
                    f"{self.source}: {shown} timed out after {tries} "
                    f"(connect {self.timeout[0]:g} s, read {self.timeout[1]:g} s)"
                ) from None
            raise SourceError(
                f"{self.source}: cannot reach {urlsplit(full).netloc} "
                f"({_reason(root)}) after {tries}: {shown}"
            ) from None
        self.stats.bytes += len(body)
        final = self._shown_url(resp.url)
        if not 200 <= resp.status_code < 300:
            attempts = self.stats.retries - tries_before + 1
            status = f"HTTP {resp.status_code} {resp.reason or ''}".rstrip()
            raise HttpError(
                f"{self.source}: {final} answered {status}"
                + (f" after {attempts} tries" if attempts > 1 else ""),
                url=final,
                status=resp.status_code,
                body=body,
            )
        result = HttpResponse(
            url=final,
            status=resp.status_code,
            content_type=resp.headers.get("Content-Type", ""),
            body=body,
        )
        self._cache_write(full, accept, result)
        return result

    def get_json(
        self, url: str, *, params: Mapping[str, str] | None = None, accept: str = "application/json"
    ) -> Any:
        """GET and parse JSON; a body that is not JSON is a DataError naming the source and URL,
        one over ``KG_MAX_RESPONSE_BYTES`` or nested deeper than ``KG_MAX_JSON_DEPTH`` a
        :class:`~kg.errors.LimitError` (checked before parsing: CPython's ``json`` raises
        ``RecursionError`` on a deep nest)."""
        resp = self.get(url, params=params, accept=accept)
        limits.check_size(len(resp.body), where=resp.url, limit="max_response_bytes")
        text = resp.text()
        limits.check_json_depth(text, where=resp.url)
        try:
            return json.loads(text)
        except ValueError as exc:
            if resp.from_cache:
                self._cache_drop(self._full_url(url, params), accept)
            raise DataError(
                f"{self.source}: {resp.url} did not return valid JSON ({exc})"
            ) from None

    # -- helpers ----------------------------------------------------------------------------

    def _read_body(self, resp: requests.Response, shown: str) -> bytes:
        """The whole body, refusing one larger than ``max_bytes`` (a runaway or wrong endpoint)."""
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > self.max_bytes:
                raise SourceError(
                    f"{self.source}: the response from {shown} is larger than "
                    f"{self.max_bytes // 1_000_000} MB; stopped reading"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _full_url(self, url: str, params: Mapping[str, str] | None) -> str:
        if not params:
            return url
        return url + ("&" if "?" in url else "?") + urlencode(list(params.items()))

    def _shown_url(self, url: str) -> str:
        """The URL with secret parameters masked, for messages and cache keys."""
        if not self.secret_params or "?" not in url:
            return url
        for name in self.secret_params:
            url = re.sub(rf"([?&]{re.escape(name)}=)[^&]*", r"\1***", url)
        return url

    def _cache_path(self, full: str, accept: str | None) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(f"GET {self._shown_url(full)}\n{accept or ''}".encode()).hexdigest()
        return self.cache_dir / digest[:2] / digest

    def _cache_read(self, full: str, accept: str | None) -> HttpResponse | None:
        path = self._cache_path(full, accept)
        if path is None:
            return None
        try:
            meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
            body = path.with_suffix(".body").read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("length") != len(body):
            return None
        return HttpResponse(
            url=str(meta.get("url", full)),
            status=int(meta.get("status", 200)),
            content_type=str(meta.get("content_type", "")),
            body=body,
            from_cache=True,
        )

    def _cache_write(self, full: str, accept: str | None, resp: HttpResponse) -> None:
        path = self._cache_path(full, accept)
        if path is None:
            return
        meta = {
            "url": resp.url,
            "status": resp.status,
            "content_type": resp.content_type,
            "length": len(resp.body),
            "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix, data in ((".body", resp.body), (".json", json.dumps(meta).encode())):
                tmp = path.with_suffix(suffix + f".tmp{os.getpid()}")
                tmp.write_bytes(data)
                os.replace(tmp, path.with_suffix(suffix))
        except OSError as exc:
            raise SourceError(f"cannot write the HTTP cache {self.cache_dir}: {exc}") from None

    def _cache_drop(self, full: str, accept: str | None) -> None:
        path = self._cache_path(full, accept)
        if path is not None:
            for suffix in (".json", ".body"):
                path.with_suffix(suffix).unlink(missing_ok=True)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _unreachable(error: BaseException | None) -> bool:
    """True for a host name that does not resolve (DNS) or a connection the host refused:
    retrying those only delays the same answer (a timeout or a reset is worth a retry).

    >>> _unreachable(NewConnectionError(None, "[Errno 111] Connection refused"))
    True
    >>> _unreachable(None)
    False
    """
    if not isinstance(error, NewConnectionError):
        return False
    if isinstance(error, NameResolutionError):
        return True
    text = str(error)
    return "Connection refused" in text or "Name or service not known" in text


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost cause inside requests' wrappers (ConnectionError -> MaxRetryError -> ...)."""
    inner: BaseException = exc
    for _ in range(6):
        arg = inner.args[0] if inner.args else None
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            inner = arg.reason
        elif isinstance(inner, MaxRetryError) and inner.reason is not None:
            inner = inner.reason
        elif isinstance(arg, BaseException):
            inner = arg
        else:
            break
    return inner


def _reason(exc: BaseException) -> str:
    """A one-line reason for a failure to connect ("Connection refused", "Name or service...")."""
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] ([^')\]]+)", text)
    if m:
        return m.group(1).strip()
    return text.split(": ", 1)[-1][:200] or type(exc).__name__
