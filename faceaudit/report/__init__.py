"""The report stage: reads a `ReportData` and renders it for the terminal, as HTML or as JSON."""

from __future__ import annotations

from faceaudit.report.model import AccountReport, FindingReport, ReportData

__all__ = ["AccountReport", "FindingReport", "ReportData"]
