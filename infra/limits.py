"""Availability limits as data: API Gateway throttles per route, and the WAF rates.

infra/constructs/api.py sets one stage MethodSettings entry per route of infra.catalog.routes()
(ROUTE_THROTTLES, or DEFAULT_THROTTLE), and the stage-wide default (DEFAULT_THROTTLE: CORS
preflights and anything not a route); infra/constructs/waf.py and pool_firewall.py take the WAF
rates. tests/infra/test_infra_limits.py checks the template against this module, and that no
route is forgotten. The arithmetic is in docs/deploy.md, "Availability limits".

Sizing (docs/scale.md, `make load`): per learner-hour in a session, 60 heartbeats (one per 60 s,
HEARTBEAT_INTERVAL_SECONDS), 9.29 event calls, 6.16 starts and ends (10-minute sessions), 6.16
history and review reads and ratings, 1.56 provider switches: 101.7 calls. At 100,000 learners
in sessions:
  heartbeat 100,000 x 60 / 3,600 = 1,667/s; events 100,000 x 9.29 / 3,600 = 258/s;
  start, end 100,000 / 600 s = 167/s; history, review, rating 167/s each.
API Gateway throttles each method's bucket before the authorizer runs, so a route's rate is
what all callers together may use; the account's Regional default (10,000/s, burst 5,000)
caps their sum.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    rate: int    # steady requests per second, all callers together
    burst: int   # the bucket: requests allowed at once
    why: str = ""


LEARNERS_IN_SESSIONS = 100_000     # the scale every route is sized for (docs/scale.md)

# The rest: the learner's reads and ratings (167/s each at the peak), admin reads, CORS preflights.
DEFAULT_THROTTLE = Throttle(250, 500, "learning reads and ratings: 167/s each at the peak, 1.5x")

ROUTE_THROTTLES: dict[tuple[str, str], Throttle] = {
    # Cheap and hot: one UpdateItem each.
    ("POST", "/api/session/heartbeat"): Throttle(
        2_500, 2_500, "1,667/s at the peak (100,000 x 60 / 3,600); 1.5x for beats bunched after a class starts"),
    ("POST", "/api/session/events"): Throttle(
        1_000, 2_000, "258/s at the peak (100,000 x 9.29 / 3,600); 4x for a provider outage, when every "
                      "session reports its disconnect (the client keeps unsent events and retries)"),
    # Expensive: they mint provider tokens or place provider calls, or write a whole session.
    ("POST", "/api/session/start"): Throttle(
        250, 250, "167/s at the peak (100,000 / 600 s); a Gemini token or an OpenAI call each"),
    ("POST", "/api/session/connect"): Throttle(
        250, 250, "at most one per OpenAI start (167/s if every session were OpenAI); places a call"),
    ("POST", "/api/session/access"): Throttle(
        100, 100, "a new token after a drop or a switch: 1.56 switches per learner-hour is 43/s; mints a token"),
    ("POST", "/api/session/switch-provider"): Throttle(100, 100, "43/s at the peak (1.56 per learner-hour)"),
    ("POST", "/api/session/end"): Throttle(
        250, 250, "167/s at the peak; up to 1 MB of transcript, 4 requests and about 50 write units each"),
    ("POST", "/api/learning/corrections/import"): Throttle(
        10, 20, "rare (a learner brings corrections once); up to 5,000 conditional puts each"),
    ("DELETE", "/api/learning/history"): Throttle(10, 20, "rare; erases a learner's whole history"),
    # Admins: a handful of people.
    ("GET", "/api/admin/sessions/export.csv"): Throttle(2, 5, "a month of sessions per call"),
    ("GET", "/api/admin/sessions"): Throttle(20, 40, "a handful of admins"),
    ("GET", "/api/admin/sessions/timeseries"): Throttle(20, 40, "a handful of admins"),
    ("GET", "/api/admin/sessions/{id}"): Throttle(20, 40, "a handful of admins"),
    ("GET", "/api/admin/users/{userId}/allowance"): Throttle(20, 40, "a handful of admins"),
    ("PUT", "/api/admin/users/{userId}/allowance"): Throttle(5, 10, "an admin changing an allowance"),
    ("GET", "/api/admin/corrections/stats"): Throttle(20, 40, "a handful of admins"),
    ("GET", "/api/admin/corrections/export.csv"): Throttle(2, 5, "up to a year of day cells per call"),
    ("GET", "/api/learning/memory"): Throttle(50, 100, "the Review tab's memory panel: once per visit"),
    ("PUT", "/api/learning/memory"): Throttle(10, 20, "a learner moving the retention slider"),
    ("GET", "/api/learning/erasure/{erasureId}"): Throttle(20, 40, "polled once a second by a learner erasing "
                                                                   "(rare, like the erasure itself)"),
}


def throttle_for(method: str, path: str) -> Throttle:
    return ROUTE_THROTTLES.get((method, path), DEFAULT_THROTTLE)


# --- WAF (5-minute windows, per the rule's key) ---------------------------------------------
WAF_WINDOW_SECONDS = 300
# A classroom of 40 behind one NAT, everyone in a session: 40 x (101.7 calls + 60 for page
# loads, about 5 API calls per page and 12 pages an hour) / 12 windows = 539 per window; when
# the class starts together (page load, start, connect, 5 heartbeats, events, preflights: about
# 22 calls each) 880; a Wi-Fi drop adds about 10 retries each, 1,280. 3,000 is over twice that,
# 10 requests/s from one address sustained.
WAF_IP_LIMIT = 3_000
# One bearer token: a learner makes about 15 calls in 5 minutes; 600 is 40x (the raw header
# is the key: docs/security.md).
WAF_TOKEN_LIMIT = 600
# Sign-ups (Cognito SignUp and the hosted UI's sign-up form) from one address: a class of 40
# creating accounts together, each retrying twice, is 120; a farm is far more.
WAF_SIGNUP_LIMIT = 150
