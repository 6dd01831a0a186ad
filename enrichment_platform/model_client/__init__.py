"""Talking to the seniority model: its errors, pacing to the capacity (per process or shared in Redis),
and the circuit breaker. The gRPC client is the resource in defs/resources/model.py. No Dagster here."""
