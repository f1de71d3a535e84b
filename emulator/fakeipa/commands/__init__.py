"""The emulated FreeIPA commands, one module per concern.

``host``, ``service`` and ``dns`` hold the directory commands, ``permission``
and ``role`` the RBAC ones (permissions, privileges, roles); ``misc`` holds
``ping``, ``env``, ``server_find`` and ``batch``; ``base`` the shared machinery. ``schema`` is
deliberately absent: like a pre-4.4 server the emulator answers it with
CommandError 905, which puts the official client into its compat mode.
"""

from __future__ import annotations

from fakeipa.commands import dns, host, misc, permission, role, service
from fakeipa.commands.base import Command


def registry() -> dict[str, Command]:
    """All commands by name."""
    modules = (host, service, dns, permission, role, misc)
    return {c.name: c for module in modules for c in module.COMMANDS}
