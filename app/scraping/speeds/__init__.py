"""Speeds: daily rows to figures (pure), and the drift check on an upstream answer."""
