"""Secrets are masked wherever novajoin logs a structure."""

from novajoin.domain.redact import MASK, redact


def test_masks_ipa_and_novajoin_secret_keys_at_any_depth():
    data = {"method": "batch", "params": [[{"params": [["h"], {"userpassword": "otp1"}]}],
                                          {"version": "2.229"}],
            "ipaotp": "otp2", "password": "pw", "randompassword": "rp", "description": "kept"}
    out = redact(data)
    flat = repr(out)
    for secret in ("otp1", "otp2", "'pw'", "'rp'"):
        assert secret not in flat
    assert out["description"] == "kept"
    assert out["params"][0][0]["params"][1]["userpassword"] == MASK
    assert data["ipaotp"] == "otp2"  # the input is not modified

