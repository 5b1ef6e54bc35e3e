"""The contract's shared scalar shapes and the `answer()` shorthand for small answers
(local/contract.py and its model modules, contract_session, contract_learning, contract_admin)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, create_model

from infra import catalog

catalog.ensure_import_paths()
from speakpho import story  # noqa: E402

Epoch = Annotated[int, Field(ge=0, description="epoch milliseconds")]
Count = Annotated[int, Field(ge=0)]
Minutes = Annotated[float, Field(ge=0, description="seconds / 60, rounded to 2 decimals")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="UTC day YYYY-MM-DD")]
Cursor = Annotated[str, Field(min_length=1, description="opaque: send it back unchanged as `cursor`")]
Confidence = Annotated[int, Field(ge=0, le=5)]
Rate = Annotated[float, Field(ge=0, le=1)]
CloseCode = Annotated[int, Field(ge=1000, le=4999, description="WebSocket close code")]
EndedBy = Literal[story.ENDED_BY]
SessionStatus = Literal["active", "ended"]


def answer(name: str, **fields) -> type[BaseModel]:
    """A small answer: each field a type, or (type, its description or Field)."""
    return create_model(name, **{k: (v[0], Field(description=v[1]) if isinstance(v[1], str) else v[1])
                                 if isinstance(v, tuple) else v for k, v in fields.items()})


LAST_PAGE = Field(default=None, description="absent on the last page")
