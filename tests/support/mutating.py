"""A mutating HTTP proxy on loopback: forwards each request to a real server and rewrites the answer.

    proxy = MutatingProxy(sandbox.host, sandbox.port)
    await proxy.start()                      # proxy.base_url: the sandbox's API through the proxy
    proxy.plan = Plan(mutation, target=0)    # rewrite the first answer from now on
    ...
    await proxy.stop()

It speaks HTTP/1.1 over a plain asyncio socket server, so it can send what no well-behaved server
library would: a body cut short, a Content-Length that lies, a bad gzip stream, a broken status line,
a stalled or trickled answer. Every answer closes its connection (`Connection: close`), which keeps
one request per connection and makes "the n-th answer" well defined.

A mutation is a function `(Answer, rng) -> Answer`; `tests.support.mutations` has the JSON-level
and raw-level ones the fuzz test draws from.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx

from tests.support.waits import HANG_GUARD

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    mode: str = "normal"
    """normal | truncate (Content-Length says more than is sent) | stall | trickle | raw (body is the whole answer)."""
    length: int | None = None
    """Content-Length to announce (None: the body's length; -1: none at all)."""

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def with_header(self, name: str, value: str) -> Answer:
        kept = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        return replace(self, headers=[*kept, (name, value)])


Mutation = Callable[[Answer, random.Random], Answer]


@dataclass
class Plan:
    """Which answers (0-based, counted from when the plan was set) get `mutation`; None: every one."""

    mutation: Mutation
    target: int | None = 0
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


class MutatingProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, prefix: str = "/api/v3", trickle_every: float = 0.05) -> None:
        self.upstream = f"http://{upstream_host}:{upstream_port}"
        self.prefix = prefix
        self.trickle_every = trickle_every
        self._plan: Plan | None = None
        self.served = 0
        """Answers given since the plan was set."""
        self._server: asyncio.base_events.Server | None = None
        self._http: httpx.AsyncClient | None = None
        self._connections: set[asyncio.Task] = set()

    @property
    def plan(self) -> Plan | None:
        return self._plan

    @plan.setter
    def plan(self, plan: Plan | None) -> None:
        self._plan, self.served = plan, 0

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}{self.prefix}"

    async def start(self) -> None:
        self._http = httpx.AsyncClient(base_url=self.upstream, timeout=HANG_GUARD)
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
        body = await reader.readexactly(length) if length else b""
        assert self._http is not None
        upstream = await self._http.request(
            method, target, content=body, headers=[(k, v) for k, v in headers if k.lower() not in HOP]
        )
        answer = Answer(
            upstream.status_code,
            upstream.reason_phrase,
            [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP],
            upstream.content,
        )
        plan, index = self._plan, self.served
        self.served += 1
        if plan is not None and (plan.target is None or plan.target == index):
            answer = plan.mutation(answer, plan.rng)
        await self._write(answer, reader, writer)

    async def _write(self, answer: Answer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if answer.mode == "raw":
            writer.write(answer.body)
            await writer.drain()
            return
        length = len(answer.body) if answer.length is None else answer.length
        if answer.mode in ("truncate", "stall") and answer.length is None:
            length = len(answer.body) + 1000
        if answer.mode == "trickle":
            length = 1 << 40
        head = [f"HTTP/1.1 {answer.status} {answer.reason}", *(f"{k}: {v}" for k, v in answer.headers)]
        if length >= 0:
            head.append(f"Content-Length: {length}")
        head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace"))
        if answer.mode == "trickle":
            await self._trickle(answer.body, reader, writer)
            return
        writer.write(answer.body)
        await writer.drain()
        if answer.mode == "stall":
            await reader.read(1)  # until the client gives up and closes

    async def _trickle(self, body: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One byte at a time, then spaces, until the client hangs up (each byte resets its read timeout)."""
        gone = asyncio.ensure_future(reader.read(1))
        try:
            index = 0
            while not gone.done():
                writer.write(body[index : index + 1] or b" ")
                index += 1
                await writer.drain()
                await asyncio.wait({gone}, timeout=self.trickle_every)
        finally:
            gone.cancel()
