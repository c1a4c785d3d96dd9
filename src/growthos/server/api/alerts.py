"""/api/alerts: the alert history, acknowledge and resolve, the rules (CRUD) and an evaluation on demand.
Reads need a read key; every write needs an admin key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from growthos.server.api.params import (
    ADMIN,
    AUTH_RESPONSES,
    INT64_MAX,
    READ,
    READ_RESPONSES,
    problem_response,
    server_state,
)
from growthos.store.alerts import ALERT_STATUSES

router = APIRouter(tags=["alerts"], responses=AUTH_RESPONSES)

AlertId = Annotated[int, Path(ge=1, le=INT64_MAX, description="The alert's id.")]
RuleName = Annotated[str, Path(max_length=64, description="The rule's name.", examples=["net_revenue_drop"])]
_ALERT_NOT_FOUND = {404: problem_response("No alert with this id")}
_RULE_NOT_FOUND = {404: problem_response("No rule with this name")}
_INVALID = {422: problem_response("Invalid input; invalid_params names the field")}


class RuleBody(BaseModel):
    """An alert rule; parameters the kind does not take are refused, those left out take the kind's defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Lowercase letters, digits, _ and -; at most 64 (POST: "
                             "required; PUT: optional, must match the path).", examples=["revenue_drop"])
    kind: str = Field(description="A registered rule kind (GET /api/alerts/rules lists the kinds).",
                      examples=["net_revenue_drop"])
    metric: str | None = Field(default=None, description="A catalogue metric (default: the kind's).")
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"threshold": 0.15, "min_volume": 30}])
    severity: str | None = Field(default=None, description="warning or critical (default: the kind's).")
    cooldown: str | None = Field(default=None, description="A duration: 30m, 12h, 7d (default 24h).")
    enabled: bool = True

    def data(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"metric"} if self.metric is None else set())


def _ws(request: Request) -> Any:
    return server_state(request).workspace


@router.get("/alerts", summary="Alerts newest first (the history)", dependencies=READ, responses=READ_RESPONSES)
def list_alerts(
    request: Request,
    status: Annotated[str | None, Query(description=f"{', '.join(ALERT_STATUSES)} or active (open + "
                                                    "acknowledged).")] = None,
    rule: Annotated[str | None, Query(max_length=64, description="Only alerts of this rule.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many alerts.")] = 100,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="Skip this many first.")] = 0,
) -> dict[str, Any]:
    store = _ws(request).store
    alerts = store.list_alerts(status=status or None, rule=rule or None, limit=limit, offset=offset)
    return {"alerts": [a.to_dict() for a in alerts], "counts": store.count_alerts(), "limit": limit,
            "offset": offset}


@router.get("/alerts/rules", summary="The rules in force and the registered rule kinds", dependencies=READ)
def list_rules(request: Request) -> dict[str, Any]:
    from growthos.alerts.evaluate import list_rules as rules_in_force
    from growthos.alerts.rules import RULE_KINDS, rule_kind

    rule_kind("net_revenue_drop")  # registers the built-in kinds
    kinds = [{"name": k.name, "description": k.description, "metric": k.metric, "severity": k.severity,
              "params": k.params} for k in RULE_KINDS.values()]
    return {"rules": [r.to_dict() for r in rules_in_force(_ws(request))], "kinds": kinds}


@router.post("/alerts/rules", status_code=201, summary="Create a rule", dependencies=ADMIN,
             responses={**_INVALID, 409: problem_response("A rule with this name exists")})
def create_rule(request: Request, body: RuleBody) -> JSONResponse:
    from growthos.alerts.evaluate import create_rule as create

    rule = create(_ws(request), body.data())
    return JSONResponse(rule.to_dict(), status_code=201, headers={"Location": f"/api/alerts/rules/{rule.name}"})


@router.put("/alerts/rules/{name}", summary="Replace a rule (overrides a default or alerts.yaml rule)",
            dependencies=ADMIN, responses={**_RULE_NOT_FOUND, **_INVALID})
def replace_rule(request: Request, name: RuleName, body: RuleBody) -> dict[str, Any]:
    from growthos.alerts.evaluate import replace_rule as replace

    return replace(_ws(request), name, body.data()).to_dict()


@router.delete("/alerts/rules/{name}", status_code=204, summary="Delete a rule saved through the API",
               dependencies=ADMIN,
               responses={**_RULE_NOT_FOUND, 409: problem_response("The rule comes from alerts.yaml or the defaults")})
def delete_rule(request: Request, name: RuleName) -> Response:
    from growthos.alerts.evaluate import delete_rule as delete

    delete(_ws(request), name)
    return Response(status_code=204)


@router.post("/alerts/evaluate", summary="Evaluate every enabled rule now and notify new alerts",
             dependencies=ADMIN)
def evaluate(request: Request) -> dict[str, Any]:
    from growthos.alerts.evaluate import evaluate_alerts

    state = server_state(request)
    with state.reader() as engine:
        return evaluate_alerts(state.workspace, engine=engine, publish=state.events.publish).to_dict()


@router.get("/alerts/{alert_id}", summary="One alert with its notification attempts", dependencies=READ,
            responses={**READ_RESPONSES, **_ALERT_NOT_FOUND})
def get_alert(request: Request, alert_id: AlertId) -> dict[str, Any]:
    store = _ws(request).store
    alert = store.get_alert(alert_id).to_dict()
    alert["notifications"] = [n.to_dict() for n in store.list_notification_attempts(alert_id)]
    return alert


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert", dependencies=ADMIN,
             responses={**_ALERT_NOT_FOUND, 409: problem_response("The alert is resolved")})
def acknowledge(request: Request, alert_id: AlertId) -> dict[str, Any]:
    alert = _ws(request).store.acknowledge_alert(alert_id).to_dict()
    server_state(request).events.publish("alert_acknowledged", alert)
    return alert


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert", dependencies=ADMIN,
             responses=_ALERT_NOT_FOUND)
def resolve(request: Request, alert_id: AlertId) -> dict[str, Any]:
    alert = _ws(request).store.resolve_alert(alert_id).to_dict()
    server_state(request).events.publish("alert_resolved", alert)
    return alert
