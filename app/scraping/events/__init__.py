"""Events: what changed in a run (pure detection) and announcing it in the run's write."""
