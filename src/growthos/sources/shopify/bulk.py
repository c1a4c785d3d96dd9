"""Bulk operations for full backfills: run the stream's query as a bulk operation, poll it, download the
JSONL file and rebuild each node in the shape the paged query returns.

In the JSONL file every node of a nested connection is a line of its own carrying ``__parentId`` (the id of
the object holding the connection, e.g. the Order for ``lineItems``, the Refund for ``refundLineItems``).
The bulk document asks ``__typename`` on those nodes to tell which connection each belongs to, inlines the
named fragments, reads connections as ``edges { node }`` and drops their ``first:`` arguments.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from growthos.sources.http import RetryableConnectorError, RetryPolicy, TerminalConnectorError, Timeouts
from growthos.sources.http.client import error_text
from growthos.sources.http.retry import parse_retry_after
from growthos.sources.shopify import queries
from growthos.sources.shopify.graphql import ShopifyGraphQL
from growthos.sources.shopify.streams import Stream

FAILED_STATUSES = {"FAILED", "CANCELED", "CANCELING", "EXPIRED"}

CONNECTION_OF_TYPE: dict[str, str] = {
    "LineItem": "lineItems",
    "ShippingLine": "shippingLines",
    "RefundLineItem": "refundLineItems",
    "DiscountCodeApplication": "discountApplications",
    "AutomaticDiscountApplication": "discountApplications",
    "ManualDiscountApplication": "discountApplications",
    "ScriptDiscountApplication": "discountApplications",
    "ProductVariant": "variants",
}
"""The connection a nested node belongs to, by its ``__typename``."""

TYPENAME_ASKED = {"discountApplications"}
"""Connections whose nodes the paged query itself asks ``__typename`` of (kept; dropped elsewhere)."""

_NODES = re.compile(r"\bnodes\s*\{")
_SPREAD = re.compile(r"\.\.\.([A-Za-z_]\w*)")


def bulk_document(stream: Stream, search: str | None) -> str:
    """The bulk query reading ``stream`` (optionally filtered by ``search``)."""
    fields = _SPREAD.sub(lambda m: _fragment_body(m.group(1)), stream.fields)
    fields = re.sub(r"\(first:\s*\d+\)", "", fields)
    fields = _nodes_to_edges(fields)
    arguments = f"(query: {json.dumps(search)}, sortKey: UPDATED_AT)" if search else "(sortKey: UPDATED_AT)"
    return f"{{ {stream.root}{arguments} {{ edges {{ node {{ {fields} }} }} }} }}"


def _fragment_body(name: str) -> str:
    text = queries.FRAGMENTS[name]
    return text[text.index("{") + 1:text.rindex("}")]


def _nodes_to_edges(fields: str) -> str:
    out, position = [], 0
    while match := _NODES.search(fields, position):
        end = _closing(fields, match.end() - 1)
        out.append(fields[position:match.start()])
        inner = _nodes_to_edges(fields[match.end():end])
        typename = "" if inner.lstrip().startswith("__typename") else "__typename "
        out.append(f"edges {{ node {{ {typename}{inner} }} }}")
        position = end + 1
    out.append(fields[position:])
    return "".join(out)


def _closing(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced braces in a GraphQL selection")


def run_bulk(
    api: ShopifyGraphQL, stream: Stream, search: str | None, *, poll_interval: float = 2.0, max_polls: int = 10_800,
    timeouts: Timeouts | None = None,
) -> list[dict[str, Any]]:
    """Run, poll and download one bulk query; the stream's nodes, rebuilt."""
    data = api.execute("BulkRun", queries.BULK_RUN, {"query": bulk_document(stream, search)})
    payload = data["bulkOperationRunQuery"]
    if payload.get("userErrors"):
        raise TerminalConnectorError("Shopify bulk operation refused: "
                                     + "; ".join(e.get("message", "") for e in payload["userErrors"]))
    operation_id = payload["bulkOperation"]["id"]
    url = _wait(api, operation_id, poll_interval, max_polls)
    if not url:
        return []
    lines = _download(url, api.client.retry, timeouts or Timeouts(read=300.0))
    return assemble(lines, stream.connections)


