"""The Segments page through FastAPI's TestClient: the list, creating, editing (a new
version), archiving, the live preview's JSON and the members CSV with the staff session,
refusals without the permission and without the CSRF token, each change audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.store.schema import audit_log

from .conftest import session_for


def signed(app, username: str) -> tuple[TestClient, str]:  # noqa: ANN001
    client = TestClient(app)
    token, csrf = session_for(app, username)
    client.cookies.set("croupier_session", token)
    return client, csrf


def create(client: TestClient, csrf: str, name: str, text: str, purpose: str = "service"):  # noqa: ANN201
    return client.post("/segments/new", data={"csrf_token": csrf, "name": name, "purpose": purpose,
                                              "description": "", "text": text}, follow_redirects=False)


def audit_kinds(app, subject: str) -> list[str]:  # noqa: ANN001
    with app.state.runtime.db.engine.connect() as conn:
        return [r.kind for r in conn.execute(select(audit_log).where(audit_log.c.subject == subject)
                                             .order_by(audit_log.c.seq))]


def test_create_list_edit_archive(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    made = create(carl, csrf, "Depositors", "deposit_sum_30d   >=  1")
    assert made.status_code == 303
    path = made.headers["location"]
    segment_id = path.rsplit("/", 1)[1]
    listing = carl.get("/segments").text
    row = re.search(rf'<tr data-segment-id="{segment_id}">.*?</tr>', listing, re.S).group(0)
    assert "Depositors" in row and f'href="/segments/{segment_id}"' in row
    assert "players whose sum of approved deposits in the last 30 days is at least 1" in row
    page = carl.get(path).text
    assert "deposit_sum_30d &gt;= 1" in page            # the canonical text, in the textarea
    assert f'/bo/api/segments/{segment_id}/members.csv' in page

    edited = carl.post(path, data={"csrf_token": csrf, "name": "Depositors", "purpose": "service",
                                   "description": "anyone who deposited", "text": "deposit_sum_30d >= 200"},
                       follow_redirects=False)
    assert edited.status_code == 303
    unchanged = carl.post(path, data={"csrf_token": csrf, "name": "Depositors", "purpose": "service",
                                      "description": "anyone who deposited", "text": "deposit_sum_30d >= 200"},
                          follow_redirects=False)
    assert unchanged.status_code == 303           # the form saved again as it was: no third version
    page = carl.get(path).text
    assert re.findall(r'<tr data-version="(\d+)">', page) == ["2", "1"]
    assert "deposit_sum_30d &gt;= 200" in page
    csv = carl.get(f"/bo/api/segments/{segment_id}/members.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.split() == ["player_id", "se-anna-1"]   # 350 SEK deposited; ghost-7 only 20 EUR

    archived = carl.post(f"{path}/archive", data={"csrf_token": csrf}, follow_redirects=False)
    assert archived.status_code == 303
    assert f'data-segment-id="{segment_id}"' not in carl.get("/segments").text
    assert f'data-segment-id="{segment_id}"' in carl.get("/segments?archived=true").text
    page = carl.get(path).text
    assert 'id="save-segment"' not in page and 'id="archive-segment"' not in page
    assert carl.get(f"/bo/api/segments/{segment_id}/members.csv").status_code == 409
    assert audit_kinds(app, segment_id) == ["segment.created", "segment.updated", "segment.archived"]


def test_a_bad_definition_is_refused_with_its_position(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    refused = create(carl, csrf, "Typo", "deposit_sum_30 >= 1")
    assert refused.status_code == 422
    problems = re.search(r'<ul class="alert alert-error" id="segment-problems">(.*?)</ul>', refused.text, re.S).group(1)
    assert "line 1, column 1" in problems and "deposit_sum_30d" in problems
    assert 'value="Typo"' in refused.text            # what was typed is kept
    assert create(carl, csrf, "Dup", "deposit_count_30d >= 1").status_code == 303
    taken = create(carl, csrf, "Dup", "deposit_count_30d >= 2")
    assert taken.status_code == 409 and "exists" in taken.text


def test_preview_json_with_the_session(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    answer = carl.post("/bo/api/segments/preview", json={"text": "deposit_sum_30d >= 1", "purpose": "service"},
                       headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and sorted(body["sample"]) == ["ghost-7", "se-anna-1"]
    assert body["summary"] and body["text"] == "deposit_sum_30d >= 1"
    assert body["left_out"] == {"total": 0, "by_reason": []}
    promo = carl.post("/bo/api/segments/preview", json={"text": "deposit_sum_30d >= 1"},
                      headers={"X-CSRF-Token": csrf}).json()
    assert promo["purpose"] == "promotional"      # neither may be sent a promotion: both left out, by reason
    assert {r["code"] for r in promo["left_out"]["by_reason"]} >= {"player_not_registered"}
    assert promo["count"] + promo["left_out"]["total"] == body["count"]
    assert sum(r["players"] for r in promo["left_out"]["by_reason"]) == promo["left_out"]["total"]

    typo = carl.post("/bo/api/segments/preview", json={"text": "deposit_sum_30 >= 1"},
                     headers={"X-CSRF-Token": csrf})
    assert typo.status_code == 422
    problem = typo.json()["problems"][0]
    assert (problem["line"], problem["column"]) == (1, 1)
    assert "deposit_sum_30d" in problem["suggestions"]

    no_token = carl.post("/bo/api/segments/preview", json={"text": "deposit_sum_30d >= 1"})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    assert carl.post("/bo/api/segments/preview", json={"text": "x", "sample": 1000},
                     headers={"X-CSRF-Token": csrf}).status_code == 400
    signed_out = TestClient(app).post("/bo/api/segments/preview", json={"text": "deposit_sum_30d >= 1"})
    assert signed_out.status_code == 401


def test_permissions_and_csrf(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    made = create(carl, csrf, "Bettors", "bet_count_30d >= 1")
    assert made.status_code == 303
    path = made.headers["location"]

    aud, aud_csrf = signed(app, "aud")        # an auditor reads segments, but may not edit them
    assert aud.get("/segments").status_code == 200
    assert 'id="new-segment"' not in aud.get("/segments").text
    page = aud.get(path)
    assert page.status_code == 200 and 'id="save-segment"' not in page.text and "readonly" in page.text
    assert aud.get("/segments/new").status_code == 403
    for target, data in (("/segments/new", {"name": "Mine", "text": "bet_count_30d >= 1"}),
                         (path, {"name": "Bettors", "text": "bet_count_30d >= 9"}), (f"{path}/archive", {})):
        refused = aud.post(target, data={"csrf_token": aud_csrf, **data}, follow_redirects=False)
        assert refused.status_code == 403 and "segments.edit" in refused.text

    for username in ("rita", "sam"):          # an RG officer and a support agent have no decisions.view
        other, other_csrf = signed(app, username)
        for refused in (other.get("/segments"), other.get(path),
                        other.get(f"/bo/api/segments/{path.rsplit('/', 1)[1]}/members.csv"),
                        other.post("/bo/api/segments/preview", json={"text": "bet_count_30d >= 1"},
                                   headers={"X-CSRF-Token": other_csrf})):
            assert refused.status_code == 403 and "decisions.view" in refused.text

    forged = carl.post(path, data={"csrf_token": "not-the-token", "name": "Bettors", "text": "bet_count_30d >= 9"},
                       follow_redirects=False)
    assert forged.status_code == 403 and "Form refused" in forged.text
    assert carl.post(f"{path}/archive", data={}, follow_redirects=False).status_code == 403
    assert re.findall(r'<tr data-version="(\d+)">', carl.get(path).text) == ["1"]   # nothing changed

    assert TestClient(app).get("/segments", follow_redirects=False).status_code == 303
    assert TestClient(app).get(f"/bo/api/segments/{path.rsplit('/', 1)[1]}/members.csv").status_code == 401
    assert carl.get("/segments/999999").status_code == 404


def test_the_builder_vocabulary_and_a_preview_of_the_builders_json_form(app) -> None:  # noqa: ANN001
    from croupier.segments import default_vocabulary

    carl, csrf = signed(app, "carl")
    vocabulary = carl.get("/bo/api/segments/vocabulary")
    assert vocabulary.status_code == 200
    names = [i["name"] for g in vocabulary.json()["groups"] for i in g["identifiers"]]
    assert sorted(names) == sorted(default_vocabulary())      # the package's vocabulary, not a copy
    assert TestClient(app).get("/bo/api/segments/vocabulary").status_code == 401

    def preview(body: bytes):  # noqa: ANN202
        return carl.post("/bo/api/segments/preview", content=body,
                         headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"})

    # the builder's JSON form, its numbers as typed: answered with the canonical text and the exact tree
    made = preview(b'{"purpose": "service", "definition": {"all": [{"feature": "deposit_sum_30d", "op": ">=", '
                   b'"value": 200.50}, {"not": {"any": [{"feature": "excluded", "op": "=", "value": true}]}}]}}')
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["text"] == "deposit_sum_30d >= 200.50 and not excluded = true"
    assert body["count"] == 1 and body["sample"] == ["se-anna-1"]
    assert body["summary"].startswith("players whose sum of approved deposits in the last 30 days is at least 200.50")
    assert body["tree"] == {"all": [{"feature": "deposit_sum_30d", "op": ">=", "value": "200.50"},
                                    {"not": {"feature": "excluded", "op": "=", "value": True}}]}
    # a text's answer carries its tree too, for the builder to draw
    assert preview(b'{"text": "rg.level >= medium"}').json()["tree"] == {"feature": "rg.level", "op": ">=",
                                                                         "value": "medium"}
    # a value the vocabulary refuses: the problems at the canonical text's line and column, and that text
    refused = preview(b'{"definition": {"feature": "deposit_count_30d", "op": "between", "value": [-1, 5]}}')
    assert refused.status_code == 422
    assert refused.json()["text"] == "deposit_count_30d between -1 and 5"
    problem = refused.json()["problems"][0]
    assert (problem["line"], problem["column"]) == (1, 27) and "below the smallest value" in problem["message"]
    # a shape that is no definition: where, by JSON path
    bad = preview(b'{"definition": {"all": []}}')
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "definition.all"
    assert preview(b'{"definition": {"feature": "excluded", "op": "=", "value": true}, "text": "excluded = true"}'
                   ).status_code == 400                     # one of the two
