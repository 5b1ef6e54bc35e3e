"""A stand-in for one Lambda container, run by the runtime's CPython in the deployed tree
(local/lambda_tree.py). Standard library only: it must not bring anything of its own.

    python -S container.py <module.function> <root>...

Imports the handler (the init phase), answers {"ready": ...}, then serves one JSON request
per line on stdin, one JSON answer per line:
    {"event": {...}}  -> {"result": <what the handler returned>} or {"error": ..., "traceback": ...}
    {"report": true}  -> which loaded modules came from the roots, and which of those ran from
                         source (no shipped bytecode) or came from a site-packages.
The function's own output (logs, EMF metrics) goes to stderr, as it would to CloudWatch.
"""
import importlib
import json
import os
import sys
import time
import traceback
import uuid

PROTOCOL = sys.stdout
sys.stdout = sys.stderr


class Context:
    """What the Lambda runtime passes as `context` (the fields Powertools reads)."""

    def __init__(self, function_name):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + 20

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def reply(message):
    PROTOCOL.write(json.dumps(message) + "\n")
    PROTOCOL.flush()


def report(roots):
    loaded = [m for m in list(sys.modules.values()) if isinstance(getattr(m, "__file__", None), str)]
    ours = [m for m in loaded if m.__file__.startswith(tuple(roots))]
    source_only = sorted(
        m.__name__ for m in ours if m.__file__.endswith(".py")
        and not (m.__spec__ and m.__spec__.cached and os.path.exists(m.__spec__.cached)))
    foreign = sorted(m.__name__ for m in loaded if "site-packages" in m.__file__)
    return {"python": sys.version.split()[0], "modules": len(ours), "source_only": source_only, "foreign": foreign}


def main():
    dotted, roots = sys.argv[1], sys.argv[2:]
    module_name, _, function = dotted.rpartition(".")
    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), function)
    reply({"ready": True, "initMs": round((time.perf_counter() - started) * 1000, 1)})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("report"):
            reply(report(roots))
            continue
        try:
            reply({"result": handler(request["event"], Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"]))})
        except Exception as error:  # the runtime would report it as the invocation's error
            reply({"error": repr(error), "traceback": traceback.format_exc()})


if __name__ == "__main__":
    main()
