"""The contract's shape of the common mistakes across learners (admin.mistakes.stats):
GET /api/admin/corrections/stats. local/contract.py uses it in its routes."""
from __future__ import annotations

from pydantic import BaseModel, Field

from local.contract_types import Count


class MistakePair(BaseModel):
    original: str
    correction: str
    category: str = Field(description="the correction's category ('' when it had none)")
    count: Count = Field(description="times made in the range (a day's pairs outside its top 50 are not counted)")
    learners: Count = Field(description="distinct learners who made it: an estimate (HyperLogLog, about 13 % "
                                        "relative error above 160 learners)")


class MistakeStats(BaseModel):
    byCategory: dict[str, Count] = Field(description="corrections by category")
    topPairs: list[MistakePair] = Field(description="the most frequent (original -> correction) pairs, at most 20")
    lapsesByCategory: dict[str, Count] = Field(description="reviews rated Again, by the correction's category")
