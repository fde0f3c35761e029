"""Security headers on every kind of answer: unused features denied, the site isolated,
the resource policy by path. (Through real nginx: tests/system/test_nginx_front.py.)"""

import pytest

from app.plumbing.security import resource_policy

# --- 7. security headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/", "same-origin"),
        ("/methodology", "same-origin"),
        ("/models/nope", "same-origin"),
        ("/api/models", "cross-origin"),
        ("/api/health", "cross-origin"),
        ("/api/nope", "cross-origin"),
        ("/badge/abc.svg", "cross-origin"),
        ("/feed.atom", "cross-origin"),
    ],
)
def test_headers_deny_unused_features_and_isolate_the_site(client, path, policy) -> None:
    response = client.get(path)
    assert response.headers["Cross-Origin-Resource-Policy"] == policy == resource_policy(path)
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert "interest-cohort" not in permissions
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
