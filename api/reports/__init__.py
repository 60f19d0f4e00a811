"""Citizen reports: draft, photos, submit, withdraw, track; the intake clerk's triage queue."""
