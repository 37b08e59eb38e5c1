"""Decisions: the hash-chained log, personal-data commitments, the verification service."""
