#!/usr/bin/python3
"""Parses a Prometheus text exposition (the file given) with the official
client's parser (Debian's python3-prometheus-client) and prints its samples
as JSON: {"families": {name: type}, "samples": [[name, {labels}, value], ...]}.
Exits 1 with the parser's message when the text does not parse."""
import json, sys

from prometheus_client.parser import text_string_to_metric_families

try:
    text = open(sys.argv[1], encoding="utf-8").read()
    families, samples = {}, []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for s in family.samples:
            samples.append([s.name, s.labels, s.value])
except Exception as e:  # the parser raises ValueError and others on bad input
    print(f"unparsable exposition: {e}", file=sys.stderr)
    sys.exit(1)
json.dump({"families": families, "samples": samples}, sys.stdout)
