"""docs/security.md's route x role table is generated from the route catalog (infra/catalog.py,
the areas' admin_only gate) and local/contract.py: this test regenerates it and compares, like
a golden file. On a difference it prints the table to paste between the markers."""
from __future__ import annotations

from pathlib import Path

from infra import catalog
from local import contract

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START, END = "<!-- route-matrix:start -->", "<!-- route-matrix:end -->"


def admin_area(route: catalog.RouteSpec) -> bool:
    area = next(a for a in catalog.AREAS if a.name == route.area)
    return catalog.area_app(area).admin_only


def role_matrix() -> str:
    """What each role gets from each route: anonymous is the authorizer's 401; a learner is
    refused the admin area (403) and sees only its own data elsewhere (404 for another's id);
    an admin (admin pool, admin group) is served the admin area and is a learner elsewhere."""
    lines = ["| route | anonymous | learner | admin |", "|---|---|---|---|"]
    for spec in catalog.routes():
        route = contract.ROUTES[(spec.method, spec.path)]
        ok, by_id = str(route.success), 404 in route.statuses
        if admin_area(spec):
            learner, admin = "403", f"{ok}; 404 unknown id" if by_id else ok
        else:
            learner = f"{ok} own; 404 another's or unknown" if by_id else f"{ok} own data"
            admin = "as a learner"
        lines.append(f"| `{spec.method} {spec.path}` | 401 | {learner} | {admin} |")
    return "\n".join(lines)


def test_the_route_matrix_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"docs/security.md needs the markers {START} and {END}"
    current = text[text.index(START) + len(START):text.index(END)].strip()
    expected = role_matrix()
    assert current == expected, f"docs/security.md is stale; put this between the markers:\n\n{expected}\n"
