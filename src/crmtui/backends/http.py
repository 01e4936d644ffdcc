"""Shared HTTP plumbing for every backend: timeouts, retries with backoff, Retry-After, paging.

A backend client owns one `ApiHttp` (one `httpx.AsyncClient`, so connections are reused) and gives
it a function that turns an error answer into a typed `BackendError`. `ApiHttp.send` retries what
is safe to retry:

- throttling (429, or whatever the backend maps to `RateLimited`) and refused connections are
  retried for every request: the server did not act on them;
- 5xx answers, timeouts and dropped connections are retried only for safe requests (reads: GET,
  HEAD, OPTIONS, or a request the caller declares `safe`), because the server may have acted on a
  write before failing. Whether repeating a write would be harmless is not the HTTP method's to
  say: the change that sends it knows (`Command.idempotent`), and its sender, the outbox, decides.
- inside `one_try()` (see `crmtui.backends.base`: the outbox's attempts) nothing is retried: the
  caller retries the whole of what it did, with its own backoff, asking the server first when an
  earlier attempt may have reached it.

Waits grow exponentially, each drawn between half and all of the backoff ("equal jitter", so never
near zero), honour Retry-After, and stop after `attempts` tries or `budget` seconds, whichever comes
first; then the last typed error is raised.

Whatever a server does, a request ends: every try has a total deadline (connecting, sending and
reading the whole body; a server trickling a byte a second resets httpx's read timeout forever), its
body is read up to `max_body` bytes, and every failure of the transport or the HTTP parser becomes a
typed error (`TooSlow`, `Offline`, `MalformedResponse`). An `unwrap` function can turn a success
answer into a value, or into an error (an API that answers errors with HTTP 200), under the same
retry rules. Paging helpers live in `crmtui.backends.paging` (re-exported here).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import math
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from crmtui.backends.address import check_address
from crmtui.backends.base import trying_once
from crmtui.backends.errors import (
    BackendError,
    Blocked,
    BudgetExhausted,
    MalformedResponse,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
    TooSlow,
)
from crmtui.backends.paging import (  # noqa: F401 - re-exported: the paging helpers of this layer
    PageLike,
    Pages,
    PagingLimits,
    ProgressCallback,
    fetch_all_pages,
    fetch_cursor_pages,
    fetch_offset_pages,
    last_page,
)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0)
DEFAULT_DEADLINE = 60.0
"""Seconds one try may take from start to the last byte of the body (waiting for a pool slot included)."""
MAX_BODY = 64 * 1024 * 1024
"""Bytes of an answer's body (after decompression) a client reads; a larger one is refused."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that only read (RFC 9110 §9.2.1): repeating such a request changes nothing on the server."""

ErrorMapper = Callable[[httpx.Response], BackendError]
Unwrap = Callable[[httpx.Response], Any]
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-token", "cookie", "proxy-authorization"})
"""Headers that carry a credential: never sent to another origin (a download's redirect)."""
NEVER_RETRIED: tuple[type[BackendError], ...] = (Blocked, BudgetExhausted)
"""Throttling that says until when: waiting out a backoff and sending again would only be refused again."""


class Governor(Protocol):
    """A pre-send rate governor (Pipedrive's): asked before each try, told each answer.

    `acquire` may wait (a full window) or raise a `BackendError` (a block, a spent budget) so that
    nothing is sent; it returns a ticket for `observe` (the answer came) or `forget` (it did not).
    """

    async def acquire(self, method: str, path: str) -> Any: ...
    def observe(self, response: httpx.Response, ticket: Any = None) -> None: ...
    def forget(self, ticket: Any, *, sent: bool = True) -> None: ...
@functools.cache
def protocol_errors() -> tuple[type[BaseException], ...]:
    """Parser errors httpx may let through unwrapped (it maps most to httpx.RemoteProtocolError).

    Imported when an exception is being matched, not at start: h11 is otherwise loaded with the first
    connection, and the first frame from the cache comes before any.
    """
    import h11

    return (h11.ProtocolError,)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `attempts` counts the first try."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 30.0
    """Seconds from the first try after which no further try starts (tries and waits together)."""

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            return max(retry_after, jittered) if retry_after > 0 else jittered
        return jittered


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def offline_error(exc: httpx.TransportError, url: str) -> Offline:
    """A typed error for a request that got no usable answer."""
    if isinstance(exc, httpx.TimeoutException):
        reason = "the server did not answer in time"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not connect"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        reason = "the connection dropped"
    else:
        reason = "network error"
    return Offline(f"Offline: {reason} ({_host(url)})")