def _wait(api: ShopifyGraphQL, operation_id: str, poll_interval: float, max_polls: int) -> str | None:
    for _ in range(max_polls):
        operation = api.execute("BulkPoll", queries.BULK_POLL)["currentBulkOperation"]
        if not operation or operation.get("id") != operation_id:
            raise TerminalConnectorError(f"Shopify bulk operation {operation_id} is no longer the current one")
        status = operation.get("status")
        if status == "COMPLETED":
            return operation.get("url")
        if status in FAILED_STATUSES:
            raise TerminalConnectorError(
                f"Shopify bulk operation {operation_id} {status.lower()}: {operation.get('errorCode') or 'no code'}"
            )
        api.client.sleep(poll_interval)
    raise RetryableConnectorError(f"Shopify bulk operation {operation_id} still running after {max_polls} polls")


def _download(url: str, retry: RetryPolicy, timeouts: Timeouts) -> Iterator[dict[str, Any]]:
    """The JSONL file's objects; the signed URL gets no access token. A cut download is fetched again."""

    def attempt() -> tempfile.SpooledTemporaryFile:
        spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
        try:
            with httpx.Client(timeout=timeouts.httpx()) as http, http.stream("GET", url) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    response.read()
                    raise RetryableConnectorError(
                        f"bulk download: HTTP {response.status_code}: {error_text(response)}",
                        retry_after=parse_retry_after(response.headers.get("Retry-After")),
                        http_status=response.status_code)
                if response.status_code >= 400:
                    response.read()
                    raise TerminalConnectorError(f"bulk download: HTTP {response.status_code}: {error_text(response)}",
                                                 http_status=response.status_code)
                for chunk in response.iter_bytes():
                    spool.write(chunk)
        except httpx.TransportError as exc:
            spool.close()
            raise RetryableConnectorError(f"bulk download: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    spool = retry.run(attempt)
    with spool:
        for number, line in enumerate(spool, start=1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise TerminalConnectorError(f"bulk download: line {number} is not JSON: {exc}") from exc


def assemble(lines: Iterator[dict[str, Any]], connections: tuple[str, ...]) -> list[dict[str, Any]]:
    """Root nodes with their nested connection nodes put back under ``{"nodes": [...]}``, in file order.

    ``connections`` are the dotted paths of every connection in a root node (``lineItems``,
    ``refunds.refundLineItems``): each gets ``{"nodes": []}`` when no line filled it, as the paged read has.
    """
    roots: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    children: list[tuple[str, dict[str, Any]]] = []
    for obj in lines:
        parent = obj.pop("__parentId", None)
        if parent is None:
            roots.append(obj)
            _index(obj, by_id)
        else:
            children.append((parent, obj))
    for root in roots:
        for path in connections:
            _fill(root, path.split("."))
    for parent_id, child in children:
        holder = by_id.get(parent_id)
        typename = child.get("__typename")
        if holder is None or typename not in CONNECTION_OF_TYPE:
            raise TerminalConnectorError(f"bulk file: a {typename} line whose parent {parent_id} is not in the file")
        field = CONNECTION_OF_TYPE[typename]
        if field not in TYPENAME_ASKED:
            del child["__typename"]
        holder.setdefault(field, {"nodes": []})["nodes"].append(child)
    return roots


def _index(value: Any, by_id: dict[str, dict[str, Any]]) -> None:
    """Every object with an id inside a root node (the node itself, its refunds...)."""
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            by_id.setdefault(value["id"], value)
        for item in value.values():
            _index(item, by_id)
    elif isinstance(value, list):
        for item in value:
            _index(item, by_id)


def _fill(node: Any, path: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _fill(item, path)
    elif isinstance(node, dict):
        if len(path) == 1:
            node.setdefault(path[0], {"nodes": []})
        elif node.get(path[0]) is not None:
            _fill(node[path[0]], path[1:])
