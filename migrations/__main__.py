"""python -m migrations plan|backfill|verify|steps (docs/migrations.md).

The tables are those the app's environment names (USAGE_PERIODS_TABLE, SESSIONS_TABLE, ...; unset:
the local names), on DYNAMODB_ENDPOINT or --endpoint (unset: AWS, with your profile's
credentials and region). Settings (ACTIVE_SHARDS, STALE_AFTER_SECONDS, HEARTBEAT_INTERVAL_SECONDS,
SWEEP_BUCKET_SECONDS) are read as the functions read them: give them the stack's values.

  plan     [--step FILE] [--write]  each table's next step; with --write, the next deploy's step in FILE
  backfill                          the attribute backfills whose index is live and ACTIVE
  verify   [--step FILE]            is the step in effect deployed, and safe: what readers query is live,
                                    ACTIVE and complete (exit 1 when not)
  steps                             the whole procedure of this release, offline
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from migrations import backfill
from migrations.plan import DEPLOYS, advance, drift, plan, release_steps, step_in_effect, unsafe
from migrations.steps import IndexStep, gsi_changes, load
from speakpho.tables import TABLES


def _connect(endpoint: str | None):
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
    from speakpho import deps
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    deps.reset()
    settings = get_settings()
    return dynamodb_client(), settings


def _step(path: str | None, lives) -> tuple[IndexStep, str]:
    if path and Path(path).exists():
        return load(path), path
    return step_in_effect(lives), "inferred from the live tables (no step file yet)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m migrations", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("plan", "backfill", "verify", "steps"))
    parser.add_argument("--step", help="the index step file (cdk deploy -c indexStep=FILE)")
    parser.add_argument("--write", action="store_true", help="plan: write the next step to --step")
    parser.add_argument("--endpoint", help="a DynamoDB endpoint (default: DYNAMODB_ENDPOINT, else AWS)")
    args = parser.parse_args(argv)
    if args.command == "steps":
        for number, (actions, step) in enumerate(release_steps(), 1):
            print(f"round {number}: " + "; ".join(map(str, actions)))
            print("  step: " + json.dumps(json.loads(step.to_json())))
        return 0

    from migrations.live import describe_all, measure_pending

    client, settings = _connect(args.endpoint)
    names = {spec.logical_name: settings.table(spec.logical_name) for spec in TABLES}
    lives = describe_all(client, names)
    if args.command == "backfill":
        pending = measure_pending(client, names, lives, settings)
        if pending.get(backfill.INDEX) is None:
            print(f"{backfill.INDEX}: not live and ACTIVE with {backfill.RETIRED} beside it: nothing to backfill")
            return 0
        print(backfill.run(client, names, settings))
        print(f"{backfill.INDEX}: {backfill.pending(client, names, settings)} rows still pending")
        return 0
    step, source = _step(args.step, lives)
    pending = measure_pending(client, names, lives, settings)
    print(f"step in effect: {source}")
    drifted = drift(step, lives)
    for line in drifted:
        print(f"  drift: {line}")
    if args.command == "verify":
        problems = unsafe(step, lives, pending)
        for name, count in pending.items():
            print(f"  {name}: " + ("not measured (not live and ACTIVE)" if count is None else f"{count} rows pending"))
        for line in problems:
            print(f"  UNSAFE: {line}")
        verdict = "unsafe" if problems else "not deployed as the step says" if drifted else "ok"
        print(f"verify: {verdict}")
        return 0 if verdict == "ok" else 1
    actions = plan(lives, reading=step.read_retired, pending=pending)
    for action in actions:
        print(f"  {action}")
    following = advance(step, actions)
    if not any(a.kind in DEPLOYS for a in actions):
        print("no deploy now" + (": wait, or run the backfill" if any(a.kind in ("wait", "backfill")
                                                                       for a in actions) else ": done"))
        return 0
    for spec in TABLES:
        added, dropped = gsi_changes(step, following, spec)
        if len(added) + len(dropped) > 1:
            raise SystemExit(f"{spec.logical_name}: the next step changes {sorted(added | dropped)} at once")
    print("next step:\n" + following.to_json())
    if args.write and drifted:
        raise SystemExit("not written: the live tables are not the step in effect (deploy it first)")
    if args.write:
        if not args.step:
            raise SystemExit("--write needs --step FILE")
        Path(args.step).parent.mkdir(parents=True, exist_ok=True)
        Path(args.step).write_text(following.to_json(), encoding="utf-8")
        print(f"written to {args.step}: npx cdk deploy -c indexStep={args.step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
