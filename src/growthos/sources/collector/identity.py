"""Identity resolution: which ids are one person, maintained as events are stored.

``identity_map`` maps every id seen (user ids, anonymous ids, alias previous ids; one namespace) to a
``person_id``. Links, in arrival order:

- a message carrying both ``anonymousId`` and ``userId`` (``identify``, and any later call of a
  logged-in visitor) links the two;
- ``alias`` links ``previousId`` to ``userId``.

A link merges two people (union–find): every id of both then maps to one canonical id, the
best-ranked id of the merged set, ranked (is a user id, first seen, id text) — the first-seen user id,
or the first-seen anonymous id while nobody has identified. The choice depends only on arrival order,
so replaying the same events gives the same people.

Merge protection: a link that is not an ``alias`` never merges two people who both have user ids
(a shared device: anonymous id S identified as U1, later as U2). S stays with U1, U2 stays its own
person; only an explicit ``alias`` merges two identified people. Refused links are counted.

All of it runs inside the writer's transaction, so stored events and their identities commit together.

The writer hands over columns (types, user ids, anonymous ids, previous ids of the commit's rows);
:class:`IdentityCache` sorts out, with set operations, the usual case where every id and link is
already stored, so such commits cost no per-event Python work and no query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from growthos.sources.collector.arrow_view import registered
from growthos.sources.collector.event import Event
from growthos.sources.collector.schema import IDENTITY_MAP
from growthos.warehouse.engine import Engine

_LOOKUP_CHUNK = 256


class IdRecord(NamedTuple):
    """What identity resolution needs of one stored event."""

    seq: int
    """The event's ingest_seq (arrival order)."""
    type: str
    user_id: str | None
    anonymous_id: str | None
    previous_id: str | None


@dataclass(slots=True)
class _Id:
    id: str
    person_id: str
    is_user: bool
    first_seq: int
    stored: bool
    user_flag_changed: bool = False

    def rank(self) -> tuple[bool, int, str]:
        return (not self.is_user, self.first_seq, self.id)


@dataclass
class IdentityChanges:
    new_ids: int = 0
    merges: int = 0
    refused: int = 0
    relabelled_people: int = 0
    refused_links: list[tuple[str, str]] = field(default_factory=list)


