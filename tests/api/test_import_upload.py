"""Imports as a multipart file upload (what client generators support) go through the same importer."""
import io
from pathlib import Path

SAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "import-sample.ndjson").read_bytes()


def upload(api, body, field="file", filename="data.ndjson"):
    return api.post("/v1/imports", data={field: (io.BytesIO(body), filename)}, content_type="multipart/form-data")


def test_uploaded_file_gives_the_same_report_as_the_ndjson_body(api, other_api):
    uploaded = upload(api, SAMPLE)
    assert uploaded.status_code == 200, uploaded.json
    posted = other_api.post("/v1/imports", data=SAMPLE, content_type="application/x-ndjson")
    assert posted.status_code == 200, posted.json
    for report in (uploaded.json, posted.json):
        assert report["lines_read"] == len(SAMPLE.splitlines())
        assert report["rejected_count"] == 0
    assert uploaded.json["stored"] == posted.json["stored"]
    assert sorted(c["handle"] for c in api.get("/v1/creators").json) == ["alice.cooks", "bob.eats"]


def test_rejected_lines_of_an_upload_are_reported_with_their_line_numbers(api):
    body = SAMPLE.splitlines()[0] + b"\n{not json\n"
    report = upload(api, body).json
    assert report["rejected_count"] == 1 and report["rejected"][0]["line"] == 2


def test_a_form_without_the_file_field_is_422_naming_it(api):
    response = upload(api, SAMPLE, field="upload")
    assert response.status_code == 422
    assert response.json["errors"] == {"files": {"file": ["Missing data for required field."]}}
    assert api.get("/v1/creators").json == []
