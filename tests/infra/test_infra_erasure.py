"""The erasure jobs in the template: the worker function fed by its queue one job at a time,
the queue's dead-letter queue, who may send to it, and the transcript TTL."""
from __future__ import annotations

from infra.constructs.erasure import MAX_RECEIVES
from infra_helpers import refs


def test_the_worker_takes_one_job_at_a_time_from_its_queue(synth):
    queue = synth.logical_id(synth.stack.erasure_jobs.queue)
    worker = synth.logical_id(synth.stack.functions.erasure)
    mappings = [m["Properties"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                if refs(m["Properties"]["EventSourceArn"]) == {queue}]
    assert len(mappings) == 1
    assert mappings[0]["FunctionName"] == {"Ref": worker} and mappings[0]["BatchSize"] == 1


def test_the_queue_has_a_dead_letter_queue_and_outlasts_the_worker(synth):
    props = synth.resources[synth.logical_id(synth.stack.erasure_jobs.queue)]["Properties"]
    dead = synth.logical_id(synth.stack.erasure_jobs.dead_letters)
    assert props["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert refs(props["RedrivePolicy"]["deadLetterTargetArn"]) == {dead}
    timeout = synth.resources[synth.logical_id(synth.stack.functions.erasure)]["Properties"]["Timeout"]
    assert props["VisibilityTimeout"] >= 6 * timeout


def test_the_route_and_the_worker_know_the_queue(synth):
    queue = synth.logical_id(synth.stack.erasure_jobs.queue)
    for function in (synth.stack.functions.functions["learning"], synth.stack.functions.erasure):
        env = synth.resources[synth.logical_id(function)]["Properties"]["Environment"]["Variables"]
        assert refs(env["ERASURE_QUEUE_URL"]) == {queue}


def test_transcripts_expire_by_ttl(synth):
    props = synth.resources[synth.logical_id(synth.stack.tables["session_messages"])]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
