"""Talking to FreeIPA: the JSON-RPC client and its login methods."""

from novajoin.ipa.client import API_VERSION, IpaCall, IpaClient, Outcome

__all__ = ["API_VERSION", "IpaCall", "IpaClient", "Outcome"]
