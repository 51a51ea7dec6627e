"""CIDR blocks (IPv4 and IPv6) as the search command's field terms and cidrmatch() use them.

A value is a CIDR block when it is an address, `/`, and a prefix length (`10.0.0.0/8`,
`fe80::/10`); host bits may be set (`10.1.2.3/8` is 10.0.0.0/8). A field value matches when it
is an address of the same family inside the block; values that are not addresses never match.
"""

from __future__ import annotations

import ipaddress
import re

_SHAPE = re.compile(r"[0-9A-Fa-f:.]+/\d{1,3}")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> Network | None:
    """The block `text` spells, or None when it is not a CIDR block."""
    if not _SHAPE.fullmatch(text):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def in_block(network: Network, value: str) -> bool:
    """Whether `value` is an address inside `network`."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == network.version and address in network
