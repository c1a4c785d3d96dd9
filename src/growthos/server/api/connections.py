"""Connections to third-party APIs (admin scope): /api/connections CRUD and test, and /api/connectors, the kinds
and their fields (for the form). Secrets go in, never out: responses show them masked (``••••`` + last 4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from growthos.server.api.params import ADMIN, AUTH_RESPONSES, problem_response, server_state
from growthos.store.connections import describe_connectors

router = APIRouter(tags=["connections"], dependencies=ADMIN, responses=AUTH_RESPONSES)

ConnectionName = Annotated[str, Path(max_length=64, description="The connection's name.", examples=["main-shop"])]
_NOT_FOUND = {404: problem_response("No connection with this name")}
_INVALID = {422: problem_response("Invalid input; invalid_params names the field")}


class NewConnection(BaseModel):
    """A connection to create: ``values`` holds every field of the connector, secret or not."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Lowercase letters, digits and dashes; at most 64.", examples=["main-shop"])
    kind: str = Field(description="A connector from GET /api/connectors.", examples=["shopify"])
    values: dict[str, Any] = Field(default_factory=dict, description="Field name -> value; secrets are encrypted.",
                                   examples=[{"shop_domain": "acme.myshopify.com", "access_token": "shpat_..."}])
    api_base_url: str | None = Field(default=None, description="Send API calls here instead (a proxy).")


class ConnectionChange(BaseModel):
    """Fields to change; a secret left out keeps its value, null (or "") removes an optional field."""

    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] = Field(default_factory=dict, description="Field name -> new value (null removes).")
    api_base_url: str | None = Field(default=None, description="Omit to keep; null removes.")


@router.get("/connectors", summary="Connector kinds and the fields a connection of each takes")
def list_connectors() -> dict[str, Any]:
    return {"connectors": describe_connectors()}


@router.get("/connections", summary="Connections, secrets masked")
def list_connections(request: Request) -> dict[str, Any]:
    return {"connections": [c.to_dict() for c in server_state(request).workspace.store.list_connections()]}


@router.post("/connections", status_code=201, summary="Create a connection (secrets stored encrypted)",
             responses={**_INVALID, 409: problem_response("A connection with this name exists")})
def create_connection(request: Request, body: NewConnection) -> JSONResponse:
    created = server_state(request).workspace.store.create_connection(body.name, body.kind, body.values,
                                                                      api_base_url=body.api_base_url)
    return JSONResponse(created.to_dict(), status_code=201, headers={"Location": f"/api/connections/{created.name}"})


@router.get("/connections/{name}", summary="One connection, secrets masked", responses=_NOT_FOUND)
def get_connection(request: Request, name: ConnectionName) -> dict[str, Any]:
    return server_state(request).workspace.store.get_connection(name).to_dict()


@router.patch("/connections/{name}", summary="Change some fields of a connection",
              responses={**_NOT_FOUND, **_INVALID})
def update_connection(request: Request, name: ConnectionName, body: ConnectionChange) -> dict[str, Any]:
    api_base_url = body.api_base_url if "api_base_url" in body.model_fields_set else ...
    return server_state(request).workspace.store.update_connection(name, body.values, api_base_url).to_dict()


@router.delete("/connections/{name}", status_code=204, summary="Remove a connection and its secrets",
               responses=_NOT_FOUND)
def delete_connection(request: Request, name: ConnectionName) -> Response:
    server_state(request).workspace.store.delete_connection(name)
    return Response(status_code=204)


@router.post("/connections/{name}/test", summary="Make one authenticated call with the connection; recorded",
             responses=_NOT_FOUND)
def test_connection(request: Request, name: ConnectionName) -> dict[str, Any]:
    return server_state(request).workspace.store.test_connection(name).to_dict()
