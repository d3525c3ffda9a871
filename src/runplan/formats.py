"""Names the command line offers before anything heavy is imported (`runplan --help`)."""

from __future__ import annotations

INPUT_FORMATS = ("yaml", "json", "csv", "jsonl", "backstage")  # `runplan score --input-format`
PROVIDERS = ("aws", "gcp", "azure", "on-prem")  # the kbase's provider files
