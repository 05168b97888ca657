"""Peer for `wippy-bench manifest`: the same app folder loaded with PyYAML (libyaml CLoader) and
validated with the `jsonschema` package (draft 2020-12) against the same schema files.

Usage: manifest_peer.py APP_DIR SCHEMA_DIR RUNS ENTRIES  -> prints the median seconds last.
"""
import glob
import json
import os
import statistics
import sys
import time

import jsonschema
import yaml
from referencing import Registry, Resource

app, schema_dir, runs, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
docs = {os.path.basename(p): json.load(open(p)) for p in glob.glob(os.path.join(schema_dir, "*.json"))}
registry = Registry().with_resources([(name, Resource.from_contents(doc)) for name, doc in docs.items()])
validator = jsonschema.Draft202012Validator(docs["manifest.schema.json"], registry=registry)
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

times = []
for _ in range(runs):
    start = time.perf_counter()
    entries = 0
    for root, dirs, files in os.walk(app):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                doc = yaml.load(f, Loader=loader)
            if not isinstance(doc, dict) or "namespace" not in doc:
                continue
            errors = list(validator.iter_errors(doc))
            if errors:
                sys.exit(f"{path}: {errors[0].message}")
            for entry in doc.get("entries", []):
                source = entry.get("source", "")
                if source.startswith("file://"):
                    with open(os.path.join(root, source[len("file://"):]), encoding="utf-8") as f:
                        entry["source"] = f.read()
                entries += 1
    times.append(time.perf_counter() - start)
    if entries != expected:
        sys.exit(f"peer read {entries} entries, expected {expected}")
print(statistics.median(times))
