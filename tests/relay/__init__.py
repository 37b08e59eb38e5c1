"""Tests of decisions over MQTT: the outbox relay, scans, alerts and the broker configuration."""