class _Components:
    """Union–find over people; a component's canonical id is its best-ranked member."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.best: dict[str, _Id] = {}

    def add(self, key: str, best: _Id) -> None:
        if key not in self.parent:
            self.parent[key] = key
            self.best[key] = best
        elif best.rank() < self.best[self.find(key)].rank():
            self.best[self.find(key)] = best

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if self.best[rb].rank() < self.best[ra].rank():
            ra, rb = rb, ra
        self.parent[rb] = ra


def _lookup(engine: Engine, ids: Sequence[str]) -> list[_Id]:
    found: list[_Id] = []
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = list(ids[start:start + _LOOKUP_CHUNK])
        marks = ", ".join("?" * len(chunk))
        table = engine.query(
            f"SELECT id, person_id, is_user, first_seq FROM {IDENTITY_MAP} WHERE id IN ({marks})", chunk
        )
        for row in table.to_pylist():
            found.append(_Id(row["id"], row["person_id"], row["is_user"], row["first_seq"], stored=True))
    return found


def _ids_of(event: IdRecord) -> Iterable[tuple[str, bool]]:
    if event.user_id:
        yield event.user_id, True
    if event.anonymous_id:
        yield event.anonymous_id, False
    if event.previous_id:
        yield event.previous_id, False


def _link_of(event: IdRecord) -> tuple[str, str] | None:
    if event.type == "alias" and event.previous_id and event.user_id:
        return (event.previous_id, event.user_id)
    if event.user_id and event.anonymous_id:
        return (event.anonymous_id, event.user_id)
    return None


class IdentityCache:
    """What the writer already knows is stored, so most events need no identity query at all.

    Coherent because only the writer changes ``identity_map`` (it reloads the cache after running a
    task, ``EventWriter.call``, which may write it) and nothing it learns can be undone:
    ids are never removed, ``is_user`` only turns true, merged ids never split. Learn only after
    the commit. Bounded: past ``max_ids`` it starts over empty.

    ``complete`` (after :meth:`load` found at most ``max_ids`` ids, until the bound is passed): every
    stored id is in ``ids``, so an id not in it is new and needs no lookup."""

    def __init__(self, max_ids: int = 200_000) -> None:
        self.max_ids = max_ids
        self.complete = False
        """Whether ``ids`` holds every id of identity_map."""
        self.ids: set[str] = set()
        """Ids stored in identity_map."""
        self.users: set[str] = set()
        """Those of them stored with is_user = true."""
        self.links: set[tuple[str, str]] = set()
        """(from, to) links already applied (or found to change nothing)."""

    def unsettled(self, first_seq: int, types: Sequence[str], users: Sequence[str | None],
                  anonymous: Sequence[str | None], previous: Sequence[str | None]) -> list[IdRecord]:
        """The events (columns of one commit, ingest_seq from ``first_seq`` on) whose storing changes
        identity_map; the others are left out. Set operations first: when every id and link is known
        no event is looked at one by one."""
        ids, known_users, links = self.ids, self.users, self.links
        new = (set(users) - known_users) | (set(anonymous) - ids) | (set(previous) - ids)
        new.discard(None)
        new.discard("")
        if not new and "alias" not in types:
            pairs = set(zip(anonymous, users, strict=True)) - links
            if not any(a and u for a, u in pairs):
                return []
        out = []
        for i, (type_, user, anon, prev) in enumerate(zip(types, users, anonymous, previous, strict=True)):
            record = IdRecord(first_seq + i, type_, user, anon, prev)
            if (user and user not in known_users) or (anon and anon not in ids) or (prev and prev not in ids):
                out.append(record)
                continue
            link = _link_of(record)
            if link is not None and link not in links:
                out.append(record)
        return out

    def unsettled_columns(self, first_seq: int, types: pa.ChunkedArray, users: pa.ChunkedArray,
                          anonymous: pa.ChunkedArray, previous: pa.ChunkedArray) -> list[IdRecord]:
        """:meth:`unsettled` of Arrow columns. The usual case — every id and link known, no alias — is
        found from the columns' distinct values (computed by Arrow, outside the GIL) without turning
        every event's values into Python objects."""
        if not pc.any(pc.equal(types, "alias")).as_py():
            new = set(pc.unique(users).to_pylist()) - self.users
            new |= set(pc.unique(anonymous).to_pylist()) - self.ids
            new |= set(pc.unique(previous).to_pylist()) - self.ids
            new.discard(None)
            new.discard("")
            if not new:
                pairs = pa.table({"a": anonymous, "u": users}).group_by(["a", "u"]).aggregate([])
                known = self.links
                if not any(a and u and (a, u) not in known
                           for a, u in zip(pairs.column("a").to_pylist(), pairs.column("u").to_pylist(), strict=True)):
                    return []
        return self.unsettled(first_seq, types.to_pylist(), users.to_pylist(), anonymous.to_pylist(),
                              previous.to_pylist())

    def load(self, engine: Engine) -> None:
        """Start again from every stored id (and which are users) when there are at most ``max_ids``,
        else from nothing (and not complete)."""
        self.complete = False
        self.ids, self.users = set(), set()
        self.links.clear()
        count = engine.query(f"SELECT count(*) AS n FROM {IDENTITY_MAP}").column("n")[0].as_py()
        if count > self.max_ids:
            return
        table = engine.query(f"SELECT id, is_user FROM {IDENTITY_MAP}")
        ids, is_user = table.column("id").to_pylist(), table.column("is_user").to_pylist()
        self.ids = set(ids)
        self.users = {i for i, u in zip(ids, is_user, strict=True) if u}
        self.links.clear()
        self.complete = True

    def maybe_stored(self, id_: str) -> bool:
        """Whether ``id_`` may be in identity_map (False: certainly new)."""
        return not self.complete or id_ in self.ids

    def learn(self, events: Iterable[IdRecord], refused: Iterable[tuple[str, str]] = ()) -> None:
        if len(self.ids) > self.max_ids:
            self.complete = False
            self.ids.clear()
            self.users.clear()
            self.links.clear()
        not_linked = set(refused)
        for event in events:
            for id_, as_user in _ids_of(event):
                self.ids.add(id_)
                if as_user:
                    self.users.add(id_)
            link = _link_of(event)
            if link is not None and link not in not_linked:
                self.links.add(link)


def records_of(events: Sequence[tuple[int, Event]]) -> list[IdRecord]:
    """The identity records of ``(ingest_seq, event)`` pairs."""
    return [IdRecord(seq, ev.type, ev.user_id, ev.anonymous_id, ev.previous_id) for seq, ev in events]


