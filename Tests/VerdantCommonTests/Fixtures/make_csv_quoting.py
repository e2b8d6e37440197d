#!/usr/bin/env python3
"""Writes csv_quoting.json: rows of fields and the line Python's csv.writer (QUOTE_MINIMAL, the
default dialect) writes for each, without its \r\n line terminator. VerdantCommon's CSVText.row must
write the same text (Tests/VerdantCommonTests/SharedTextTests.swift).

    python3 Tests/VerdantCommonTests/Fixtures/make_csv_quoting.py
"""
import csv
import io
import json
import os

ROWS = [
    ["plain", "text"],
    ["a,b", "c"],
    ['say "hi"', "x"],
    ["line\nbreak", "cr\ronly", "crlf\r\nend"],
    ["", "empty first", ""],
    [""],
    ["  spaces  ", "tab\there"],
    ["ünïcödé", "∑ θ", "emoji 🧪"],
    ['"', ",", '""', "a\"b,c\nd"],
    ["0.1", "-2e-05", "nan"],
]

cases = []
for row in ROWS:
    buffer = io.StringIO()
    # The default line terminator "\r\n": the writer then quotes fields holding "\r" or "\n".
    csv.writer(buffer).writerow(row)
    text = buffer.getvalue()
    assert text.endswith("\r\n")
    cases.append({"fields": row, "line": text[:-2]})
    # The writer's output reads back as the same fields: the oracle is self-consistent.
    assert next(csv.reader(io.StringIO(text, newline=""))) == row

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csv_quoting.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump({"generator": "python csv.writer, QUOTE_MINIMAL", "cases": cases}, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {path}")
