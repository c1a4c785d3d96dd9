"""Paginators: each turns a ``fetch`` function (one request, already retried by the client) into an
iterator of ``Page``s. They know nothing of HTTP, so each is tested with plain functions.

- ``LinkHeaderPaginator``: REST APIs that link the next page in ``Link: <url>; rel="next"``.
- ``CursorPaginator``: GraphQL connections (``pageInfo { hasNextPage endCursor }``, ``after:``).
- ``OffsetPaginator``: ``limit``/``offset`` with a total row count (GA4 ``runReport`` ``rowCount``).
- ``BatchStreamReader``: a JSON array of batches in one response (Google Ads ``searchStream``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from growthos.sources.http.errors import TerminalConnectorError


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    """The page's records, as the API returned them."""
    number: int
    """1 for the first page."""
    cursor: str | None = None
    """What fetches the page after this one (end cursor, next URL, next offset), None on the last page."""


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_PARAM = re.compile(r';\s*([A-Za-z*]+)\s*=\s*"?([^";]*)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``Link`` header → {rel: url}: ``<https://a?page_info=x>; rel="next"`` → ``{"next": "https://a?page_info=x"}``."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        url, params = match.groups()
        for name, param_value in _PARAM.findall(params):
            if name.lower() == "rel":
                for rel in param_value.split():
                    links.setdefault(rel.lower(), url)
    return links


@dataclass
class LinkHeaderPaginator:
    fetch: Callable[[str | None], tuple[Any, Mapping[str, str]]]
    """``fetch(next_url)`` → (body, headers); ``None`` asks for the first page."""
    items_key: str | None = None
    """Key of the records in the body (``"orders"``); None when the body is the list itself."""

    def pages(self) -> Iterator[Page]:
        url: str | None = None
        seen: set[str] = set()
        number = 0
        while True:
            body, headers = self.fetch(url)
            number += 1
            items = body if self.items_key is None else body.get(self.items_key, [])
            url = parse_link_header(_header(headers, "link")).get("next")
            yield Page(list(items), number, url)
            if url is None:
                return
            if url in seen:
                raise TerminalConnectorError(f"pagination loop: the API linked {url} twice as the next page")
            seen.add(url)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


@dataclass
class CursorPaginator:
    fetch: Callable[[str | None], Mapping[str, Any]]
    """``fetch(after)`` → the GraphQL ``data`` object; ``None`` asks for the first page."""
    path: Sequence[str]
    """Keys from ``data`` down to the connection (``("orders",)``)."""
    after: str | None = None
    """Start after this cursor (a resumed read)."""

    def pages(self) -> Iterator[Page]:
        after = self.after
        number = 0
        while True:
            data = self.fetch(after)
            connection = _walk(data, self.path)
            number += 1
            if "nodes" in connection:
                items = list(connection["nodes"])
            else:
                items = [edge["node"] for edge in connection.get("edges", [])]
            info = connection.get("pageInfo") or {}
            end = info.get("endCursor")
            more = bool(info.get("hasNextPage"))
            if more and (not end or end == after):
                raise TerminalConnectorError(
                    f"pagination stuck: hasNextPage without a new endCursor at {'.'.join(self.path)}"
                )
            yield Page(items, number, end if more else None)
            if not more:
                return
            after = end


def _walk(data: Mapping[str, Any], path: Sequence[str]) -> Mapping[str, Any]:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or node.get(key) is None:
            raise TerminalConnectorError(f"response has no {'.'.join(path)} (missing {key!r})")
        node = node[key]
    return node


@dataclass
class OffsetPaginator:
    fetch: Callable[[int, int], Mapping[str, Any]]
    """``fetch(offset, limit)`` → the body."""
    limit: int = 10_000
    """Rows per page."""
    rows_key: str = "rows"
    """Key of the rows in the body (absent when a page is empty)."""
    total_key: str = "rowCount"
    """Key of the total row count, whatever ``limit`` was."""

    def pages(self) -> Iterator[Page]:
        offset = 0
        number = 0
        while True:
            body = self.fetch(offset, self.limit)
            rows = list(body.get(self.rows_key) or [])
            total = int(body.get(self.total_key) or 0)
            number += 1
            offset += len(rows)
            more = bool(rows) and offset < total
            yield Page(rows, number, str(offset) if more else None)
            if not more:
                return


@dataclass
class BatchStreamReader:
    results_key: str = "results"
    """Key of each batch's rows."""
    error_key: str = "error"
    """Key of an error object the stream may carry in place of a batch."""
    on_error: Callable[[Mapping[str, Any]], Exception] = field(
        default=lambda error: TerminalConnectorError(f"error inside the stream: {error.get('message', error)}")
    )
    """Turns an in-stream error object into the exception to raise (an API module maps its codes here)."""

    def pages(self, body: Any) -> Iterator[Page]:
        """One page per batch of a JSON array (a single object is read as a one-batch array)."""
        batches = body if isinstance(body, list) else [body]
        for number, batch in enumerate(batches, start=1):
            if not isinstance(batch, Mapping):
                raise TerminalConnectorError(f"stream batch {number} is not an object")
            if batch.get(self.error_key):
                raise self.on_error(batch[self.error_key])
            last = number == len(batches)
            yield Page(list(batch.get(self.results_key) or []), number, None if last else str(number))
