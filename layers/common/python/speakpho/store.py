"""The base of every data-access class: a DynamoDB client and the deployed table names."""
from __future__ import annotations

from dataclasses import dataclass

from speakpho.config import Settings


@dataclass
class TableStore:
    client: object
    settings: Settings

    @property
    def periods(self) -> str:
        return self.settings.usage_periods_table

    @property
    def sessions(self) -> str:
        return self.settings.sessions_table

    @property
    def messages(self) -> str:
        return self.settings.session_messages_table

    @property
    def corrections(self) -> str:
        return self.settings.corrections_table

    @property
    def rollups(self) -> str:
        return self.settings.session_rollups_table
