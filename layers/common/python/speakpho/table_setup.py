"""Creating the tables of speakpho.tables where this code runs (the local runner, tests, the bench).

Its own module so that table-name resolution has one direction: tables (the specs) <- table_env
(names from the environment) <- config (settings) <- here. speakpho.tables imports none of them.
"""
from __future__ import annotations

from speakpho.config import get_settings
from speakpho.table_requests import create_table_request
from speakpho.tables import TABLES, TableSpec


def table_name(spec: TableSpec) -> str:
    return get_settings().table(spec.logical_name)


def create_missing_tables(client, *, streams: bool = True) -> list[str]:
    """Create every table that does not exist yet; returns the names created.

    `streams=False` is for bulk benchmarks on dynoxide, which keeps every stream record and
    slows each write as they pile up; nothing else should turn streams off.
    """
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for spec in TABLES:
        name = table_name(spec)
        if name in existing:
            continue
        request = create_table_request(spec, name)
        if not streams:
            request.pop("StreamSpecification", None)
        client.create_table(**request)
        if spec.ttl_attribute:
            try:
                client.update_time_to_live(TableName=name, TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": spec.ttl_attribute})
            except Exception:  # noqa: BLE001 - some local engines lack TTL; expiry is then checked by Powertools itself
                pass
        created.append(name)
    for name in created:
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return created
