"""Where an outbound webhook may go: not to this machine, the private network, link-local
addresses or a cloud's metadata service. Checked when an endpoint is saved and again before
every delivery, since what a name resolves to can change.

WEBHOOKS_ALLOW_PRIVATE lets the demo and the tests post to a receiver on this machine;
https is required unless DEBUG is on (WEBHOOKS_REQUIRE_HTTPS)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Addresses cloud providers answer metadata requests on, beyond 169.254.0.0/16.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why, for the owner."""


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def url_check(url: str) -> None:
    """Raise UnsafeURL unless `url` is http(s) to a host whose every address is public."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL("Enter a valid URL.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("Enter a valid URL.")
    if parts.scheme != "https" and settings.WEBHOOKS_REQUIRE_HTTPS:
        raise UnsafeURL("The URL must start with https://.")
    if parts.username or parts.password:
        raise UnsafeURL("Leave the user name and password out of the URL.")
    try:
        infos = socket.getaddrinfo(
            parts.hostname,
            port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except (OSError, UnicodeError) as error:
        raise UnsafeURL(f"{parts.hostname} could not be found.") from error
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if _refused(address):
            raise UnsafeURL(
                f"{parts.hostname} resolves to a private or reserved address ({address}); "
                "webhooks only go to public addresses."
            )
