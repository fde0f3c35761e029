"""Storage: all SQL, split by concern.

- `connection`: opening the database, the schema and its upgrades
- `flaskdb`: the request's read-only connection and `flask init-db` (the only Flask part)
- `models`: the catalogue with its figures, history, sparkline series
- `runs`: the scrape_runs log and the meta table
- `files`: the data-version file and the scrape lock beside the database
- `write`: the scraper's one-transaction write
- `capacity`, `events`: their tables
"""
