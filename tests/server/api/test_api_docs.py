"""OpenAPI at /api/docs lists every API route with a summary, its parameters and its problem responses."""

from __future__ import annotations

import pytest

ROUTES = {
    ("get", "/api/health"),
    ("get", "/api/metrics/summary"),
    ("get", "/api/metrics/timeseries"),
    ("get", "/api/metrics/channels"),
    ("get", "/api/metrics/campaigns"),
    ("get", "/api/metrics/funnel"),
    ("get", "/api/metrics/unit-economics"),
    ("get", "/api/metrics/cohorts"),
    ("get", "/api/catalogue"),
    ("get", "/api/jobs"),
    ("get", "/api/jobs/{job_id}"),
    ("get", "/api/checks"),
    ("get", "/api/stream"),
    ("post", "/api/builds"),
}


@pytest.fixture(scope="module")
def openapi(api):
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_docs_page_is_served(api):
    response = api.get("/api/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_every_route_is_documented_with_a_summary(openapi):
    documented = {(method, path) for path, ops in openapi["paths"].items() if path.startswith("/api/")
                  for method in ops}
    assert ROUTES <= documented
    for method, path in documented:
        assert openapi["paths"][path][method]["summary"].strip(), (method, path)


def test_protected_routes_document_auth_problems(openapi):
    assert openapi["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for method, path in ROUTES - {("get", "/api/health")}:
        responses = openapi["paths"][path][method]["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        assert "application/problem+json" in responses["401"]["content"]


def test_query_parameters_use_their_public_names(openapi):
    names = {p["name"] for p in openapi["paths"]["/api/metrics/summary"]["get"]["parameters"]}
    assert names == {"from", "to", "range", "metrics"}
    timeseries = {p["name"]: p for p in openapi["paths"]["/api/metrics/timeseries"]["get"]["parameters"]}
    assert timeseries["metrics"]["required"] is True
    assert timeseries["interval"]["schema"]["enum"] == ["day", "week"]
