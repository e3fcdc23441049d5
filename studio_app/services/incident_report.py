"""The authority report as lines of text, for its PDF: every field of the JSON report, labelled in words."""

from __future__ import annotations

from typing import Any

LABELS = (
    ("incident", "Incident"), ("controller", "Controller and contact point"), ("nature", "Nature of the breach"),
    ("became_aware_at", "Became aware at"), ("opened_at", "Incident opened at"), ("deadline", "72-hour deadline"),
    ("report_made_at", "Report made at"), ("categories_of_data", "Categories of personal data"),
    ("approximate_number_of_people", "Approximate number of people concerned"),
    ("approximate_number_of_records", "Approximate number of records concerned"),
    ("data_encrypted", "Data encrypted"), ("keys_safe", "Encryption keys safe"), ("risk_level", "Risk level"),
    ("risk_reasoning", "Reasoning"), ("likely_consequences", "Likely consequences"),
    ("measures_taken", "Measures taken"), ("measures_proposed", "Measures proposed"),
    ("people_notified_at", "People notified at"), ("late", "Reported after 72 hours"),
    ("late_reasons", "Reasons for the delay"),
)


def report_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, label in LABELS:
        lines += [f"{label}:", *_value_lines(report.get(key)), ""]
    return lines


def _value_lines(value: Any) -> list[str]:
    if value is None:
        return ["  (none)"]
    if isinstance(value, bool):
        return ["  yes" if value else "  no"]
    if isinstance(value, dict):
        return [f"  {key.replace('_', ' ')}: {'(none)' if item is None else item}" for key, item in value.items()]
    if isinstance(value, list):
        if not value:
            return ["  (none)"]
        return [f"  - {item['at']}: {item['measure']}" if isinstance(item, dict) else f"  - {item}" for item in value]
    return [f"  {line}" for line in str(value).splitlines() or [""]]
