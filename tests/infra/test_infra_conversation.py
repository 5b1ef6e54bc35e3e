"""The conversation function in the template: its handler, and its mapping on the sessions
stream, filtered on the change that stores a transcript, with a dead-letter queue."""
from __future__ import annotations

import json

from infra.catalog import CONVERSATION
from infra_helpers import refs


def _mapping(synth) -> dict:
    function = synth.logical_id(synth.stack.functions.conversation)
    mappings = [m["Properties"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": function}]
    assert len(mappings) == 1
    return mappings[0]


def test_the_conversation_function_runs_the_catalogs_handler(synth):
    props = synth.resources[synth.logical_id(synth.stack.functions.conversation)]["Properties"]
    assert props["Handler"] == CONVERSATION.handler and "SnapStart" not in props


def test_it_reads_the_sessions_stream_filtered_on_stored_transcripts(synth):
    mapping = _mapping(synth)
    sessions = synth.logical_id(synth.stack.tables["sessions"])
    assert refs(mapping["EventSourceArn"]) == {sessions}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True and mapping["MaximumRetryAttempts"] == 5
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["eventName"] == ["MODIFY"]
    assert pattern["dynamodb"]["NewImage"]["contentStoredAt"]["N"] == [{"exists": True}]
    assert pattern["dynamodb"]["OldImage"]["contentStoredAt"]["N"] == [{"exists": False}]


def test_a_record_that_keeps_failing_goes_to_its_dead_letter_queue(synth):
    failures = synth.logical_id(synth.stack.conversation.failures)
    destination = _mapping(synth)["DestinationConfig"]["OnFailure"]["Destination"]
    assert refs(destination) == {failures}
