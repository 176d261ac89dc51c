"""Evaluates the operator's flag documents with the Python OpenFeature SDK and its flagd provider
in file mode (resolver FILE with offline_flag_source_path) and prints, per percent, which users
were served "on" (tests/sdk/check.py judges it). Run with the venv hack/install-sdks.sh made."""
import json
import logging
import os
import sys
import time
from importlib.metadata import version

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.evaluation_context import EvaluationContext


def main(directory: str) -> None:
    start = time.monotonic()
    with open(os.path.join(directory, "fixture.json"), encoding="utf-8") as f:
        fixture = json.load(f)
    users = fixture["users"]["ascii"] + fixture["users"]["nonAscii"]
    flag = fixture["flag"]
    results = {}
    for p in fixture["percents"]:
        domain = f"percent-{p}"
        api.set_provider_and_wait(
            FlagdProvider(
                resolver_type=ResolverType.FILE,
                offline_flag_source_path=os.path.join(directory, fixture["documents"][str(p)]),
            ),
            domain,
        )
        client = api.get_client(domain)

        def details(key: str, client=client):
            return client.get_boolean_details(flag, False, EvaluationContext(targeting_key=key))

        errors = 0
        bits = []
        for u in users:
            d = details(u)
            if d.error_code is not None:
                errors += 1
            bits.append("1" if d.value is True else "0")
        # The provider logs an error for the empty key and falls back: expected here, so not shown.
        contrib_log = logging.getLogger("openfeature.contrib")
        level = contrib_log.level
        contrib_log.setLevel(logging.CRITICAL)
        empty = details("")
        contrib_log.setLevel(level)
        results[str(p)] = {
            "bits": "".join(bits),
            "errors": errors,
            "emptyKey": empty.value,
            "emptyKeyReason": str(empty.reason.value if hasattr(empty.reason, "value") else empty.reason),
            "flagMetadata": dict(details(users[0]).flag_metadata),
            "vectorBits": "".join(
                "1" if client.get_boolean_value(fixture["vectors"]["flag"], False, EvaluationContext(targeting_key=u)) is True
                else "0"
                for u in fixture["vectors"]["users"]
            ),
        }
    api.shutdown()
    out = {
        "sdk": "openfeature-provider-flagd",
        "version": version("openfeature-provider-flagd"),
        "with": {n: version(n) for n in ("openfeature-sdk", "openfeature-flagd-core", "cbor2", "mmh3")},
        "runtime": f"python {sys.version.split()[0]}",
        "results": results,
        "elapsedMs": int((time.monotonic() - start) * 1000),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
