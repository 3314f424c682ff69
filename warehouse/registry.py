"""The warehouse's domains: one line each. Everything that serves or runs a domain reads this list."""

import importlib

from warehouse.domain import Domain

DOMAIN_MODULES = [
    "warehouse.domains.vouchers",
    "warehouse.domains.telecom",
    "warehouse.domains.attribution",
]

_registered: dict[str, Domain] = {}


def register(domain: Domain) -> Domain:
    """Add a domain declared outside DOMAIN_MODULES (a plug-in, or a test's); return it."""
    _registered[domain.name] = domain
    return domain


def unregister(name: str) -> None:
    _registered.pop(name, None)


def domains() -> list[Domain]:
    """Return every domain, the listed ones first, in order."""
    listed = [importlib.import_module(module).DOMAIN for module in DOMAIN_MODULES]
    return listed + [domain for name, domain in _registered.items() if name not in {d.name for d in listed}]


def domain(name: str) -> Domain:
    for candidate in domains():
        if candidate.name == name:
            return candidate
    raise KeyError(f"no domain named {name!r}; known: {[candidate.name for candidate in domains()]}")
