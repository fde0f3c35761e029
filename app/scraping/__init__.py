"""The scraping side: sources (fetch + parse), pure statistics, and the one-transaction run."""
