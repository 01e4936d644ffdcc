"""Mutations of a server's answer for `MutatingProxy`: JSON-level (the body's values) and raw-level
(the HTTP exchange itself). Each is `(Answer, rng) -> Answer` and draws only from `rng`.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .mutating import Answer, Mutation

# -- JSON-level mutations -----------------------------------------------------------------------------

DEEP = "DEEP-NESTING-PLACEHOLDER"
ODD_VALUES: list[Any] = [
    None, "", "x", "²³", "٣", "99999999999999", "-99999999999999", "1e400", "2026-13-45", "NaN",
    -1, 0, 1e15, -1e15, 1e308, 10**30, -(10**30), 2**63, True, False, [], {}, [1, "a", None], {"a": 1},
    "\x1b[31mred\x1b[0m", "a" * 5000,
]


def _nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path in a JSON tree (dict keys and list indexes), the root excluded."""
    out: list[tuple] = []
    if isinstance(value, dict):
        for key, child in value.items():
            out.append((*path, key))
            out.extend(_nodes(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value[:30]):  # enough variety, without walking every row
            out.append((*path, index))
            out.extend(_nodes(child, (*path, index)))
    return out


def _parent(tree: Any, path: tuple) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _record_lists(tree: Any) -> list[list]:
    """Lists of objects (the rows of a listing, the stages of a pipeline, ...)."""
    found: list[list] = []
    if isinstance(tree, dict):
        for child in tree.values():
            found.extend(_record_lists(child))
    elif isinstance(tree, list):
        if len(tree) >= 2 and all(isinstance(item, dict) for item in tree):
            found.append(tree)
        for child in tree[:30]:
            found.extend(_record_lists(child))
    return found


def _id_holder(item: dict) -> dict:
    """The object holding a row's id: the row itself or its one wrapped object ({"contact": {...}})."""
    if "id" in item:
        return item
    for value in item.values():
        if isinstance(value, dict) and "id" in value:
            return value
    return item


def _json_mutation(edit: Callable[[Any, random.Random], Any]) -> Mutation:
    def mutate(answer: Answer, rng: random.Random) -> Answer:
        try:
            tree = json.loads(answer.body)
        except ValueError:
            return answer
        tree = edit(tree, rng)
        text = json.dumps(tree)
        if DEEP in text:
            depth = rng.choice([2_000, 50_000])
            text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth, 1)
        return replace(answer, body=text.encode())

    return mutate


def _retype(tree: Any, rng: random.Random) -> Any:
    nodes = _nodes(tree)
    if not nodes:
        return rng.choice(ODD_VALUES)
    path = rng.choice(nodes)
    _parent(tree, path)[path[-1]] = rng.choice([*ODD_VALUES, DEEP])
    return tree


def _retype_many(tree: Any, rng: random.Random) -> Any:
    for _ in range(rng.randint(2, 12)):
        tree = _retype(tree, rng)
    return tree


def _drop_key(tree: Any, rng: random.Random) -> Any:
    nodes = [p for p in _nodes(tree) if isinstance(p[-1], str)]
    if nodes:
        path = rng.choice(nodes)
        del _parent(tree, path)[path[-1]]
    return tree


def _ids(tree: Any, rng: random.Random) -> Any:
    lists = _record_lists(tree)
    if not lists:
        return _retype(tree, rng)
    rows = rng.choice(lists)
    how = rng.choice(["equal", "null", "missing", "empty", "all-equal"])
    holders = [_id_holder(row) for row in rows]
    if how == "equal":
        holders[1]["id"] = holders[0].get("id")
    elif how == "all-equal":
        for holder in holders:
            holder["id"] = holders[0].get("id")
    elif how == "null":
        rng.choice(holders)["id"] = None
    elif how == "missing":
        rng.choice(holders).pop("id", None)
    else:
        rng.choice(holders)["id"] = ""
    return tree


def _empty_list(tree: Any, rng: random.Random) -> Any:
    paths = [p for p in _nodes(tree) if isinstance(_parent(tree, p)[p[-1]], list)]
    if paths:
        path = rng.choice(paths)
        _parent(tree, path)[path[-1]] = []
    return tree


def _paging(tree: Any, rng: random.Random) -> Any:
    data = tree.get("data") if isinstance(tree, dict) else None
    if isinstance(data, dict):
        for key in rng.sample(["max_page", "total_count", "per_page", "page"], rng.randint(1, 3)):
            data[key] = rng.choice([10**18, 12_345, 10**9, 0, -1, None, "many", 1e300, 2])
    return tree


def _data(tree: Any, rng: random.Random) -> Any:
    if isinstance(tree, dict):
        data = tree.get("data")
        choice = rng.choice(["null", "string", "array", "object", "no-list", "drop", "list-null", "list-junk"])
        if choice == "null":
            tree["data"] = None
        elif choice == "string":
            tree["data"] = "ok"
        elif choice == "array":
            tree["data"] = []
        elif choice == "object":
            tree["data"] = {}
        elif choice == "drop":
            tree.pop("data", None)
        elif isinstance(data, dict):
            lists = [k for k, v in data.items() if isinstance(v, list)]
            if lists:
                key = rng.choice(lists)
                if choice == "no-list":
                    del data[key]
                elif choice == "list-null":
                    data[key] = None
                else:
                    data[key] = ["x", 1, None, True]
    return tree


