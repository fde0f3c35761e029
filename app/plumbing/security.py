"""Security headers, set once for every response.

deploy/nginx/security-headers.conf sends the same values for what nginx answers itself
(static files, its own errors); tests/test_deploy_hardening.py keeps the two in step.
"""

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Every powerful feature the site never uses, denied to it and to anything it could
# embed (`interest-cohort`, FLoC, is gone; `browsing-topics` is its successor). Only
# names Chromium knows: an unknown one is a console error on every page.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    # No other window that opens us (or that we open) gets a handle on ours.
    "Cross-Origin-Opener-Policy": "same-origin",
}

# What other sites may load: the API (read by their scripts), badges (their <img>) and
# the feed (their readers). The one rule both this module and nginx's map follow.
EMBEDDABLE_PREFIXES = ("/api/", "/badge/", "/feed.atom")


def resource_policy(path: str) -> str:
    """Cross-Origin-Resource-Policy for a path: `cross-origin` for what others embed,
    `same-origin` for everything else (pages, their assets)."""
    return "cross-origin" if path.startswith(EMBEDDABLE_PREFIXES) else "same-origin"


def init_app(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # Same as headers.setdefault() per header, but one pass over the headers instead
        # of two per name (five setdefaults were a large part of a cached API request).
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118
        for name, value in SECURITY_HEADERS.items():
            if name.lower() not in present:
                response.headers.add(name, value)
        if "cross-origin-resource-policy" not in present:
            response.headers.add("Cross-Origin-Resource-Policy", resource_policy(request.path))
        return response
