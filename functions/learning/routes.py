"""Learning area routes: history, session detail and deletion, corrections review (and
disputes), review queue, import, erasure and the learner's memory model (FSRS parameters,
desired retention). Every route acts on the caller's own data only."""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from speakpho import idempotency
from speakpho.api import IdempotencyKey, caller, keyed_responses, ok, refusal
from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.models import Category

from learning import deletion, erasure, history, memory, review
from learning.erasure_queue import erasure_queue
from learning.learning_store import learning_store
from learning.requests import MAX_PAGE, CorrectionReview, CorrectionsImport, MemorySettings

router = Router()

MAX_LIMIT = 50
Cursor = Annotated[Optional[str], Query(min_length=1, max_length=1024)]
Id = Annotated[str, Path(min_length=1, max_length=128)]


def _user_id() -> str:
    return caller(router).user_id


@router.get("/api/learning/history", summary="The caller's sessions, newest first")
def get_history(page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
                cursor: Cursor = None):
    return ok(history.history_page(learning_store(), _user_id(), page=page, limit=limit, cursor=cursor))


@router.delete("/api/learning/history", summary="Erase the caller's transcripts and corrections (a job)",
               responses={202: {"description": "the erasure job, queued: {erasureId, status}; follow it with "
                                               "GET /api/learning/erasure/{erasureId}",
                                "content": {"application/json": {}}}})
def delete_history():
    return ok(erasure.start_erasure(learning_store(), erasure_queue(), clock, _user_id()), 202)


@router.get("/api/learning/erasure/<erasureId>", summary="One of the caller's erasure jobs: status and items left")
def get_erasure(erasureId: Id):  # noqa: N803 - the route's own parameter name
    return ok(erasure.erasure_status(learning_store(), _user_id(), erasureId))


@router.get("/api/learning/session/<id>", summary="One session with its transcript and corrections")
def get_session(id: Id):  # noqa: A002 - the route's own parameter name
    return ok(history.session_detail(learning_store(), _user_id(), id))


@router.delete("/api/learning/session/<id>", summary="Delete one ended session's transcript and corrections")
def delete_session(id: Id):  # noqa: A002
    return ok(deletion.delete_session(learning_store(), clock, _user_id(), id))


@router.get("/api/learning/corrections", summary="The caller's corrections, newest first, with counters")
def get_corrections(reviewed: Annotated[Optional[bool], Query()] = None,
                    category: Annotated[Optional[Category], Query()] = None,
                    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
                    cursor: Cursor = None):
    return ok(review.list_corrections(learning_store(), get_settings(), _user_id(), reviewed=reviewed,
                                      category=category, limit=limit, cursor=cursor))


@router.patch("/api/learning/corrections/<id>", summary="Mark a correction reviewed and/or rate a review (FSRS)",
              responses=keyed_responses(200, "the review recorded",
                                        "review_contended (the correction is being reviewed elsewhere)"))
def patch_correction(id: Id, body: Annotated[CorrectionReview, Body()],  # noqa: A002
                     idempotency_key: IdempotencyKey = None):
    user_id = _user_id()
    # A rating is not idempotent (each one is an FSRS review), so a client that may retry
    # sends a key: the review's own write records it, and a repeat gets the first answer.
    once = idempotency.keyed(("review", user_id, id), idempotency_key, body.model_dump(),
                             ttl_seconds=get_settings().idempotency_ttl_seconds)
    return ok(review.review_correction(learning_store(), clock, user_id, id, body, once=once))


@router.get("/api/learning/review", summary="Corrections due for review, most overdue first")
def get_review(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20):
    return ok(review.review_queue(learning_store(), clock, _user_id(), limit=limit))


@router.post("/api/learning/corrections/import", summary="Import corrections kept in localStorage",
             responses={200: {"description": "Successful Response", "content": {"application/json": {}}},
                        413: refusal("import_limit_reached: the learner's imported corrections would exceed "
                                     "the limit; nothing imported")})
def import_corrections(body: Annotated[CorrectionsImport, Body()]):
    return ok(review.import_corrections(learning_store(), get_settings(), clock, _user_id(), body))


@router.get("/api/learning/memory",
            summary="The learner's FSRS parameters (default or own), their evaluation and desired retention")
def get_memory():
    return ok(memory.get_memory(learning_store(), _user_id()))


@router.put("/api/learning/memory", summary="Set the learner's desired retention (0.80-0.95)")
def put_memory(body: Annotated[MemorySettings, Body()]):
    return ok(memory.set_desired_retention(learning_store(), _user_id(), body.desiredRetention))