def apply_identities(engine: Engine, events: Sequence[tuple[int, Event]],
                     cache: IdentityCache | None = None) -> IdentityChanges:
    """Register the ids of newly stored ``(ingest_seq, event)`` pairs and merge the people they link.

    Call inside the transaction that stores the events; with a ``cache``, events it knows change
    nothing are skipped (the caller teaches it after the commit)."""
    records = records_of(events)
    if cache is not None:
        records = [r for r in records if cache.unsettled(r.seq, [r.type], [r.user_id], [r.anonymous_id],
                                                         [r.previous_id])]
    return apply_identity_records(engine, records, cache)


def apply_identity_records(engine: Engine, events: Sequence[IdRecord],
                           cache: IdentityCache | None = None) -> IdentityChanges:
    """:func:`apply_identities` of identity records (already filtered by the cache, if any; a complete
    cache also spares the lookup of ids it knows are new)."""
    changes = IdentityChanges()
    touched = list(dict.fromkeys(i for ev in events for i, _ in _ids_of(ev)))
    if not touched:
        return changes
    if cache is not None and cache.complete:
        touched = [i for i in touched if i in cache.ids]
    nodes = {n.id: n for n in _lookup(engine, touched)}
    missing_canon = sorted({n.person_id for n in nodes.values()} - nodes.keys())
    canon_rows = {n.id: n for n in _lookup(engine, missing_canon)} if missing_canon else {}

    comps = _Components()
    for node in nodes.values():
        person = node.person_id
        comps.add(person, canon_rows.get(person) or nodes.get(person) or node)

    for event in events:
        seq = event.seq
        for id_, as_user in _ids_of(event):
            node = nodes.get(id_)
            if node is None:
                node = nodes[id_] = _Id(id_, id_, as_user, seq, stored=False)
                comps.add(id_, node)
                changes.new_ids += 1
            elif as_user and not node.is_user:
                node.is_user = node.user_flag_changed = True
                comps.add(node.person_id, node)
        link = _link_of(event)
        if link is not None:
            _link(comps, nodes, *link, forced=event.type == "alias", changes=changes)

    relabel = {}
    for key in list(comps.parent):
        canonical = comps.best[comps.find(key)].id
        if key != canonical and (key in canon_rows or (key in nodes and nodes[key].stored)):
            relabel[key] = canonical
    _write(engine, nodes, comps, relabel)
    changes.relabelled_people = len(relabel)
    return changes


def _link(comps: _Components, nodes: dict[str, _Id], a: str, b: str, *, forced: bool,
          changes: IdentityChanges) -> None:
    ra, rb = comps.find(nodes[a].person_id), comps.find(nodes[b].person_id)
    if ra == rb:
        return
    if not forced and comps.best[ra].is_user and comps.best[rb].is_user:
        changes.refused += 1
        changes.refused_links.append((a, b))
        return
    comps.union(ra, rb)
    changes.merges += 1


def _write(engine: Engine, nodes: dict[str, _Id], comps: _Components, relabel: dict[str, str]) -> None:
    if relabel:
        mapping = pa.table({"old_id": list(relabel), "new_id": list(relabel.values())})
        with registered(engine, "__identity_relabel", mapping):
            engine.execute(
                f"UPDATE {IDENTITY_MAP} SET person_id = r.new_id FROM __identity_relabel r "
                f"WHERE {IDENTITY_MAP}.person_id = r.old_id"
            )
    flips = [n.id for n in nodes.values() if n.stored and n.user_flag_changed]
    for start in range(0, len(flips), _LOOKUP_CHUNK):
        chunk = flips[start:start + _LOOKUP_CHUNK]
        engine.execute(f"UPDATE {IDENTITY_MAP} SET is_user = true WHERE id IN ({', '.join('?' * len(chunk))})",
                       chunk)
    new = [n for n in nodes.values() if not n.stored]
    if new:
        rows = pa.table({
            "id": [n.id for n in new],
            "person_id": [comps.best[comps.find(n.person_id)].id for n in new],
            "is_user": [n.is_user for n in new],
            "first_seq": pa.array([n.first_seq for n in new], pa.int64()),
        })
        with registered(engine, "__identity_new", rows):
            engine.execute(f"INSERT INTO {IDENTITY_MAP} SELECT id, person_id, is_user, first_seq FROM __identity_new")
