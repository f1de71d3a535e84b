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



def test_masks_novajoin_otp_keys_in_any_case_and_keeps_the_rest():
    data = {"otp": "derived-otp", "OTP": "upper", "IpaOtp": "mixed",
            "nested": [{"otp": "deep"}, ("t", {"otp": "tuple"})],
            "otp_generation": "g3", "generation": 3, 7: "int key"}
    out = redact(data)
    assert out["otp"] == out["OTP"] == out["IpaOtp"] == MASK
    assert out["nested"][0]["otp"] == MASK
    assert out["nested"][1] == ("t", {"otp": MASK})
    assert isinstance(out["nested"][1], tuple)
    # Only those exact keys are novajoin's: similar names, numbers and other keys stay.
    assert out["otp_generation"] == "g3"
    assert out["generation"] == 3 and out[7] == "int key"
    for secret in ("derived-otp", "upper", "mixed", "deep", "tuple"):
        assert secret not in repr(out)


def test_scalars_and_other_values_pass_through():
    assert redact("otp") == "otp"
    assert redact(None) is None
    assert redact(["a", 1]) == ["a", 1]
    assert redact({"password": "pw"}) == {"password": MASK}
