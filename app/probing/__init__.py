"""Our own probes (SPEC §2 D): one small streamed request per model, timed as a client
sees it. A side beside app/scraping, under the same rules: no Flask, no imports from the
web, API or scraping sides. Pure measurement (sse, measure, budget) apart from the thin
I/O (client, run)."""
