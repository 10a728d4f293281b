"""Uploads over HTTP: the key, the size limit, rejects, one ingest at a time, the data folder."""

from __future__ import annotations

from tests.ingest.usage_cases import (
    PLAN_COUNTS,
    PLAN_REJECTS,
    PLANS,
    USAGE,
    USAGE_COUNTS,
    USAGE_REJECTS,
)
from tests.web.conftest import (
    GOOD_LINE,
    Served,
    get_json,
    lines_csv,
    post_ingest,
    validate,
)


def test_an_upload_with_bad_rows_ingests_the_rest_and_lists_each_reject(writable: Served) -> None:
    before = get_json(writable, "/api/v1/ingests")
    response = post_ingest(writable)
    assert response.status_code == 200, response.text
    result = validate("ingest", response.json())
    assert result["accepted"] == 1 and result["rejected"] == 2
    assert [(r["row"], r["column"]) for r in result["rejects"]] == [
        (3, "amount"),
        (4, "invoice_date"),
    ]
    assert len(get_json(writable, "/api/v1/ingests")) == len(before) + 1
    rejects = get_json(writable, "/api/v1/rejects", ingest=result["ingest_id"])
    assert {r["value"] for r in rejects} == {"12,5x", "2024-13-45"}
    refused = writable.client.get("/api/v1/refused/invoice_lines", params={"ingest": 2})
    assert refused.text.splitlines()[0].startswith("line_id,customer_id")
    assert len(refused.text.strip().splitlines()) == 3


def test_uploads_stay_in_the_data_folder_under_server_chosen_names(writable: Served) -> None:
    files = {"invoice_lines": ("../../etc/passwd.csv", lines_csv(GOOD_LINE), "text/csv")}
    headers = {"X-API-Key": writable.ledger.settings.api_key or ""}
    response = writable.client.post("/api/v1/ingest", files=files, headers=headers)
    assert response.status_code == 200, response.text
    saved = [p for p in writable.settings.data_dir.rglob("*") if p.is_file()]
    assert [p.name for p in saved] == ["invoice_lines.csv"]
    assert saved[0].resolve().is_relative_to(writable.settings.data_dir.resolve())


def test_an_ingest_changes_the_figures_the_api_serves(writable: Served) -> None:
    before = get_json(writable, "/api/v1/movements", **{"from": "2024-12"})
    assert post_ingest(writable, body=lines_csv(GOOD_LINE)).status_code == 200
    after = get_json(writable, "/api/v1/movements", **{"from": "2024-12"})
    assert after[0]["mrr"] > before[0]["mrr"]  # the cache was dropped, not served stale


def test_a_write_without_the_key_is_refused(writable: Served) -> None:
    missing = post_ingest(writable, key=None)
    assert missing.status_code == 401 and "API key" in missing.json()["error"]
    wrong = post_ingest(writable, key="guess")
    assert wrong.status_code == 403 and "guess" not in wrong.text
    assert {r["ingest_id"] for r in get_json(writable, "/api/v1/ingests")} == {1}


def test_a_strict_upload_with_bad_rows_is_refused_with_its_rejects(writable: Served) -> None:
    response = post_ingest(writable, strict="true")
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    assert sorted(e["row"] for e in body["errors"]) == [3, 4]
    assert {r["ingest_id"] for r in get_json(writable, "/api/v1/ingests")} == {1}


def test_an_upload_over_the_limit_gets_413(writable: Served) -> None:
    row = GOOD_LINE + "\n"
    body = lines_csv() + row.encode() * (3 * 1024 * 1024 // len(row))
    response = post_ingest(writable, body=body)
    assert response.status_code == 413
    assert "size limit" in response.json()["error"]


def test_a_second_ingest_while_one_runs_gets_409(writable: Served) -> None:
    with writable.ledger.writing():  # the server's own write lock, as a running ingest holds it
        response = post_ingest(writable)
        assert response.status_code == 409
        assert "already running" in response.json()["error"]
        assert get_json(writable, "/api/v1/report")["ndr"] > 0  # readers carry on
    assert post_ingest(writable).status_code == 200


def test_an_upload_that_runs_out_of_memory_gets_one_sentence(writable: Served) -> None:
    """DuckDB out of the memory it may use: 503 with what to do, and nothing ingested."""
    with writable.ledger.writing() as ledger:
        ledger.store.set_memory_limit("1MB")
    try:
        response = post_ingest(writable)
    finally:
        with writable.ledger.writing() as ledger:
            ledger.store.set_memory_limit("2GB")
    assert response.status_code == 503
    error = response.json()["error"]
    assert (
        error.startswith("DuckDB ran out of the memory it may use")
        and "nothing was changed" in error
    )
    assert {r["ingest_id"] for r in get_json(writable, "/api/v1/ingests")} == {1}
    assert post_ingest(writable).status_code == 200


def test_an_upload_with_no_file_is_a_bad_request(writable: Served) -> None:
    key = {"X-API-Key": writable.ledger.settings.api_key or ""}
    response = writable.client.post("/api/v1/ingest", data={"strict": "false"}, headers=key)
    assert response.status_code == 400
    assert "at least one file" in response.json()["error"]


def test_usage_events_and_plans_upload_like_the_cli_ingest(writable: Served) -> None:
    """Both kinds of issue 12 go through the API with the same rejects as `netretain ingest`."""
    files = {
        "usage_events": ("usage.csv", USAGE.read_bytes(), "text/csv"),
        "plans": ("plans.csv", PLANS.read_bytes(), "text/csv"),
    }
    headers = {"X-API-Key": writable.ledger.settings.api_key or ""}
    response = writable.client.post("/api/v1/ingest", files=files, headers=headers)
    assert response.status_code == 200, response.text
    result = validate("ingest", response.json())
    counts = {f["kind"]: (f["accepted"], f["unchanged"], f["rejected"]) for f in result["files"]}
    assert counts == {"usage_events": USAGE_COUNTS, "plans": PLAN_COUNTS}
    rejects = {
        kind: sorted(
            (r["row"], r["column"], r["reason"], r["value"] or "")
            for r in result["rejects"]
            if r["file"].endswith(f"{kind}.csv")
        )
        for kind in ("usage_events", "plans")
    }
    assert rejects == {"usage_events": USAGE_REJECTS, "plans": PLAN_REJECTS}
    refused = writable.client.get("/api/v1/refused/usage_events", params={"ingest": 2})
    assert refused.text.splitlines()[0].startswith("customer_id,date,metric,quantity")
    assert len(refused.text.strip().splitlines()) == 1 + len(USAGE_REJECTS)
