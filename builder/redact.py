"""One redaction for everything vmwheel prints, logs, records or raises: credentials in URLs
(user:password@, token@), secret-looking query parameters and Authorization headers. The
real values still reach git, pip and twine; only what people and files see is redacted."""

import re

USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")
QUERY_SECRET = re.compile(r"(?P<key>[?&](?:[A-Za-z0-9_-]*(?:token|key|secret|password|passwd|"
                          r"auth|sig|signature)[A-Za-z0-9_-]*))=[^&#\s'\"]*", re.IGNORECASE)
AUTH_HEADER = re.compile(r"(?P<key>\bAuthorization:\s*)\S+(?:\s+\S+)?", re.IGNORECASE)


def redact(text):
    """`text` with credentials replaced by ***."""
    if not text:
        return text
    text = USERINFO.sub(r"\g<scheme>***@", str(text))
    text = QUERY_SECRET.sub(r"\g<key>=***", text)
    return AUTH_HEADER.sub(r"\g<key>***", text)
