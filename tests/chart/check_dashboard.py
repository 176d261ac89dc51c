#!/usr/bin/env python3
"""Checks of the chart's Grafana dashboard.

  check_dashboard.py lint DASHBOARD_JSON
      the file is a sound dashboard: schemaVersion >= 36, a uid, a datasource variable of type
      prometheus that every panel and target uses, query variables job, instance, namespace and
      rollout, unique panel ids, panels inside the 24-column grid, a query in every panel but rows.
  check_dashboard.py configmap DASHBOARD_JSON EXPECT_JSON < RENDERED_OBJECTS_JSON
      the dashboard ConfigMaps among the rendered objects (kubectl's JSON stream): EXPECT's count;
      for each, its namespace, labels (and absentLabels), annotations (exactly, minus none), and
      data feature-rollout-operator.json equal to the file byte for byte and as parsed JSON."""
import json
import sys

KEY = "feature-rollout-operator.json"
errors = []


def err(msg):
    errors.append(msg)


def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))


def lint(path):
    d = json.load(open(path))
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        err("schemaVersion %r (want >= 36)" % d.get("schemaVersion"))
    if not d.get("uid") or len(d["uid"]) > 40:
        err("uid %r (want 1..40 characters)" % d.get("uid"))
    if "id" in d and d["id"] is not None:
        err("a fixed dashboard id (%r) clashes on import; leave it out" % d["id"])
    vars_ = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = vars_.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        err("no datasource variable of type prometheus")
    for name in ("job", "instance", "namespace", "rollout"):
        v = vars_.get(name)
        if not v or v.get("type") != "query" or "label_values(" not in str(v.get("query")):
            err("variable %s: want a label_values query variable" % name)
        elif v.get("datasource", {}).get("uid") != "${datasource}":
            err("variable %s does not use ${datasource}" % name)
    ids, ntargets, npanels = set(), 0, 0
    for p in walk(d.get("panels", [])):
        pid, title = p.get("id"), p.get("title", "?")
        if pid in ids:
            err("panel id %r used twice" % pid)
        ids.add(pid)
        g = p.get("gridPos", {})
        if not all(k in g for k in "xywh") or g["x"] < 0 or g["x"] + g["w"] > 24:
            err("panel %s: gridPos %r outside the 24 columns" % (title, g))
        if p.get("type") == "row":
            continue
        npanels += 1
        if not p.get("description"):
            err("panel %s: no description" % title)
        if p.get("datasource", {}).get("uid") != "${datasource}":
            err("panel %s: datasource %r, want uid ${datasource}" % (title, p.get("datasource")))
        ts = p.get("targets", [])
        if not ts:
            err("panel %s: no query" % title)
        refs = [t.get("refId") for t in ts]
        if len(set(refs)) != len(refs):
            err("panel %s: refIds %r not unique" % (title, refs))
        for t in ts:
            ntargets += 1
            if not t.get("expr", "").strip():
                err("panel %s/%s: empty expr" % (title, t.get("refId")))
            if t.get("datasource", {}).get("uid") != "${datasource}":
                err("panel %s/%s: target datasource %r" % (title, t.get("refId"), t.get("datasource")))
    if not errors:
        print("ok: dashboard %s: schemaVersion %d, %d panels, %d queries, variables %s" %
              (d["uid"], d["schemaVersion"], npanels, ntargets, ", ".join(vars_)))


def configmap(path, expect):
    raw = open(path).read()
    want_doc = json.loads(raw)
    dec, text, objs, i = json.JSONDecoder(), sys.stdin.read(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        o, i = dec.raw_decode(text, i)
        objs.extend(o["items"] if o.get("kind") == "List" else [o])
    cms = [o for o in objs if o.get("kind") == "ConfigMap" and KEY in (o.get("data") or {})]
    if len(cms) != expect["count"]:
        err("%d dashboard ConfigMaps rendered, want %d" % (len(cms), expect["count"]))
    for cm in cms:
        md = cm["metadata"]
        name = md.get("name")
        if md.get("namespace") != expect["namespace"]:
            err("%s: namespace %r, want %r" % (name, md.get("namespace"), expect["namespace"]))
        labels = md.get("labels") or {}
        for k, v in expect.get("labels", {}).items():
            if labels.get(k) != v:
                err("%s: label %s=%r, want %r" % (name, k, labels.get(k), v))
        for k in expect.get("absentLabels", []):
            if k in labels:
                err("%s: label %s should be absent" % (name, k))
        ann = md.get("annotations") or {}
        if ann != expect.get("annotations", {}):
            err("%s: annotations %r, want %r" % (name, ann, expect.get("annotations", {})))
        data = cm["data"][KEY]
        if data != raw.rstrip("\n"):
            err("%s: data %s differs from the file (%d vs %d characters)" % (name, KEY, len(data), len(raw)))
        try:
            if json.loads(data) != want_doc:
                err("%s: data %s parses to another dashboard than the file" % (name, KEY))
        except ValueError as e:
            err("%s: data %s is not JSON: %s" % (name, KEY, e))
        if len(data.encode()) > 900 * 1024:
            err("%s: %d bytes, too close to the 1 MiB ConfigMap limit" % (name, len(data.encode())))
    if not errors:
        print("ok: %d dashboard ConfigMap(s) as expected %s" % (len(cms), json.dumps(expect, sort_keys=True)))


if sys.argv[1] == "lint":
    lint(sys.argv[2])
else:
    configmap(sys.argv[2], json.loads(sys.argv[3]))
for e in errors:
    print("FAIL: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
