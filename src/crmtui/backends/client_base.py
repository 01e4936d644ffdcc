"""What every backend's HTTP client shares: closing its ApiHttp (as an async context manager or with
`aclose()`), ids as path segments, and reading answers into models without ever crashing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Self
from urllib.parse import quote

from pydantic import ValidationError

from crmtui.backends.errors import BackendError, MalformedResponse

if TYPE_CHECKING:
    from crmtui.backends.http import ApiHttp


class HttpClient:
    """A client around one `ApiHttp` (`self.http`)."""

    http: ApiHttp

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()


def path_segment(value: object, *, strip: bool = False) -> str:
    """An id as one path segment: quoted, never empty, never a dot segment URL normalisation would
    resolve away."""
    text = str(value).strip() if strip else str(value)
    if not text:
        raise ValueError("an id in the path must not be empty")
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return quote(text, safe="")


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Whatever goes wrong while reading `what` (an answer: "Pipedrive's leads") into models is a
    MalformedResponse, never a crash (tolerant models make this rare)."""
    try:
        yield
    except BackendError:
        raise
    except ValidationError as exc:
        raise MalformedResponse(f"{what} could not be read ({exc.error_count()} problem(s))") from None
    except Exception as exc:
        raise MalformedResponse(f"{what} could not be read ({type(exc).__name__})") from exc
