"""The contract's shapes of the learning area (GET/DELETE /api/learning/*, corrections, review,
memory, erasure). local/contract.py routes them."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, Field, create_model

from infra import catalog

catalog.ensure_import_paths()
from local.contract_session import HistoryEntry, Message, Session  # noqa: E402
from local.contract_types import LAST_PAGE, Confidence, Count, Cursor, Epoch, answer  # noqa: E402
from speakpho.models import Category  # noqa: E402


class Evidence(BaseModel):
    # speakpho.views.evidence_view: a conversation review of a correction (learning/conversation.py).
    sessionId: str
    at: Epoch = Field(description="when the line was said (within the session)")
    outcome: Literal["used_correctly", "repeated_mistake"] = Field(
        description="the corrected form said (a review rated Good), or the original mistake again (Again)")
    text: str = Field(description="the learner's line")


class Correction(BaseModel):
    # speakpho.views.correction_view.
    id: str
    sessionId: Optional[str] = Field(description="null for a correction imported from the browser")
    original: str
    correction: str
    explanation: Optional[str]
    category: Optional[Category]
    reviewed: bool
    confidenceLevel: Confidence
    reviewedAt: Optional[Epoch]
    nextReviewAt: Optional[Epoch]
    createdAt: Epoch
    disputed: bool = Field(default=False, description="the learner disputes this correction")
    leech: bool = Field(description="8 lapses made it a leech: suspended from review until resumed "
                                    "(PATCH {leech: false})")
    lapses: Count = Field(description="reviews rated Again (on a card or in conversation) since it was "
                                      "created or resumed")
    evidence: list[Evidence] = Field(description="the latest sessions that said it (at most 5), oldest first")


class CorrectionStats(BaseModel):
    total: Count
    reviewed: Count
    byCategory: dict[Category, Count]


HistoryPage = answer("HistoryPage", sessions=list[HistoryEntry], pagination=answer(
    "Pagination", total=Count, page=Annotated[int, Field(ge=1)], limit=Annotated[int, Field(ge=1)]),
    nextCursor=(Optional[Cursor], LAST_PAGE))
ErasureStatus = Literal["running", "done"]
ErasureStarted = answer("ErasureStarted", erasureId=str, status=ErasureStatus, requestedAt=Epoch,
                        itemsLeft=(Optional[Count], "null until the job has counted what it erases"),
                        sessionsErased=Count, messagesDeleted=Count, correctionsDeleted=Count, sessionsKept=Count)
ErasureJob = answer("ErasureJob", erasureId=str, status=ErasureStatus, requestedAt=Epoch,
                    itemsLeft=(Optional[Count], "messages and corrections still to delete: null until counted, "
                                                "0 when done"),
                    sessionsErased=Count, messagesDeleted=Count, correctionsDeleted=Count,
                    sessionsKept=(Count, "a session in progress, and those after it, stay"))
SessionDetail = answer("SessionDetail", session=Session, messages=list[Message], corrections=list[Correction])
SessionDeleted = answer("SessionDeleted", sessionId=str, messagesDeleted=Count, correctionsDeleted=Count)
LifetimeBounds = answer("LifetimeBounds",
                        correctionsLimit=(Count, "the most corrections a learner holds (stats.total counts them); "
                                                 "a session's beyond it are not kept"),
                        transcriptRetentionDays=(Annotated[int, Field(ge=1)],
                                                 "days a transcript is kept after its session ended"))
CorrectionsPage = answer("CorrectionsPage", corrections=list[Correction], stats=CorrectionStats,
                         bounds=LifetimeBounds, nextCursor=(Optional[Cursor], LAST_PAGE))
ReviewResult = answer("ReviewResult", id=str, reviewed=bool, reviewedAt=Optional[Epoch], confidenceLevel=Confidence,
                      nextReviewAt=Optional[Epoch], disputed=bool, leech=bool, lapses=Count,
                      explanation=Optional[str])
ReviewQueue = answer("ReviewQueue", corrections=list[Correction], dueCount=Count)
ImportResult = answer("ImportResult", imported=Count, skipped=(Count, "already present, or repeated in the list"))
# learning.memory.memory_view: the learner's FSRS parameters and desired retention.
Fit = answer("Fit", logLoss=Annotated[float, Field(ge=0)], rmse=(Annotated[float, Field(ge=0)], "RMSE over fsrs-rs's bins"))
MemoryState = answer(
    "MemoryState",
    parameters=(Literal["default", "own"], "own once the optimiser fitted parameters that differ from FSRS-6's"),
    reviewCount=(Count, "FSRS reviews so far"), computedAt=(Optional[Epoch], "the last fit; null before one"),
    computedFrom=(Optional[Count], "reviews the last fit used"),
    fitStage=(Literal["none", "initial", "full"], "what fsrs-rs could fit from that many reviews (8, 64)"),
    evaluation=(create_model("Evaluation", default=(Optional[Fit], ...), own=(Optional[Fit], ...)),
                "both on the learner's own history at the last fit; null before one"),
    desiredRetention=Annotated[float, Field(ge=0.8, le=0.95)],
    expectedReviewsPerDay=(Annotated[float, Field(ge=0)], "fsrs-rs's simulator, at the desired retention"),
    conversationReviews=(create_model("ConversationReviews", usedCorrectly=(Count, ...), repeatedMistake=(Count, ...)),
                         "reviews from conversation (counted in reviewCount): the corrected form said (Good), "
                         "the mistake said again (Again)"))
