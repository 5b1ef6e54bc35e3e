"""moto's TransactWriteItems, one backup copy per table: moto 5.2.5 deep-copies a table once per
*item* of a transaction that names it (its rollback backup), so a transaction of 100 items on
the rollups table copies that table 100 times, and the partition model, whose rollups table holds
the peak's common-mistakes rows, spent most of its time in those copies. Within one call every
copy is taken before any item is written, so the copies of one table are equal: the first one
serves the others. Nothing else changes (the rollback restores the same state)."""
from __future__ import annotations

import contextlib
import copy
from unittest import mock


class _OneCopyPerTable:
    """Stands in for the `copy` module inside moto's DynamoDB models during one transaction."""

    def __init__(self, table_type: type) -> None:
        self._table_type, self._copies = table_type, {}

    def deepcopy(self, value, memo=None):
        if not isinstance(value, self._table_type):
            return copy.deepcopy(value, memo)
        if id(value) not in self._copies:
            self._copies[id(value)] = (value, copy.deepcopy(value, memo))   # the value kept: ids stay unique
        return self._copies[id(value)][1]

    def __getattr__(self, name: str):
        return getattr(copy, name)


@contextlib.contextmanager
def one_backup_per_table():
    """Within it, moto's transactions copy each table they touch once."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        with mock.patch.object(models, "copy", _OneCopyPerTable(Table)):
            return original(self, transact_items)

    with mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
