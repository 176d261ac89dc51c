#!/usr/bin/env python3
"""Checks one `helm template` render of the chart, given as a stream of JSON objects on stdin (the
YAML converted by `kubectl annotate --local -o json`).

  check_render.py CASE RELEASE_NAMESPACE RBAC_OUT

Prints "ok: ..." and "FAIL: ..." lines and exits 1 on any failure. Writes the RBAC the render
grants to RBAC_OUT, one sorted line per role and API group/resource (verbs merged over rules),
plus one line per binding, for comparison with tests/chart/golden/rbac-CASE.txt.
CASE: default | namespaced | monitoring | no-secrets | no-leader-election."""
import json
import sys

case, release_ns, rbac_out = sys.argv[1:4]
failures = 0


def ok(msg):
    print("ok: " + msg)


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def expect(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        fail(msg + (": " + detail if detail else ""))


def read_stream(text):
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.extend(obj["items"] if obj.get("kind") == "List" else [obj])


objs = read_stream(sys.stdin.read())
by_kind = {}
for o in objs:
    by_kind.setdefault(o["kind"], []).append(o)


def one(kind):
    items = by_kind.get(kind, [])
    if len(items) != 1:
        fail("exactly one %s rendered (got %d)" % (kind, len(items)))
        return {}
    return items[0]


def ns_of(o):
    return o["metadata"].get("namespace", "")


# --- every namespaced object of the chart is in the release namespace, except watched-ns Roles ----
CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
for o in objs:
    k, name = o["kind"], o["metadata"]["name"]
    if k in CLUSTER_KINDS:
        expect("namespace" not in o["metadata"], "%s %s is cluster-scoped (no namespace)" % (k, name))
    elif k not in ("Role", "RoleBinding"):
        expect(ns_of(o) == release_ns, "%s %s in the release namespace %s" % (k, name, release_ns), ns_of(o))
    labels = o["metadata"].get("labels", {})
    if labels.get("app.kubernetes.io/managed-by") != "Helm" or "app.kubernetes.io/instance" not in labels:
        fail("%s %s lacks the standard app.kubernetes.io labels" % (k, name))

# --- ServiceAccount, Deployment ------------------------------------------------------------------
sa = one("ServiceAccount")
sa_name = sa.get("metadata", {}).get("name", "?")
dep = one("Deployment")
spec = dep.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
containers = pod.get("containers", [])
expect(len(containers) == 1, "one container in the operator pod", str(len(containers)))
c = containers[0] if containers else {}
expect(pod.get("serviceAccountName") == sa_name, "the pod runs as ServiceAccount " + sa_name, str(pod.get("serviceAccountName")))
expect(pod.get("automountServiceAccountToken") is True, "automountServiceAccountToken: true")

psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
expect(psc.get("runAsNonRoot") is True and csc.get("runAsNonRoot") is True, "runAsNonRoot: true (pod and container)")
for where, sc in (("pod", psc), ("container", csc)):
    expect(type(sc.get("runAsUser")) is int and sc.get("runAsUser") == 65532,
           "%s runAsUser is numeric 65532" % where, repr(sc.get("runAsUser")))
    expect(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "%s seccompProfile RuntimeDefault" % where)
expect(csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true")
expect(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
expect(csc.get("capabilities", {}).get("drop") == ["ALL"] and not csc.get("capabilities", {}).get("add"),
       "capabilities: drop [ALL], add nothing", json.dumps(csc.get("capabilities")))
expect(csc.get("privileged") is not True, "not privileged")
expect(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), "no host namespaces")
expect(all("hostPath" not in v for v in pod.get("volumes", [])), "no hostPath volumes")
res = c.get("resources", {})
expect(bool(res.get("requests", {}).get("memory")) and bool(res.get("limits", {}).get("memory")),
       "memory request and limit set", json.dumps(res))

ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
expect(ports == {"metrics": 8080, "health": 8081}, "container ports metrics 8080, health 8081", json.dumps(ports))
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    get = c.get(probe, {}).get("httpGet", {})
    expect(get.get("path") == path and get.get("port") == "health", "%s GET %s on the health port" % (probe, path), json.dumps(get))

args = c.get("args", [])
image = c.get("image", "")
expect(image == "feature-rollout-operator:0.1.0", "image defaults to <repository>:<appVersion>", image)


def arg(name):
    vals = [a.split("=", 1)[1] if "=" in a else "" for a in args if a == name or a.startswith(name + "=")]
    return vals[0] if len(vals) == 1 else None


for name, want in (("--metrics-bind-address", ":8080"), ("--health-probe-bind-address", ":8081"),
                   ("--log-format", "json"), ("--log-level", "info"), ("--workers", "16"),
                   ("--kube-qps", "0"), ("--kube-burst", "100")):
    expect(arg(name) == want, "arg %s=%s" % (name, want), " ".join(args))
if case == "no-leader-election":
    expect(spec.get("replicas") == 1, "replicas: 1", str(spec.get("replicas")))
    expect("--leader-elect=false" in args and arg("--leader-election-namespace") is None,
           "--leader-elect=false, no Lease namespace", " ".join(args))
else:
    expect(spec.get("replicas") == 2, "replicas: 2", str(spec.get("replicas")))
    expect("--leader-elect" in args, "--leader-elect", " ".join(args))
    expect(arg("--leader-election-namespace") == release_ns, "--leader-election-namespace=" + release_ns, " ".join(args))
if case == "namespaced":
    expect(arg("--watch-namespaces") == "team-a,team-b", "--watch-namespaces=team-a,team-b", " ".join(args))
else:
    expect(arg("--watch-namespaces") is None, "no --watch-namespaces (all namespaces)", " ".join(args))
expect(arg("--default-prometheus-address") is None, "no --default-prometheus-address unless set", " ".join(args))

# --- metrics Service ------------------------------------------------------------------------------
svc = one("Service")
sel = svc.get("spec", {}).get("selector", {})
pod_labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
expect(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "metrics Service selects the operator pods", json.dumps(sel))
expect(any(p.get("targetPort") == "metrics" for p in svc.get("spec", {}).get("ports", [])), "metrics Service targets the metrics port")
match = spec.get("selector", {}).get("matchLabels", {})
expect(match and all(pod_labels.get(k) == v for k, v in match.items()), "Deployment selector matches its pod labels")

# --- RBAC -----------------------------------------------------------------------------------------
ROLE_KINDS, BINDING_KINDS = ("ClusterRole", "Role"), ("ClusterRoleBinding", "RoleBinding")
lines, roles = [], {}
for o in objs:
    k = o["kind"]
    if k not in ROLE_KINDS:
        continue
    ident = "%s %s" % (k, o["metadata"]["name"] if k == "ClusterRole" else ns_of(o) + "/" + o["metadata"]["name"])
    roles[(k, ns_of(o), o["metadata"]["name"])] = o
    grants = {}
    for r in o.get("rules") or []:
        everything = [r.get("apiGroups", []), r.get("resources", []), r.get("verbs", []), r.get("resourceNames", []),
                      r.get("nonResourceURLs", [])]
        if any("*" in v for field in everything for v in field):
            fail("%s: wildcard in rule %s" % (ident, json.dumps(r)))
        if r.get("nonResourceURLs"):
            fail("%s: nonResourceURLs granted %s" % (ident, json.dumps(r)))
        for g in r.get("apiGroups", []):
            for res_ in r.get("resources", []):
                key = "%s/%s%s" % (g or "core", res_, "[%s]" % ",".join(sorted(r["resourceNames"])) if r.get("resourceNames") else "")
                grants.setdefault(key, set()).update(r.get("verbs", []))
    if o.get("aggregationRule"):
        fail("%s: aggregationRule (grants whatever matches)" % ident)
    for key, verbs in grants.items():
        lines.append("%s | %s | %s" % (ident, key, ",".join(sorted(verbs))))
for o in objs:
    k = o["kind"]
    if k not in BINDING_KINDS:
        continue
    ref = o.get("roleRef", {})
    if (ref.get("kind"), ns_of(o) if ref.get("kind") == "Role" else "", ref.get("name")) not in roles:
        fail("%s %s refers to %s %s, which the chart does not render" % (k, o["metadata"]["name"], ref.get("kind"), ref.get("name")))
    if k == "RoleBinding" and ref.get("kind") == "ClusterRole":
        fail("RoleBinding %s/%s binds a ClusterRole" % (ns_of(o), o["metadata"]["name"]))
    for s in o.get("subjects", []):
        where = o["metadata"]["name"] if k == "ClusterRoleBinding" else ns_of(o) + "/" + o["metadata"]["name"]
        lines.append("%s %s -> %s %s : %s %s/%s" % (k, where, ref.get("kind"), ref.get("name"),
                                                   s.get("kind"), s.get("namespace", ""), s.get("name")))
        if (s.get("kind"), s.get("namespace"), s.get("name")) != ("ServiceAccount", release_ns, sa_name):
            fail("%s %s binds %s, not the operator's ServiceAccount" % (k, where, json.dumps(s)))
with open(rbac_out, "w") as f:
    f.write("\n".join(sorted(lines)) + "\n")

lease_roles = [key for key, o in roles.items() if any("leases" in r.get("resources", []) for r in o.get("rules") or [])]
if case == "no-leader-election":
    expect(lease_roles == [], "no Lease permission without leader election", str(lease_roles))
else:
    expect([(k, ns) for k, ns, _ in lease_roles] == [("Role", release_ns)],
           "Lease permission only in a Role in the release namespace " + release_ns, str(lease_roles))
# Aggregation ClusterRoles extend the cluster's view/edit/admin for people; they grant the operator
# nothing: no binding of the chart refers to them, and view's is read-only.
AGG = "rbac.authorization.k8s.io/aggregate-to-"
aggregated = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ClusterRole"
              and any(k.startswith(AGG) for k in o["metadata"].get("labels", {}))}
bound = {o.get("roleRef", {}).get("name") for o in objs if o["kind"] in BINDING_KINDS}
if case == "no-aggregation":
    expect(not aggregated, "no aggregated ClusterRoles with rbac.aggregateToStandardRoles=false", str(sorted(aggregated)))
else:
    to = sorted((k[len(AGG):], n) for n, o in aggregated.items() for k, v in o["metadata"]["labels"].items()
                if k.startswith(AGG) and v == "true")
    expect([t for t, _ in to] == ["admin", "edit", "view"], "aggregated into admin, edit and view", str(to))
    expect(not (bound & set(aggregated)), "no binding of the chart refers to an aggregated ClusterRole")
    for n, o in aggregated.items():
        labels = o["metadata"]["labels"]
        verbs = {v for r in o.get("rules", []) for v in r.get("verbs", [])}
        if labels.get(AGG + "view") == "true":
            expect(verbs == {"get", "list", "watch"}, "view's aggregated role is read-only", str(sorted(verbs)))
        status = [r for r in o.get("rules", []) if "featurerollouts/status" in r.get("resources", [])]
        expect(all(set(r.get("verbs", [])) <= {"get", "list", "watch"} for r in status),
               "%s: status stays the operator's (read only)" % n, json.dumps(status))
if case == "namespaced":
    expect("ClusterRoleBinding" not in by_kind, "no ClusterRoleBinding")
    expect(all(o["metadata"]["name"] in aggregated for o in objs if o["kind"] == "ClusterRole"),
           "no ClusterRole but the aggregation ones (which the operator is not bound to)")
    role_ns = sorted(ns for k, ns, _ in roles if k == "Role" and (k, ns, _) not in lease_roles)
    expect(role_ns == ["team-a", "team-b"], "one operator Role in each of team-a, team-b", str(role_ns))
secret_rules = [l for l in lines if "/secrets" in l]
if case == "no-secrets":
    expect(secret_rules == [], "no permission on Secrets with gates.readSecrets=false", str(secret_rules))
else:
    expect(secret_rules and all(l.endswith("| core/secrets | get") for l in secret_rules),
           "Secrets: get only (no list, no watch)", str(secret_rules))

# --- monitoring -----------------------------------------------------------------------------------
if case == "monitoring":
    sm, pr = one("ServiceMonitor"), one("PrometheusRule")
    sm_sel = sm.get("spec", {}).get("selector", {}).get("matchLabels", {})
    svc_labels = svc.get("metadata", {}).get("labels", {})
    expect(sm_sel and all(svc_labels.get(k) == v for k, v in sm_sel.items()), "ServiceMonitor selects the metrics Service")
    eps = sm.get("spec", {}).get("endpoints", [])
    expect([e.get("port") for e in eps] == ["metrics"] and eps[0].get("path") == "/metrics",
           "ServiceMonitor scrapes port metrics, /metrics", json.dumps(eps))
    expect(sm.get("spec", {}).get("namespaceSelector", {}).get("matchNames") == [release_ns],
           "ServiceMonitor looks in the release namespace only")
    rules = [r for g in pr.get("spec", {}).get("groups", []) for r in g.get("rules", [])]
    names = sorted(r.get("alert", "") for r in rules)
    expect(names == ["FeatureRolloutOperatorDown", "FeatureRolloutReconcileErrors", "FeatureRolloutRolledBack",
                     "FeatureRolloutStalled"], "PrometheusRule has the four alerts", str(names))
    for r in rules:
        a = r.get("annotations", {})
        expect(a.get("summary") and a.get("description") and r.get("labels", {}).get("severity"),
               "alert %s has summary, description and severity" % r.get("alert"))
    with open(rbac_out + ".rules.json", "w") as f:
        json.dump({"groups": pr.get("spec", {}).get("groups", [])}, f, indent=1)
else:
    expect("ServiceMonitor" not in by_kind and "PrometheusRule" not in by_kind,
           "no ServiceMonitor or PrometheusRule unless enabled")

# --- availability and network ----------------------------------------------------------------------
dep = one("Deployment")
pod_labels = dep["spec"]["template"]["metadata"]["labels"]
pdbs = [o for o in objs if o["kind"] == "PodDisruptionBudget"]
if dep["spec"]["replicas"] > 1:
    expect(len(pdbs) == 1, "a PodDisruptionBudget with %d replicas" % dep["spec"]["replicas"], str(len(pdbs)))
    for pdb in pdbs:
        sel = pdb["spec"].get("selector", {}).get("matchLabels", {})
        expect(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "the PodDisruptionBudget selects the operator pods")
        expect(pdb["spec"].get("maxUnavailable") == 1 and "minAvailable" not in pdb["spec"], "maxUnavailable: 1",
               json.dumps(pdb["spec"]))
else:
    expect(not pdbs, "no PodDisruptionBudget with one replica (it would block every drain)")
nps = [o for o in objs if o["kind"] == "NetworkPolicy"]
if case == "network-policy":
    expect(len(nps) == 1, "one NetworkPolicy with networkPolicy.enabled")
    np = nps[0]["spec"]
    sel = np.get("podSelector", {}).get("matchLabels", {})
    expect(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "the NetworkPolicy selects the operator pods")
    expect(sorted(np.get("policyTypes", [])) == ["Egress", "Ingress"], "it restricts ingress and egress")
    ports = lambda rules: sorted(p["port"] for r in rules for p in r.get("ports", []))
    c = dep["spec"]["template"]["spec"]["containers"][0]
    cports = sorted(p["containerPort"] for p in c.get("ports", []))
    expect(ports(np.get("ingress", [])) == cports, "ingress only to the container's ports (metrics, probes)",
           "%s vs %s" % (ports(np.get("ingress", [])), cports))
    expect(all(r.get("ports") for r in np.get("egress", [])), "every egress rule names its ports")
    expect(ports(np.get("egress", [])) == [53, 53, 443, 6443, 9090], "egress: API server, Prometheus, DNS",
           str(ports(np.get("egress", []))))
else:
    expect(not nps, "no NetworkPolicy unless enabled")

expect(set(by_kind) <= {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment",
                        "Service", "ServiceMonitor", "PrometheusRule", "PodDisruptionBudget", "NetworkPolicy"},
       "only the expected kinds rendered", str(sorted(by_kind)))
print("check_render %s: %d objects, %d failure(s)" % (case, len(objs), failures))
sys.exit(1 if failures else 0)
