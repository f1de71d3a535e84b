"""One-time passwords that every replica computes alike, and no one stores.

The OTP of an instance is an HMAC of its instance id and its *generation*
under a secret shared by all novajoin processes (``otp_secret``):

* the same instance gets the same OTP from every thread, process and replica,
  without a shared store and without a race: two replicas that create the
  host at the same moment set the same password;
* a rebuild bumps the generation (recorded on the IPA host entry by the
  listener), so the rebuilt instance gets a different OTP;
* the plaintext exists only in IPA (as the host's enrollment password) and in
  the answer to nova; caches hold the generation, never the OTP.

Knowing an instance id is not enough to compute its OTP; knowing the secret
is, so the secret is protected like the keytab next to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_CONTEXT = b"novajoin-otp-v1"


def derive(secret: bytes, instance_id: str, generation: int) -> str:
    """The OTP for ``instance_id`` at ``generation``: 32 characters, 160 bits.

    Base32 keeps it to letters and digits, safe in a shell word and in JSON.
    """
    msg = b"\0".join((_CONTEXT, instance_id.encode(), str(generation).encode()))
    digest = hmac.new(secret, msg, hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode().lower()
