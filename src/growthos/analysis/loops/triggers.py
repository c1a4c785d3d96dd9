"""Which system actions a loop's triggers call for: each trigger event (type and ``where`` conditions) of the
recent past becomes an action for the trigger's target step and the event's person, due at event time + delay.

``action_key`` makes "once per (loop, step, person)" durable: ``loop:step:person`` for ``once`` triggers (every
trigger of the step shares it), ``loop:step:person:event id`` for ``every``. The ledger (growthos.store.loops) keeps
one row per key, so planning again — after a restart, or each minute — schedules nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from growthos.analysis.loops.definitions import Loop, Trigger
from growthos.analysis.loops.executions import LoopEvent, meets
from growthos.warehouse.engine import Engine

_TRIGGER_SQL = """
SELECT person_id, event, "timestamp" AS at, message_id, properties FROM events_people
WHERE type = 'track' AND event = $event AND "timestamp" >= $lo AND "timestamp" <= $hi
ORDER BY "timestamp", message_id
"""


@dataclass(frozen=True)
class PlannedAction:
    action_key: str
    loop: str
    step: str
    trigger: str
    person_id: str
    url: str
    headers: dict[str, str]
    due_at: datetime
    payload: dict[str, Any]


def trigger_events(engine: Engine, trigger: Trigger, lo: datetime, hi: datetime) -> list[LoopEvent]:
    """The trigger's events in [lo, hi] meeting its conditions, oldest first."""
    if not engine.table_exists("events_people"):
        return []
    out = []
    for row in engine.query(_TRIGGER_SQL, {"event": trigger.event, "lo": lo, "hi": hi}).to_pylist():
        props = json.loads(row["properties"]) if row["properties"] else {}
        event = LoopEvent(row["person_id"], row["event"], row["at"], row["message_id"],
                          props if isinstance(props, dict) else {})
        if meets(trigger.where, event):
            out.append(event)
    return out


def action_key(loop: Loop, trigger: Trigger, event: LoopEvent) -> str:
    base = f"{loop.name}:{trigger.target_step}:{event.person_id}"
    return base if trigger.frequency == "once" else f"{base}:{event.id}"


def planned_actions(engine: Engine, loop: Loop, now: datetime) -> list[PlannedAction]:
    """The actions an active loop's triggers call for as of ``now``: trigger events from
    now − delay − max_late up to now (actions already due longer ago than max_late are not made up)."""
    if loop.status != "active":
        return []
    out = []
    for trigger in loop.triggers:
        action = loop.step(trigger.target_step).system_action
        if action is None:  # pragma: no cover - parse_loop refuses such triggers
            continue
        for event in trigger_events(engine, trigger, now - trigger.delay - trigger.max_late, now):
            key = action_key(loop, trigger, event)
            due = event.at + trigger.delay
            payload = {
                "event": "loop.action", "loop": loop.name, "step": trigger.target_step, "trigger": trigger.name,
                "person_id": event.person_id, "due_at": due.isoformat(),
                "trigger_event": {"id": event.id, "event": event.event, "timestamp": event.at.isoformat(),
                                  "properties": event.properties},
            }
            out.append(PlannedAction(key, loop.name, trigger.target_step, trigger.name, event.person_id,
                                     action.webhook, dict(action.headers), due, payload))
    return out
