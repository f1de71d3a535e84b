"""The small expiring memo behind the Glance and Keystone lookups."""


def test_ttl_memo_remembers_then_forgets():
    from novajoin.openstack import TtlMemo

    now = [0.0]
    memo = TtlMemo(ttl=10, size=2, clock=lambda: now[0])
    calls = []

    def compute(value):
        calls.append(value)
        return value

    assert memo.get_or_compute("a", lambda: compute(1)) == 1
    assert memo.get_or_compute("a", lambda: compute(2)) == 1  # remembered
    now[0] = 11
    assert memo.get_or_compute("a", lambda: compute(3)) == 3  # expired
    memo.get_or_compute("b", lambda: compute(4))
    memo.get_or_compute("c", lambda: compute(5))  # over size: old entries dropped
    assert calls == [1, 3, 4, 5]
    assert memo.get_or_compute("c", lambda: compute(6)) == 5
