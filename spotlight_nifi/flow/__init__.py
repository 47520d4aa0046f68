"""Flows as code: model, compile, layout, diff, and validation against the NiFi runtime manifest."""
