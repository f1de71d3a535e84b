"""Masking of secrets before anything reaches a log line or an exception.

oslo.utils already masks values whose key looks like a password or a token
(``userpassword``, ``randompassword``, ``password``, ``auth_token``...);
novajoin adds the keys under which it carries one-time passwords.
"""

from __future__ import annotations

from typing import Any

from oslo_utils import strutils

MASK = "***"
_OUR_SECRET_KEYS = ("ipaotp", "otp")


def redact(value: Any) -> Any:
    """A copy of ``value`` (dict, list, tuple or scalar) with every secret masked."""
    if isinstance(value, dict):
        masked = strutils.mask_dict_password(value, secret=MASK)
        return {k: MASK if _is_ours(k) else redact(v) for k, v in masked.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _is_ours(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in _OUR_SECRET_KEYS
