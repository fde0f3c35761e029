"""`make bench`: speed and size figures of the leaderboard (numbers, not assertions)."""
