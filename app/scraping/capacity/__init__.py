"""Capacity: autoscaler snapshots to figures (pure), and the run's capacity step."""
