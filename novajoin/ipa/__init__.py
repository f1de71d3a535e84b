"""Talking to FreeIPA: the JSON-RPC client and its login methods."""

from novajoin.domain.calls import IpaCall, Outcome
from novajoin.ipa.client import API_VERSION, IpaClient

__all__ = ["API_VERSION", "IpaCall", "IpaClient", "Outcome"]
