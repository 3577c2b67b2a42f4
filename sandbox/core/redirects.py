"""OAuth redirect URIs, checked and answered the same way by every consent page."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def redirect_allowed(registered: list[str], uri: str) -> bool:
    """The registered URIs when the app lists some; otherwise https, or http on localhost."""
    if registered:
        return uri in registered
    parts = urlsplit(uri)
    if parts.fragment or not parts.netloc:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


def with_params(uri: str, **params: str | None) -> str:
    """`uri` with `params` added to its query (None values left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))
