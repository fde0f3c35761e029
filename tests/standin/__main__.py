"""`python -m tests.standin`: serve the stand-in until interrupted (tests/standin/cli.py)."""

from tests.standin.cli import main

main()
