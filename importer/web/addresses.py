"""Which addresses a fetch may reach when the URL came from someone else's file.

A site URL read from an imported export is a stranger's choice: fetched unchecked, it turns the
nightly sync into a reader of the machine's own loopback, LAN and cloud-metadata services. These
helpers say whether a host resolves anywhere but the public internet.
"""
import ipaddress
import socket


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (an IPv4-mapped IPv6 one is judged as IPv4)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def first_not_public(host: str, port: int) -> str | None:
    """The first address of `host` that is loopback, private, link-local or reserved, else None.

    Any such address refuses the host: the connection might go to whichever one the resolver
    lists first. A name that does not resolve is left for the connection to report."""
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    for *_, sockaddr in found:
        if not is_public(sockaddr[0]):
            return sockaddr[0]
    return None
