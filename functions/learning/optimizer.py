"""Lambda entry point of the FSRS optimiser (not behind API Gateway): run by an EventBridge
schedule (infra/constructs/schedules.py; `make dev` runs it on the dev clock, local/jobs.py).

Each run reads the learners flagged in the sparse memory_optimise_due index (a review flags
its learner when their review count reaches 8, and each time it doubles since the last fit:
fsrs_fit.optimisation_due), oldest first, at most LEARNERS_PER_RUN, and for each one fits
their FSRS-6 parameters with fsrs-rs on every review log they hold (learning/memory.py
optimise_learner). No Scan: a run costs one Query of the index plus, per flagged learner, one
Query of their partition and one UpdateItem; an empty run costs the one Query.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from speakpho.clock import clock
from speakpho.table_env import require_tables

from learning import memory
from learning.learning_store import learning_store

require_tables("corrections")

LEARNERS_PER_RUN = 50    # ~30-70 ms of fsrs-rs each (fit, evaluation, four simulations) + 2 requests; the rest wait

logger = Logger(service="optimizer")


def run(limit: int = LEARNERS_PER_RUN) -> dict:
    """Optimises the flagged learners; one whose fit fails is logged and stays flagged."""
    store = learning_store()
    done, failed = [], 0
    for due in store.learners_due(limit):
        user_id = due["userId"]
        try:
            result = memory.optimise_learner(store, clock, user_id, due.get("optimiseRequestedAt"))
        except Exception:  # noqa: BLE001 - one learner's failure must not stop the others
            failed += 1
            logger.exception("optimising a learner's FSRS parameters failed")
            continue
        done.append({"reviews": result["computedFrom"], "stage": result["fitStage"]})
    logger.info("fsrs optimiser run", extra={"optimised": len(done), "failed": failed})
    return {"optimised": len(done), "failed": failed}


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:  # noqa: ARG001 - the schedule's event carries nothing we need
    return run()
