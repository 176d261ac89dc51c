#!/usr/bin/env python3
"""Checks the FeatureRollout CRD as the API server stores it (JSON on stdin).

Every field has a description, every list a maxItems, every string a maxLength (or an enum, or a
date-time format; apiVersion and kind excepted), nothing preserves unknown fields, and the list-map keys are required. Prints
one line per problem, with the field path, and exits 1 when there is any.
"""
import json
import sys

problems = []


def walk(node, path, is_metadata=False):
    if is_metadata:
        return  # the API server allows nothing but `type: object` on metadata
    if not node.get("description", "").strip():
        problems.append(f"{path}: no description")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        problems.append(f"{path}: x-kubernetes-preserve-unknown-fields")
    t = node.get("type")
    if t == "array":
        if "maxItems" not in node:
            problems.append(f"{path}: list without maxItems")
        items = node.get("items", {})
        if node.get("x-kubernetes-list-type") == "map":
            required = set(items.get("required", []))
            for key in node.get("x-kubernetes-list-map-keys", []):
                if key not in required and "default" not in items.get("properties", {}).get(key, {}):
                    problems.append(f"{path}: list-map key {key} is neither required nor defaulted")
        walk(items, path + "[]")
    elif t == "string" and path not in ("apiVersion", "kind"):
        if "maxLength" not in node and "enum" not in node and node.get("format") != "date-time":
            problems.append(f"{path}: string without maxLength")
    for name, sub in node.get("properties", {}).items():
        walk(sub, f"{path}.{name}" if path else name, is_metadata=(path == "" and name == "metadata"))


crd = json.load(sys.stdin)
versions = crd["spec"]["versions"]
for v in versions:
    root = v["schema"]["openAPIV3Schema"]
    if not root.get("description"):
        problems.append(f"{v['name']}: root schema has no description")
    for name, sub in root.get("properties", {}).items():
        walk(sub, name, is_metadata=(name == "metadata"))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