def json_mutations() -> dict[str, Mutation]:
    return {
        "retype": _json_mutation(_retype),
        "retype-many": _json_mutation(_retype_many),
        "drop-key": _json_mutation(_drop_key),
        "ids": _json_mutation(_ids),
        "empty-list": _json_mutation(_empty_list),
        "paging": _json_mutation(_paging),
        "data": _json_mutation(_data),
    }


# -- raw-level mutations ------------------------------------------------------------------------------


def _truncate(answer: Answer, rng: random.Random) -> Answer:
    cut = answer.body[: rng.randint(0, max(0, len(answer.body) - 1))]
    if rng.random() < 0.5:
        return replace(answer, body=cut, mode="truncate")  # Content-Length promises more than comes
    return replace(answer, body=cut)  # honest length, truncated JSON


def _bad_encoding(answer: Answer, rng: random.Random) -> Answer:
    how = rng.choice(["plain-as-gzip", "cut-gzip", "plain-as-deflate", "garbage-deflate", "gzip-bomb"])
    if how == "plain-as-gzip":
        return replace(answer.with_header("Content-Encoding", "gzip"))
    if how == "cut-gzip":
        packed = gzip.compress(answer.body)
        return replace(answer.with_header("Content-Encoding", "gzip"), body=packed[: len(packed) // 2])
    if how == "plain-as-deflate":
        return replace(answer.with_header("Content-Encoding", "deflate"))
    if how == "garbage-deflate":
        return replace(answer.with_header("Content-Encoding", "deflate"), body=bytes(rng.randrange(256) for _ in range(64)))
    return replace(answer.with_header("Content-Encoding", "gzip"), body=gzip.compress(b" " * (8 << 20)))


def _content_type(answer: Answer, rng: random.Random) -> Answer:
    kind = rng.choice(["text/html", "text/plain", "application/xml", "", "application/octet-stream"])
    kept = [(k, v) for k, v in answer.headers if k.lower() != "content-type"]
    return replace(answer, headers=kept + ([("Content-Type", kind)] if kind else []))


def _no_content(answer: Answer, rng: random.Random) -> Answer:
    status = rng.choice([204, 200, 202, 205])
    body = b"" if status in (204, 205) or rng.random() < 0.7 else b"   "
    return replace(answer, status=status, reason="No Content" if status == 204 else "OK", body=body)


HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>"


def _html(answer: Answer, rng: random.Random) -> Answer:
    status = rng.choice([200, 200, 403, 502, 503])
    return replace(answer.with_header("Content-Type", "text/html; charset=utf-8"), status=status, reason="X", body=HTML)


def _status_in_envelope(answer: Answer, rng: random.Random) -> Answer:
    status = rng.choice([400, 401, 403, 404, 409, 429, 500, 503, "500", 1])
    body = {"status": status, "message": "Something failed", "error_name": "x", "error_message": "it broke", "data": rng.choice([None, {}, []])}
    return replace(answer.with_header("Content-Type", "application/json"), status=200, body=json.dumps(body).encode())


def _protocol(answer: Answer, rng: random.Random) -> Answer:
    how = rng.choice(["status-line", "header", "chunked", "no-length", "close"])
    if how == "status-line":
        return replace(answer, mode="raw", body=b"HTTP/1.1 abc Broken\r\nContent-Length: 2\r\n\r\n{}")
    if how == "header":
        return replace(answer, mode="raw", body=b"HTTP/1.1 200 OK\r\nBad Header Line\r\nContent-Length: 2\r\n\r\n{}")
    if how == "chunked":
        return replace(
            answer, mode="raw", body=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        )
    if how == "no-length":
        return replace(answer, length=-1)  # body until the connection closes: legal, must still work
    return replace(answer, mode="raw", body=b"")


def _huge_length(answer: Answer, rng: random.Random) -> Answer:
    return replace(answer, length=10**12, mode="normal")


def _stall(answer: Answer, rng: random.Random) -> Answer:
    return replace(answer, body=answer.body[: len(answer.body) // 2], mode="stall")


def _trickle(answer: Answer, rng: random.Random) -> Answer:
    return replace(answer, mode="trickle")


def raw_mutations() -> dict[str, Mutation]:
    return {
        "truncate": _truncate,
        "bad-encoding": _bad_encoding,
        "content-type": _content_type,
        "no-content": _no_content,
        "html": _html,
        "status-in-envelope": _status_in_envelope,
        "protocol": _protocol,
        "huge-length": _huge_length,
        "stall": _stall,
        "trickle": _trickle,
    }