def too_slow(deadline: float, url: str) -> TooSlow:
    return TooSlow(f"The server is too slow: no complete answer within {deadline:g} s ({_host(url)})")


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _exchange_errors() -> tuple[type[BaseException], ...]:
    """What httpx or its HTTP parser may raise about one exchange (matched last, after the typed cases)."""
    return (httpx.HTTPError, *protocol_errors())


def _never_sent(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server, so even a write may be repeated."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class _TooLarge(Exception):
    """An answer's body passed `max_body` while it was read."""


async def _read_body(response: httpx.Response, limit: int) -> None:
    """Read the (decoded) body into `response`, refusing more than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _TooLarge()
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what Response.aread() keeps; read with a cap instead


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """The TLS settings and certificate store, read once per process and shared by every client
    (httpx reads the CA bundle for each new client otherwise: about 30 ms, on every reconnect)."""
    return httpx.create_ssl_context()


class ApiHttp:
    """One configured `httpx.AsyncClient` with typed errors, retries and a deadline per try."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | tuple[str, str] | None,
        error_for: ErrorMapper,
        retry: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_body: int = MAX_BODY,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        allow_insecure_http: bool = False,
        governor: Governor | None = None,
    ) -> None:
        # Credentials go over https, or plain http to this machine only, however a backend sends
        # them (Basic auth, a token header, a query parameter): checked for every API client.
        check_address(base_url, allow_insecure_http=allow_insecure_http)
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self.server_offset: float | None = None
        """Seconds the server's clock is ahead of this machine's, by its last answer (None: no answer yet)."""
        self.deadline = deadline
        """Seconds one try may take in all (retries have their own budget in `retry`)."""
        self.max_body = max_body
        self._error_for = error_for
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.governor = governor
        """Asked before every try (it may wait, or refuse without sending), told every answer."""
        self._transport = transport
        self._timeout = timeout
        kwargs: dict[str, Any] = {"transport": transport} if transport is not None else {"verify": shared_tls()}
        self.client = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=auth,
            timeout=timeout,
            limits=DEFAULT_LIMITS,
            headers=headers,
            event_hooks=event_hooks,
            follow_redirects=False,
            **kwargs,
        )
        self.retries = 0
        """Retries done since the client was made (for tests and benchmarks)."""

    async def aclose(self) -> None:
        await self.client.aclose()

    def note_server_time(self, epoch: float) -> None:
        """The server's clock read `epoch` (UNIX seconds) just now: keep its offset from this machine's."""
        if 0 < epoch < 1e11:  # a sane moment (before the year 5138); anything else says nothing
            self.server_offset = epoch - time.time()

    def server_now(self) -> dt.datetime | None:
        """The server's clock now, as its answers tell it (None before the first answer).

        Independent of whether the two clocks agree: only the offset measured from the server's own
        answers is used, so a stamp the server puts on a record can be compared with it.
        """
        if self.server_offset is None:
            return None
        return dt.datetime.fromtimestamp(time.time() + self.server_offset, dt.timezone.utc)

    def _note_date(self, response: httpx.Response) -> None:
        """Every HTTP answer carries the server's clock in its Date header (RFC 9110), whatever the API."""
        value = response.headers.get("date")
        if not value:
            return
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        if when is not None:
            aware = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
            self.note_server_time(aware.timestamp() + 0.5)  # whole seconds: on average half a second behind

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        safe: bool | None = None,
        unwrap: Unwrap | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        redirects: bool = False,
    ) -> Any:
        """Send until a success answer, or raise the typed error of the last try.

        `safe`: the request changes nothing on the server (by default: its method is GET, HEAD or
        OPTIONS), so it is repeated after any passing failure; any other request is repeated only
        when the server certainly did not act on it. Inside `one_try()` it is tried once.
        Returns the response, or `unwrap(response)` when given; a `BackendError` that `unwrap`
        raises is handled like an error answer (retried when the rules allow).
        `data` is a form body (urlencoded, or with `files` multipart: name -> (filename, bytes,
        content type); bytes, not open files, so that a retry sends the same body). `redirects`: a
        3xx answer is returned as it is, never followed (`download` follows one hop safely).
        With a `governor`, each try waits for its leave; its refusals (`Blocked`, `BudgetExhausted`)
        are raised at once, never retried.
        """
        method = method.upper()
        if safe is None:
            safe = method in SAFE_METHODS
        attempts = 1 if trying_once() else self.retry.attempts
        url = path.lstrip("/")
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            ticket = await self.governor.acquire(method, url) if self.governor is not None else None
            error, cause, response = await self._try(method, url, params, json, data, files)
            if self.governor is not None:
                if response is not None:
                    self.governor.observe(response, ticket)
                else:
                    self.governor.forget(ticket, sent=cause is None or not _never_sent(cause))
            if response is not None:
                if redirects and response.is_redirect:
                    return response
                if response.is_success:
                    if unwrap is None:
                        return response
                    try:
                        answer = unwrap(response)
                        if answer is not response:
                            # Read: its body is let go now. httpx's response sits in a reference cycle
                            # (its stream and request), freed only by a pass of the collector, which is
                            # off while a large listing is read (service/heap.py): a cold sync of 8,000
                            # stream rows kept every page's body, some 20 MB, until the end.
                            response._content = b""
                        return answer
                    except BackendError as exc:
                        error = cause = exc
                    except Exception as exc:  # noqa: BLE001 - an answer nobody can use is a typed error
                        error, cause = MalformedResponse("The server's answer could not be read"), exc
                else:
                    error = cause = self._error_for(response)
            assert error is not None
            if isinstance(error, NEVER_RETRIED):
                retryable = False
            elif response is None:
                retryable = isinstance(error, Offline) and (safe or (cause is not None and _never_sent(cause)))
            elif isinstance(error, RateLimited):
                retry_after = error.retry_after
                retryable = True
            else:
                retryable = error.retryable and safe
            if not retryable or attempt >= attempts:
                raise error from (cause if cause is not error else None)
            wait = self.retry.delay(attempt, retry_after, self._rng)
            if time.monotonic() - started + wait > self.retry.budget:
                raise error from (cause if cause is not error else None)
            self.retries += 1
            await self._sleep(wait)

    async def download(self, path: str, *, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET a file's bytes: the API's answer, or, when it redirects (to a storage host), the
        answer of the address it names, asked once with no credential header at all (neither
        Authorization nor x-api-token: httpx would strip only the first) and followed no further."""
        response: httpx.Response = await self.send("GET", path, params=params, redirects=True)
        if not response.is_redirect:
            return response
        location = response.headers.get("location", "")
        try:
            target = response.url.join(location)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise MalformedResponse("The server's download redirects to an address that cannot be read") from None
        if target.scheme not in ("http", "https") or not target.host:
            raise MalformedResponse("The server's download redirects to an address that is not http(s)")
        headers = {k: v for k, v in self.client.headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        kwargs: dict[str, Any] = {"transport": self._transport} if self._transport is not None else {"verify": shared_tls()}
        async with httpx.AsyncClient(
            timeout=self._timeout, headers=headers, follow_redirects=False, trust_env=False, **kwargs
        ) as bare:
            error, cause, answer = await self._try("GET", str(target), None, None, client=bare)
        if answer is None:
            assert error is not None
            raise error from cause
        if answer.is_success:
            return answer
        where = f"the file's storage ({_host(str(target))})"
        if answer.is_redirect:
            raise MalformedResponse(f"The download redirects more than once ({where}); crmtui follows one")
        if answer.status_code == 404:
            raise NotFound(f"The file is not at {where}", status=404)
        if answer.status_code >= 500:
            raise ServerError(f"Server error {answer.status_code} at {where}; try again shortly", status=answer.status_code)
        raise BackendError(f"The download was refused by {where} ({answer.status_code})", status=answer.status_code)

    async def _try(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json: Any,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> tuple[BackendError | None, BaseException | None, httpx.Response | None]:
        """One try: (None, None, the answer with its body read) or (the typed error, its cause, None)."""
        client = client or self.client
        try:
            async with asyncio.timeout(self.deadline):
                request = client.build_request(method, url, params=params, json=json, data=data, files=files)
                response = await client.send(request, stream=True)
                try:
                    await _read_body(response, self.max_body)
                finally:
                    await response.aclose()
        except TimeoutError as exc:  # the deadline, not httpx's own timeouts (those are TransportErrors)
            return too_slow(self.deadline, self.base_url), exc, None
        except httpx.TransportError as exc:
            error = offline_error(exc, self.base_url)
            error.maybe_sent = not _never_sent(exc)
            return error, exc, None
        except httpx.DecodingError as exc:
            return MalformedResponse("The server's answer could not be decoded (bad compressed data)"), exc, None
        except _TooLarge as exc:
            size = f"{self.max_body / 1024 / 1024:g} MB"
            return MalformedResponse(f"The server's answer is larger than crmtui reads ({size})"), exc, None
        except _exchange_errors() as exc:
            # Anything else the client or its HTTP parser raises about this exchange: the answer is lost.
            return Offline(f"Offline: the connection failed ({_host(self.base_url)})"), exc, None
        self._note_date(response)
        return None, None, response

