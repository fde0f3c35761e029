"""HTTP plumbing shared by the site and the API: the response cache and its bound, the
hot path, cached bodies with validators, security headers, error pages, URL converters;
and (streams) the outbound streamed reads of the scraper and the prober, free of Flask.

Below app.web and app.api; imports neither (tests/test_architecture.py holds the rule).
"""
