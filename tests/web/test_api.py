"""The REST API over HTTP: the CLI's JSON shapes, validated against docs/schemas/, and every error
status the issue names."""

from __future__ import annotations

import pytest

from tests.web.conftest import Demo, Served, cli_json, get_json, validate

# (endpoint, query, schema): every read endpoint with the schema of its CLI twin.
READS = [
    ("/api/v1/report", {}, "report"),
    ("/api/v1/report", {"as_of": "2024-06", "definition": "previous-month"}, "report"),
    ("/api/v1/movements", {"from": "2024-01"}, "movements"),
    ("/api/v1/trend", {"by": "segment"}, "trend"),
    ("/api/v1/cohorts", {"period": "quarter"}, "cohorts"),
    ("/api/v1/segments", {"by": "segment,region"}, "segments"),
    ("/api/v1/explain", {"from": "2024-06", "to": "2024-12"}, "explain"),
    ("/api/v1/bridge", {"by": "segment"}, "bridge"),
    ("/api/v1/behind", {"change": "churn"}, "behind"),
    ("/api/v1/benchmark", {}, "benchmark"),
    ("/api/v1/metrics", {"from": "2024-01"}, "metrics"),
    ("/api/v1/customers", {"movement": "churn", "month": "2024-06"}, "customers"),
    ("/api/v1/customers/C0000001", {}, "customers"),
    ("/api/v1/definitions", {}, "definitions-list"),
    ("/api/v1/definitions/ndr@1", {}, "definition"),
    ("/api/v1/definitions/diff", {"a": "ndr", "b": "ndr-lenient"}, "definitions-diff"),
    ("/api/v1/compare", {}, "compare"),
    ("/api/v1/rejects", {}, "rejects"),
]


@pytest.mark.parametrize(("path", "query", "schema"), READS, ids=[r[0] + str(r[1]) for r in READS])
def test_every_read_matches_its_schema(site: Served, path: str, query: dict, schema: str) -> None:
    data = get_json(site, path, **query)
    validate(schema, data)
    assert data, f"{path} returned nothing on the demo company"


# The same question to the CLI and to the API gives the same JSON.
SAME = [
    (("report", "--as-of", "2024-06"), "/api/v1/report", {"as_of": "2024-06"}),
    (("movements",), "/api/v1/movements", {}),
    (("cohorts",), "/api/v1/cohorts", {}),
    (("segments", "--by", "segment"), "/api/v1/segments", {"by": "segment"}),
    (("bridge",), "/api/v1/bridge", {}),
    (("compare", "-d", "ndr", "-d", "ndr-lenient"), "/api/v1/compare", {}),
    (("customers", "--customer", "C0000002"), "/api/v1/customers/C0000002", {}),
    (("rejects",), "/api/v1/rejects", {}),
]


@pytest.mark.parametrize(("args", "path", "query"), SAME, ids=[s[1] for s in SAME])
def test_api_equals_cli_json(demo: Demo, site: Served, args, path, query) -> None:
    if args[0] == "compare":
        query = {"definition": ["ndr", "ndr-lenient"]}
    assert get_json(site, path, **query) == cli_json(*args, "--db", demo.db)


def test_csv_download_has_the_rows_of_the_json(site: Served) -> None:
    rows = get_json(site, "/api/v1/movements")
    response = site.client.get("/api/v1/movements", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].split(",")[:3] == ["month", "mrr", "customers"]
    assert len(lines) == len(rows) + 1


@pytest.mark.parametrize(
    ("path", "query", "status", "fragment"),
    [
        ("/api/v1/report", {"as_of": "2031-01"}, 404, "is in the future"),
        ("/api/v1/report", {"as_of": "2019-01"}, 404, "before the ledger's first month"),
        ("/api/v1/report", {"as_of": "June"}, 400, "June"),
        ("/api/v1/report", {"definition": "nope"}, 400, "nope"),
        ("/api/v1/customers/NOBODY", {}, 404, "NOBODY"),
        ("/api/v1/cohorts", {"period": "week"}, 400, "period"),
        ("/api/v1/segments", {}, 400, "by"),
        ("/api/v1/customers", {"sort": "amount"}, 400, "movement"),
        ("/api/v1/refused/passwords", {}, 404, "passwords"),
        ("/api/v1/nothing-here", {}, 404, "Not Found"),
    ],
)
def test_errors_are_json_with_the_right_status(
    site: Served, path: str, query: dict, status: int, fragment: str
) -> None:
    body = get_json(site, path, status=status, **query)
    assert body["ok"] is False and body["status"] == status
    assert fragment in body["error"]


def test_openapi_lists_every_endpoint(site: Served) -> None:
    spec = get_json(site, "/openapi.json")
    for name in ("report", "movements", "trend", "cohorts", "segments", "explain", "bridge"):
        assert f"/api/v1/{name}" in spec["paths"]
    for name in ("benchmark", "metrics", "customers", "definitions", "compare", "rejects"):
        assert f"/api/v1/{name}" in spec["paths"]
    assert "/api/v1/ingest" in spec["paths"] and "/api/v1/ingests" in spec["paths"]
    assert site.client.get("/docs").status_code == 200


def test_every_response_carries_the_security_headers(site: Served) -> None:
    response = site.client.get("/api/v1/report")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
