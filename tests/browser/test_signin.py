"""Signing in, in headless Chromium against the local runner: the local dev form, a refused
token, and the deployed mode with Cognito's hosted UI (authorization code + PKCE) answered
inside the browser: the learners' pool for the pages, the admin pool (config.adminAuth) for
/admin, each with its own client, callback and token."""
from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from browser_seed import ADMIN, Http
from pagehelpers import expect, sign_in

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------------------- sign-in
def test_sign_in_sign_out_and_expired_token(page, runner):
    page.goto(runner.base + "/learning")
    expect(page.locator("#signin h1")).to_have_text("Sign in")
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    sign_in(page, runner, "/learning", "tuan")
    token = page.evaluate("sessionStorage.getItem('speakpho.token')")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "tuan" and claims["cognito:groups"] == []
    expect(page.locator("#app")).to_be_visible()

    page.click("#signout")
    expect(page.locator("#signin-status")).to_have_text("You have signed out.")
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    # A token the API refuses (bad signature) -> 401 -> back to sign-in, saying why.
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "tuan", "exp": 4102444800}).encode()).decode().rstrip("=")
    page.evaluate("t => sessionStorage.setItem('speakpho.token', t)", f"eyJhbGciOiJIUzI1NiJ9.{payload}.AAAA")
    page.reload()
    expect(page.locator("#signin-status")).to_contain_text("Your sign-in has expired or is no longer valid")
    expect(page.locator("#signin-user")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None


# ---------------------------------------------------------------------------- deployed sign-in
def hosted_ui(seen: dict, *, callback: str, code: str, id_token: str):
    """A page.route handler playing one pool's hosted UI: /oauth2/authorize redirects to
    `callback` with `code` and the request's state, /oauth2/token answers `id_token`, /logout
    redirects to `callback`; what each was sent is kept in `seen`."""
    def answer(route):
        url = route.request.url
        if "/oauth2/authorize?" in url:
            seen["authorize"] = dict(parse_qsl(urlsplit(url).query))
            state = seen["authorize"]["state"]
            route.fulfill(status=302, headers={"Location": f"{callback}?code={code}&state={state}"})
        elif url.endswith("/oauth2/token"):
            seen["token"] = dict(parse_qsl(route.request.post_data))
            route.fulfill(status=200, headers={"Access-Control-Allow-Origin": "*"},
                          json={"id_token": id_token, "access_token": "unused", "token_type": "Bearer",
                                "expires_in": 3600})
        elif "/logout?" in url:
            seen["logout"] = dict(parse_qsl(urlsplit(url).query))
            route.fulfill(status=302, headers={"Location": callback})
        else:
            route.abort()
    return answer


def pkce_challenge(verifier: str) -> str:
    """S256: what the authorize request must have carried for this token request's verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_cognito_hosted_ui_sign_in_uses_pkce(page, runner):
    """The deployed mode, with Cognito's hosted UI and token endpoint answered in the
    browser (page.route): authorization code + PKCE, the ID token as bearer, sign-out."""
    host = "auth.speakpho.test"
    # The shape infra/stack.py writes (domain as the hosted UI's base URL).
    config = {"apiBase": "", "auth": {"mode": "cognito", "region": "us-east-1", "userPoolId": "us-east-1_Test",
                                      "clientId": "web-client-id", "domain": f"https://{host}",
                                      "redirectUri": f"{runner.base}/", "scopes": ["openid", "email", "profile"]}}
    id_token = Http(runner.base).post("/local/token", {"sub": "mai"}).data["token"]
    seen = {}

    cognito = hosted_ui(seen, callback=f"{runner.base}/", code="the-code", id_token=id_token)

    page.route(f"{runner.base}/config.json", lambda route: route.fulfill(json=config))
    page.route(f"https://{host}/**", cognito)
    page.goto(runner.base + "/learning")
    expect(page.locator("#signin-user")).to_have_count(0)   # no dev form in deployed mode
    page.click("#signin button")
    expect(page.locator("#account-name")).to_have_text("mai@example.com")
    assert urlsplit(page.url).path == "/learning" and "code=" not in page.url
    expect(page.locator("#history-status")).to_contain_text("You have no sessions yet.")

    authorize, token = seen["authorize"], seen["token"]
    assert {k: authorize[k] for k in ("response_type", "client_id", "redirect_uri", "code_challenge_method")} == {
        "response_type": "code", "client_id": "web-client-id", "redirect_uri": runner.base + "/",
        "code_challenge_method": "S256"}
    assert authorize["scope"] == "openid email profile"
    assert {k: token[k] for k in ("grant_type", "client_id", "code", "redirect_uri")} == {
        "grant_type": "authorization_code", "client_id": "web-client-id", "code": "the-code",
        "redirect_uri": runner.base + "/"}
    challenge = pkce_challenge(token["code_verifier"])
    assert challenge == authorize["code_challenge"] and len(token["code_verifier"]) >= 43
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") == id_token

    page.click("#signout")
    expect(page.locator("#signin-status")).to_have_text("You have signed out.")
    assert seen["logout"] == {"client_id": "web-client-id", "logout_uri": runner.base + "/"}
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    # A callback whose state this tab did not issue is refused.
    page.goto(runner.base + "/?code=stolen&state=forged")
    expect(page.locator("#signin-status")).to_contain_text("does not match this browser tab")
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None


def cognito_config(runner) -> dict:
    """The shape infra/stack.py writes: both pools, each with its own hosted UI and callback."""
    return {"apiBase": "",
            "auth": {"mode": "cognito", "region": "us-east-1", "userPoolId": "us-east-1_Learners",
                     "clientId": "web-client-id", "domain": "https://auth.speakpho.test",
                     "redirectUri": f"{runner.base}/", "scopes": ["openid", "email", "profile"]},
            "adminAuth": {"mode": "cognito", "region": "us-east-1", "userPoolId": "us-east-1_Admins",
                          "clientId": "admin-client-id", "domain": "https://admin-auth.speakpho.test",
                          "redirectUri": f"{runner.base}/admin", "scopes": ["openid", "email", "profile"]}}


def test_the_admin_page_signs_in_to_the_admin_pool(page, runner, seeded):
    """Deployed, /admin goes to the admin pool's hosted UI (its client, callback /admin), keeps
    that token apart from a learner's, sends it to the API and signs out of that pool."""
    config = cognito_config(runner)
    admin_token = Http(runner.base).post("/local/token", {"sub": ADMIN, "admin": True}).data["token"]
    learner_token = Http(runner.base).post("/local/token", {"sub": "mai"}).data["token"]
    seen: dict = {"api": []}

    admin_pool = hosted_ui(seen, callback=f"{runner.base}/admin", code="admin-code", id_token=admin_token)

    page.route(f"{runner.base}/config.json", lambda route: route.fulfill(json=config))
    page.route("https://admin-auth.speakpho.test/**", admin_pool)
    page.route("https://auth.speakpho.test/**", lambda route: seen.setdefault("learner pool used", route.request.url)
               and route.abort())
    page.on("request", lambda r: "/api/admin/" in r.url and seen["api"].append(r.headers.get("authorization")))
    # A learner signed in on this tab: the admin page neither uses nor replaces that token.
    page.goto(runner.base + "/")
    page.evaluate("t => sessionStorage.setItem('speakpho.token', t)", learner_token)
    page.goto(runner.base + "/admin#session=linked")
    expect(page.locator("#signin h1")).to_have_text("Administrator sign-in")
    expect(page.locator("#signin")).to_contain_text("authenticator app")
    expect(page.locator("#signin-user")).to_have_count(0)
    assert seen["api"] == []
    page.click("#signin button")

    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#account-name")).to_contain_text(f"{ADMIN}@example.com")
    authorize, token = seen["authorize"], seen["token"]
    assert {k: authorize[k] for k in ("response_type", "client_id", "redirect_uri", "code_challenge_method")} == {
        "response_type": "code", "client_id": "admin-client-id", "redirect_uri": runner.base + "/admin",
        "code_challenge_method": "S256"}
    assert {k: token[k] for k in ("client_id", "code", "redirect_uri")} == {
        "client_id": "admin-client-id", "code": "admin-code", "redirect_uri": runner.base + "/admin"}
    challenge = pkce_challenge(token["code_verifier"])
    assert challenge == authorize["code_challenge"]
    assert "learner pool used" not in seen
    assert urlsplit(page.url).path == "/admin" and "code=" not in page.url
    assert page.evaluate("location.hash") == "#session=linked"     # back where the sign-in started
    assert page.evaluate("sessionStorage.getItem('speakpho.adminToken')") == admin_token
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") == learner_token
    assert seen["api"] and set(seen["api"]) == {f"Bearer {admin_token}"}

    page.click("#signout")
    expect(page.locator("#signin-status")).to_have_text("You have signed out.")
    assert seen["logout"] == {"client_id": "admin-client-id", "logout_uri": runner.base + "/admin"}
    assert page.evaluate("sessionStorage.getItem('speakpho.adminToken')") is None


def test_locally_the_admin_page_keeps_the_dev_sign_in(page, runner, seeded):
    """The local runner's config has no adminAuth: /admin shows the dev form, as before."""
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#dashboard")).to_be_visible()
    token = page.evaluate("sessionStorage.getItem('speakpho.token')")
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["cognito:groups"] == ["admin"]
