"""/api/aarrr/*: the AARRR funnel end to end and activation — definitions, the range's activation rate, scores
and time to activate, the onboarding bottlenecks with recommendations, and one person's activation. Ranges are
reporting days (from/to or range, as /api/product/*); 'now' is the workspace's (``Settings.now``).
(/api/aarrr/acquisition lives in acquisition.py.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from growthos.analysis.activation.service import (
    activation_bottlenecks,
    activation_definitions,
    activation_summary,
    funnel_summary,
    user_activation,
)
from growthos.server.api.params import READ, READ_RESPONSES, Range, problem_response, server_state

router = APIRouter(prefix="/aarrr", tags=["AARRR"], dependencies=READ, responses=READ_RESPONSES)


@router.get("/funnel", summary="New people → sign-ups → activated → retained → referring / paying, with rates")
def aarrr_funnel_route(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return funnel_summary(engine, state.settings, rng)


@router.get("/activation", summary="Activation rate, scores, time to activate and reach of each definition")
def activation_route(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return activation_summary(engine, state.settings, rng)


@router.get("/activation/definitions", summary="The activation definitions in force (activation.yaml or defaults)")
def activation_definitions_route(request: Request) -> dict[str, Any]:
    return activation_definitions(server_state(request).settings)


@router.get("/activation/bottlenecks", summary="The onboarding funnel, its bottlenecks and what to do about them")
def activation_bottlenecks_route(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return activation_bottlenecks(engine, state.settings, rng)


@router.get("/activation/users/{person_id:path}", summary="One person's activation: definitions met, score",
            responses={404: problem_response("No person has this id, or they have not signed up")})
def activation_user_route(request: Request, person_id: Annotated[str, Path(min_length=1, max_length=200)]
                          ) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return user_activation(engine, state.settings, person_id)
