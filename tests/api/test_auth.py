"""API keys: bearer auth, roles, hashing at rest, revocation."""
from sqlalchemy import select

from influencers.workspaces.models import ApiKey


def test_missing_and_bad_keys_are_401(app):
    client = app.test_client()
    assert client.get("/v1/creators").status_code == 401
    assert client.get("/v1/creators", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/v1/creators", headers={"Authorization": "Bearer inf_abc_def"}).status_code == 401
    assert client.get("/v1/creators", headers={"Authorization": "Basic Zm9vOmJhcg=="}).status_code == 401


def test_health_and_docs_are_public(app):
    client = app.test_client()
    assert client.get("/health").json["status"] == "ok"
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Assets come from the app itself, not a CDN: the page works offline.
    assert b"/docs/assets/swagger-ui-bundle.js" in docs.data
    assert b"https://" not in docs.data.split(b"<script")[1] if b"<script" in docs.data else True
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:  # a file response: closed after
        assert asset.status_code == 200
    assert client.get("/openapi.json").json["openapi"].startswith("3.")


def test_key_lifecycle_shown_once_hashed_listed_revoked(api, database):
    created = api.post("/v1/keys", json={"name": "reporting", "role": "viewer"})
    assert created.status_code == 201
    plaintext = created.json["key"]
    listed = api.get("/v1/keys").json
    assert all("key" not in k for k in listed)
    assert "reporting" in [k["name"] for k in listed]
    with database.session() as session:
        stored = session.scalars(select(ApiKey.secret_hash)).all()
    assert all(plaintext.split("_", 2)[2] not in h for h in stored)
    viewer = api.client.get("/v1/creators", headers={"Authorization": f"Bearer {plaintext}"})
    assert viewer.status_code == 200
    assert api.delete(f"/v1/keys/{created.json['id']}").json["revoked_at"] is not None
    again = api.client.get("/v1/creators", headers={"Authorization": f"Bearer {plaintext}"})
    assert again.status_code == 401


def test_roles(client_for):
    viewer = client_for("viewer")
    assert viewer.get("/v1/creators").status_code == 200
    denied = viewer.post("/v1/creators", json={"platform": "instagram", "handle": "v", "followers": 1})
    assert denied.status_code == 403
    assert viewer.get("/v1/keys").status_code == 403
    manager = client_for("manager")
    assert manager.post("/v1/creators", json={"platform": "instagram", "handle": "m",
                                              "followers": 1}).status_code == 201
    assert manager.post("/v1/keys", json={"name": "x", "role": "admin"}).status_code == 403


def test_invalid_role_is_422(api):
    response = api.post("/v1/keys", json={"name": "x", "role": "superuser"})
    assert response.status_code == 422
    assert "role" in response.json["errors"]["json"]


def test_a_key_cannot_revoke_itself(api):
    me = next(k for k in api.get("/v1/keys").json if api.key.split("_")[1] == k["prefix"])
    response = api.delete(f"/v1/keys/{me['id']}")
    assert response.status_code == 409
    assert api.get("/v1/keys").status_code == 200
