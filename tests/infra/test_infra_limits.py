"""The availability limits (infra/limits.py) against the synthesized stage: every catalog route
has its own throttle, none is forgotten or stale, the hot routes carry 100,000 learners in
sessions (docs/scale.md's rates), the expensive ones are tighter, the WAF rates are the data's,
and a classroom behind one NAT stays under the per-IP rate."""
from __future__ import annotations

import pytest

from infra.catalog import routes
from infra.constructs.api import method_key
from infra.limits import (DEFAULT_THROTTLE, LEARNERS_IN_SESSIONS, ROUTE_THROTTLES, WAF_IP_LIMIT, WAF_SIGNUP_LIMIT,
                          WAF_TOKEN_LIMIT, WAF_WINDOW_SECONDS, throttle_for)

# docs/scale.md, `make load`: calls per learner-hour in a session.
# make load, docs/scale.md (heartbeat every 60 s)
PER_LEARNER_HOUR = {"heartbeat": 60.0, "events": 9.29, "start": 6.16, "end": 6.16, "reads": 6.16, "all": 101.7}
ACCOUNT_RATE, ACCOUNT_BURST = 10_000, 5_000     # API Gateway's Regional account default
EXPENSIVE = [("POST", "/api/session/start"), ("POST", "/api/session/connect"), ("POST", "/api/session/access"),
             ("POST", "/api/session/end"), ("POST", "/api/learning/corrections/import"),
             ("DELETE", "/api/learning/history"), ("GET", "/api/admin/sessions/export.csv")]


def stage_method_settings(synth) -> dict[str, dict]:
    stage = next(iter(synth.of_type("AWS::ApiGateway::Stage").values()))["Properties"]
    return {f"{s['ResourcePath']}/{s['HttpMethod']}": s for s in stage["MethodSettings"]}


def peak_rate(per_learner_hour: float) -> float:
    return LEARNERS_IN_SESSIONS * per_learner_hour / 3600


def test_every_route_has_its_own_throttle_in_the_template(synth):
    """None forgotten: one MethodSettings entry per catalog route, with the data's numbers."""
    settings = stage_method_settings(synth)
    for route in routes():
        throttle = throttle_for(route.method, route.path)
        entry = settings.get("/~1" + route.path.lstrip("/").replace("/", "~1") + f"/{route.method}")
        assert entry is not None, f"{route.method} {route.path} has no throttle of its own"
        assert (entry["ThrottlingRateLimit"], entry["ThrottlingBurstLimit"]) == (throttle.rate, throttle.burst), route
        assert entry["LoggingLevel"] == "ERROR" and entry["DataTraceEnabled"] is False and entry["MetricsEnabled"]


def test_the_stage_default_is_the_data_default(synth):
    default = stage_method_settings(synth)["/*/*"]
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == (DEFAULT_THROTTLE.rate,
                                                                                 DEFAULT_THROTTLE.burst)
    assert len(stage_method_settings(synth)) == len(routes()) + 1


def test_no_stale_limit():
    """Every named route exists (a renamed route must not keep a limit nobody applies)."""
    declared = {(r.method, r.path) for r in routes()}
    assert set(ROUTE_THROTTLES) <= declared, set(ROUTE_THROTTLES) - declared
    assert all(len(t.why.split()) >= 3 for t in ROUTE_THROTTLES.values())


@pytest.mark.parametrize("route,per_hour", [
    (("POST", "/api/session/heartbeat"), PER_LEARNER_HOUR["heartbeat"]),
    (("POST", "/api/session/events"), PER_LEARNER_HOUR["events"]),
    (("POST", "/api/session/start"), PER_LEARNER_HOUR["start"]),
    (("POST", "/api/session/end"), PER_LEARNER_HOUR["end"]),
    (("GET", "/api/learning/history"), PER_LEARNER_HOUR["reads"]),
    (("GET", "/api/learning/review"), PER_LEARNER_HOUR["reads"]),
    (("PATCH", "/api/learning/corrections/{id}"), PER_LEARNER_HOUR["reads"]),
])
def test_learner_routes_carry_the_peak_with_headroom(route, per_hour):
    assert throttle_for(*route).rate >= 1.4 * peak_rate(per_hour), (route, peak_rate(per_hour))


def test_hot_routes_are_sized_from_docs_scale_md():
    assert round(peak_rate(PER_LEARNER_HOUR["heartbeat"])) == 1_667
    assert round(peak_rate(PER_LEARNER_HOUR["events"])) == 258
    assert throttle_for("POST", "/api/session/heartbeat").rate == 2_500


@pytest.mark.parametrize("route", EXPENSIVE)
def test_expensive_routes_are_tighter_than_the_hot_ones_and_the_default(route):
    throttle = throttle_for(*route)
    assert route in ROUTE_THROTTLES
    assert throttle.rate < throttle_for("POST", "/api/session/heartbeat").rate
    assert throttle.rate <= DEFAULT_THROTTLE.rate and throttle.burst <= DEFAULT_THROTTLE.burst


def test_admin_routes_are_tighter_than_any_learner_route():
    admin = [t for (m, p), t in ROUTE_THROTTLES.items() if p.startswith("/api/admin/")]
    assert len(admin) == len([r for r in routes() if r.area == "admin"])
    assert max(t.rate for t in admin) < min(throttle_for(r.method, r.path).rate for r in routes()
                                            if r.area == "session" and r.method == "POST"
                                            and r.path not in ("/api/session/access", "/api/session/switch-provider"))


def test_the_routes_together_fit_the_account_limit():
    """The buckets are separate, but all of them together are still under the Regional account default."""
    total = sum(throttle_for(r.method, r.path).rate for r in routes())
    assert total <= ACCOUNT_RATE, total
    assert all(throttle_for(r.method, r.path).burst <= ACCOUNT_BURST for r in routes())


def test_a_classroom_behind_one_nat_stays_under_the_ip_rate_and_a_flood_does_not():
    learners, page_calls_per_hour = 40, 60
    windows_per_hour = 3600 / WAF_WINDOW_SECONDS
    steady = learners * (PER_LEARNER_HOUR["all"] + page_calls_per_hour) / windows_per_hour
    starting_together = learners * 22           # page load, start, connect, 5 heartbeats, events, preflights
    wifi_drop = starting_together + learners * 10
    assert round(steady) == 539 and wifi_drop == 1_280
    assert 2 * wifi_drop <= WAF_IP_LIMIT
    flood_rps = 20                              # one scripted client, 20 requests a second
    assert flood_rps * WAF_WINDOW_SECONDS > WAF_IP_LIMIT
    # One learner's token: about 15 calls per window; far above it, far below the IP rate.
    assert 15 * 10 <= WAF_TOKEN_LIMIT < WAF_IP_LIMIT


def test_a_class_signing_up_together_stays_under_the_sign_up_rate():
    assert 40 * 3 <= WAF_SIGNUP_LIMIT < 40 * 5


def test_method_keys_are_resource_path_and_method():
    route = next(r for r in routes() if r.path == "/api/session/heartbeat")
    assert method_key(route) == "/api/session/heartbeat/POST"
