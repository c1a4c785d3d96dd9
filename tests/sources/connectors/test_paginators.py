"""The four paginators, driven by plain fetch functions (no HTTP)."""

from __future__ import annotations

import pytest

from growthos.sources.http.errors import TerminalConnectorError
from growthos.sources.http.paginators import (
    BatchStreamReader,
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    parse_link_header,
)

# -- Link header ------------------------------------------------------------------------------------


def test_parse_link_header_finds_next_and_previous():
    value = ('<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=2&page_info=abc>; rel="previous", '
             '<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=2&page_info=def>; rel="next"')
    links = parse_link_header(value)
    assert links["next"].endswith("page_info=def")
    assert links["previous"].endswith("page_info=abc")
    assert parse_link_header(None) == {}
    assert parse_link_header('<https://a/x>; rel=next; title="n"') == {"next": "https://a/x"}


def test_link_header_paginator_follows_next_until_there_is_none():
    pages = {
        None: ({"orders": [{"id": 1}, {"id": 2}]}, {"Link": '<https://a/o?page_info=p2>; rel="next"'}),
        "https://a/o?page_info=p2": ({"orders": [{"id": 3}]},
                                     {"link": '<https://a/o?page_info=p1>; rel="previous"'}),
    }
    asked: list[str | None] = []

    def fetch(url):
        asked.append(url)
        return pages[url]

    got = list(LinkHeaderPaginator(fetch, "orders").pages())
    assert [p.items for p in got] == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert [p.cursor for p in got] == ["https://a/o?page_info=p2", None]
    assert asked == [None, "https://a/o?page_info=p2"]


def test_link_header_paginator_stops_a_loop():
    def fetch(url):
        return [], {"Link": '<https://a/same>; rel="next"'}

    with pytest.raises(TerminalConnectorError, match="twice"):
        list(LinkHeaderPaginator(fetch).pages())


# -- GraphQL cursor ---------------------------------------------------------------------------------


def _graphql_pages(items: list[int], size: int):
    asked: list[str | None] = []

    def fetch(after):
        asked.append(after)
        start = 0 if after is None else int(after)
        chunk = items[start:start + size]
        end = start + len(chunk)
        return {"orders": {"nodes": [{"id": i} for i in chunk],
                           "pageInfo": {"hasNextPage": end < len(items), "endCursor": str(end) if chunk else None}}}

    return fetch, asked


def test_cursor_paginator_reads_every_node_once():
    fetch, asked = _graphql_pages(list(range(7)), 3)
    pages = list(CursorPaginator(fetch, ("orders",)).pages())
    assert [[n["id"] for n in p.items] for p in pages] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.cursor for p in pages] == ["3", "6", None]
    assert asked == [None, "3", "6"]


def test_cursor_paginator_resumes_after_a_cursor_and_reads_edges():
    def fetch(after):
        assert after == "c1"
        return {"shop": {"customers": {"edges": [{"node": {"id": "x"}}],
                                       "pageInfo": {"hasNextPage": False, "endCursor": "c2"}}}}

    pages = list(CursorPaginator(fetch, ("shop", "customers"), after="c1").pages())
    assert [p.items for p in pages] == [[{"id": "x"}]]


def test_cursor_paginator_refuses_a_stuck_cursor_and_a_missing_connection():
    stuck = CursorPaginator(lambda after: {"orders": {"nodes": [], "pageInfo": {"hasNextPage": True,
                                                                               "endCursor": None}}}, ("orders",))
    with pytest.raises(TerminalConnectorError, match="stuck"):
        list(stuck.pages())
    missing = CursorPaginator(lambda after: {"orders": None}, ("orders",))
    with pytest.raises(TerminalConnectorError, match="orders"):
        list(missing.pages())


def test_an_empty_connection_is_one_empty_page():
    fetch, _ = _graphql_pages([], 3)
    assert [p.items for p in CursorPaginator(fetch, ("orders",)).pages()] == [[]]


# -- offset / rowCount (GA4) ------------------------------------------------------------------------


def _report(total: int):
    asked: list[tuple[int, int]] = []

    def fetch(offset, limit):
        asked.append((offset, limit))
        rows = [{"n": i} for i in range(offset, min(total, offset + limit))]
        body = {"rowCount": total} if total else {}
        if rows:
            body["rows"] = rows
        return body

    return fetch, asked


def test_offset_paginator_stops_at_the_row_count():
    fetch, asked = _report(25)
    pages = list(OffsetPaginator(fetch, limit=10).pages())
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert asked == [(0, 10), (10, 10), (20, 10)]
    assert [p.cursor for p in pages] == ["10", "20", None]


def test_offset_paginator_with_an_exact_multiple_and_an_empty_report():
    fetch, asked = _report(20)
    assert [len(p.items) for p in OffsetPaginator(fetch, limit=10).pages()] == [10, 10]
    assert asked == [(0, 10), (10, 10)]
    empty, asked_empty = _report(0)
    assert [p.items for p in OffsetPaginator(empty, limit=10).pages()] == [[]]
    assert asked_empty == [(0, 10)]


def test_offset_paginator_stops_when_a_page_comes_back_empty_despite_the_count():
    def fetch(offset, limit):
        return {"rowCount": 100, "rows": [{"n": 1}]} if offset == 0 else {"rowCount": 100}

    assert [len(p.items) for p in OffsetPaginator(fetch, limit=10).pages()] == [1, 0]


# -- JSON array of batches (Google Ads searchStream) ------------------------------------------------


def test_batch_stream_reader_yields_each_batch():
    body = [{"results": [{"a": 1}, {"a": 2}], "fieldMask": "a", "requestId": "r"},
            {"results": [{"a": 3}], "fieldMask": "a", "requestId": "r"}]
    pages = list(BatchStreamReader().pages(body))
    assert [p.items for p in pages] == [[{"a": 1}, {"a": 2}], [{"a": 3}]]
    assert [p.cursor for p in pages] == ["1", None]


def test_batch_stream_reader_empty_stream_and_batch_without_results():
    assert list(BatchStreamReader().pages([])) == []
    assert [p.items for p in BatchStreamReader().pages([{"fieldMask": "a"}])] == [[]]


def test_an_error_inside_the_stream_is_raised_after_the_batches_before_it():
    body = [{"results": [{"a": 1}]}, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}}]
    reader = BatchStreamReader(on_error=lambda err: TerminalConnectorError(f"{err['status']}: {err['message']}"))
    pages = reader.pages(body)
    assert next(pages).items == [{"a": 1}]
    with pytest.raises(TerminalConnectorError, match="RESOURCE_EXHAUSTED: quota"):
        next(pages)
