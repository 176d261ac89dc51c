"""Judges one SDK's evaluations (the JSON an evaluate script printed) against the fixture that
fro_sdk_fixture wrote from the operator's own code. Asserts what a rollout depends on and
reports how many users each of our engines places as the SDK does. Standard library only.

  check.py FIXTURE RESULT [--same-as ENGINE] [--vectors ENGINE] [--empty-key default|report]

Asserted: no evaluation error; at every percent the share served "on" is within 1.5 points of
the percent (0 and 100 exactly), for the ASCII and the non-ASCII keys each; every user on at
one percent is on at every higher one; the document's flag-set metadata is accepted and served
as flagMetadata; with --empty-key default, an empty targeting key gets the flag's default
("on" only at 100%); with --same-as ENGINE, every user is served what `kubectl featurerollout
bucket --engine ENGINE` says; with --vectors ENGINE, flagd's published vectors (flag
fractional-flag, users jack queen ten nine 3) are served as that engine says at every percent.
Reported: agreement with each engine, per key set and percent, and the vectors.
"""
import argparse
import json
import sys

TOLERANCE = 1.5  # percentage points


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture")
    ap.add_argument("result")
    ap.add_argument("--same-as", choices=["murmur3", "cbor"])
    ap.add_argument("--vectors", choices=["murmur3", "cbor"])
    ap.add_argument("--empty-key", choices=["default", "report"], default="default")
    a = ap.parse_args()
    with open(a.fixture, encoding="utf-8") as f:
        fx = json.load(f)
    with open(a.result, encoding="utf-8") as f:
        res = json.load(f)

    sets = {"ascii": len(fx["users"]["ascii"]), "nonAscii": len(fx["users"]["nonAscii"])}
    spans = {"ascii": (0, sets["ascii"]), "nonAscii": (sets["ascii"], sets["ascii"] + sets["nonAscii"])}
    percents = fx["percents"]
    failures = []
    with_ = ", ".join(f"{k} {v}" for k, v in res.get("with", {}).items())
    evaluations = sum(len(r["bits"]) + 2 for r in res["results"].values())
    print(f"{res['sdk']} {res['version']} ({with_ + '; ' if with_ else ''}{res.get('runtime', '')}): "
          f"{evaluations:,} evaluations in {res.get('elapsedMs', 0) / 1000:.1f} s")
    engines = list(fx["expected"].keys())
    print(f"  {'percent':>7}  {'keys':<9} {'on':>6} {'share':>8} {'error':>6}  " +
          "  ".join(f"{'same as ' + e:>21}" for e in engines))

    agree_total = {e: [0, 0] for e in engines}
    worst = 0.0
    for p in percents:
        r = res["results"][str(p)]
        bits = r["bits"]
        if len(bits) != sum(sets.values()):
            failures.append(f"{p}%: {len(bits)} results for {sum(sets.values())} users")
            continue
        if r["errors"]:
            failures.append(f"{p}%: {r['errors']} evaluations returned an error")
        for name, (lo, hi) in spans.items():
            part = bits[lo:hi]
            on = part.count("1")
            share = 100.0 * on / len(part)
            err = share - p
            worst = max(worst, abs(err))
            if (p in (0, 100) and err != 0) or abs(err) > TOLERANCE:
                failures.append(f"{p}% {name}: {share:.2f}% served on, {err:+.2f} points off (allowed {TOLERANCE})")
            cols = []
            for e in engines:
                exp = fx["expected"][e][str(p)][lo:hi]
                same = sum(1 for x, y in zip(part, exp) if x == y)
                if 0 < p < 100:
                    agree_total[e][0] += same
                    agree_total[e][1] += len(part)
                cols.append(f"{same:>10,} of {len(part):>6,}")
            print(f"  {p:>6}%  {name:<9} {on:>6,} {share:>7.2f}% {err:>+6.2f}  " + "  ".join(cols))
    print(f"  largest share error: {worst:.2f} points (allowed {TOLERANCE})")

    # Monotonicity: raising the percent only adds users.
    for lo_p, hi_p in zip(percents, percents[1:]):
        lo_bits, hi_bits = res["results"][str(lo_p)]["bits"], res["results"][str(hi_p)]["bits"]
        lost = sum(1 for x, y in zip(lo_bits, hi_bits) if x == "1" and y == "0")
        if lost:
            failures.append(f"{lost} users on at {lo_p}% are off at {hi_p}%")
    print(f"  monotone over {' -> '.join(str(p) + '%' for p in percents)}: "
          f"{'yes' if not any('are off at' in f for f in failures) else 'NO'}")

    # The flag-set metadata the operator stamps: accepted, and merged into flagMetadata.
    for p in percents:
        want = fx["metadata"][str(p)]
        got = res["results"][str(p)].get("flagMetadata") or {}
        missing = {k: v for k, v in want.items() if got.get(k) != v}
        if missing:
            failures.append(f"{p}%: flagMetadata {json.dumps(got)} lacks the document's metadata {json.dumps(missing)}")
    print(f"  document metadata {json.dumps(fx['metadata'][str(percents[-1])])}: accepted, served as flagMetadata"
          if not any("flagMetadata" in f for f in failures) else "  document metadata: NOT served")

    # An empty targeting key: flagd's fractional falls back to the default variant.
    empties = {p: res["results"][str(p)]["emptyKey"] for p in percents}
    defaults = {p: p >= 100 for p in percents}
    line = ", ".join(f"{p}%: {'on' if v else 'off'} ({res['results'][str(p)].get('emptyKeyReason')})" for p, v in empties.items())
    print(f"  empty targeting key: {line}" + ("" if empties == defaults else "  <- not the flag's default"))
    if a.empty_key == "default" and empties != defaults:
        failures.append(f"empty targeting key: {empties}, want the default {defaults}")

    for e, (same, n) in agree_total.items():
        print(f"  same as bucket --engine {e} at the partial percents: {same:,} of {n:,}")
    # flagd's published vectors at 10 -> 50 -> 100 (jack 62, queen 99, ten 18, nine 32, 3 14 by murmur3).
    vec_users = fx["vectors"]["users"]
    got_vec = {p: res["results"][str(p)]["vectorBits"] for p in percents}
    def on_list(bits):
        return ", ".join(u for u, b in zip(vec_users, bits) if b == "1") or "nobody"
    print("  published vectors (" + fx["vectors"]["flag"] + "): " +
          "; ".join(f"{p}%: {on_list(got_vec[p])}" for p in percents))
    for e in engines:
        same = sum(1 for p in percents for x, y in zip(got_vec[p], fx["vectorsExpected"][e][str(p)]) if x == y)
        print(f"    same as bucket --engine {e}: {same} of {len(percents) * len(vec_users)}")
    if a.vectors:
        for p in percents:
            want = fx["vectorsExpected"][a.vectors][str(p)]
            if got_vec[p] != want:
                failures.append(f"published vectors at {p}%: on for {on_list(got_vec[p])}, "
                                f"bucket --engine {a.vectors} says {on_list(want)}")

    if a.same_as:
        same, n = agree_total[a.same_as]
        if same != n:
            failures.append(f"{n - same} of {n} evaluations differ from bucket --engine {a.same_as}")
    print("SDKCOMPAT " + json.dumps({"sdk": res["sdk"], "version": res["version"], "worstShareError": round(worst, 2),
                                     "agreement": agree_total, "emptyKey": empties}))
    for f in failures:
        print(f"FAIL: {f}")
    print(f"{res['sdk']}: {'ok' if not failures else str(len(failures)) + ' failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
