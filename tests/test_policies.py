"""Who may call novajoin-server by default: nova's service user or an administrator."""

import pytest
from oslo_config import cfg
from oslo_context import context
from oslo_policy import policy

from novajoin.api import policies


def enforcer():
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    e = policy.Enforcer(conf)  # as novajoin-server builds it, without a policy file
    e.register_defaults(policies.list_rules())
    return e


def test_the_defaults():
    rules = {r.name: r.check_str for r in policies.list_rules()}
    assert rules == {"service_or_admin": "role:service or role:admin",
                     "join:create": "rule:service_or_admin"}
    assert policies.CREATE == "join:create"
    create = next(r for r in policies.list_rules() if r.name == policies.CREATE)
    assert create.operations == [{"method": "POST", "path": "/v1/"}]


@pytest.mark.parametrize("roles,allowed", [
    (["service"], True), (["admin"], True), (["reader", "service"], True),
    (["Service"], True),  # role names compare case-insensitively, as in Keystone
    (["member"], False), (["reader"], False), ([], False),
    (["service_admin"], False),
])
def test_create_by_role(roles, allowed):
    creds = {"roles": roles, "user_id": "u", "project_id": "p"}
    assert enforcer().enforce(policies.CREATE, {}, creds) is allowed


def test_credentials_carry_the_names_for_1x_rules():
    ctx = context.RequestContext(user_id="u1", project_id="p1", user_name="nova",
                                 project_name="service", roles=["member"])
    creds = policies.credentials(ctx)
    assert creds == {**ctx.to_policy_values(), "user_name": "nova",
                     "project_name": "service"}
    e = enforcer()
    e.load_rules()
    e.set_rules(policy.Rules.from_dict(
        {"join:create": "user_name:nova and project_name:service"}), overwrite=False)
    assert e.enforce(policies.CREATE, {}, creds) is True
    other = policies.credentials(context.RequestContext(user_name="nova",
                                                        project_name="demo"))
    assert e.enforce(policies.CREATE, {}, other) is False


# -- novajoin.api.enforcer: oslo.policy asked less often -------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def remembering(tmp_path, clock):
    from novajoin.api.enforcer import Enforcer

    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    e = Enforcer(conf, policy_file=str(tmp_path / "policy.yaml"), reload_interval=1.0,
                 clock=clock)
    e.register_defaults(policies.list_rules())
    return e


SERVICE = {"roles": ["service"], "user_id": "nova", "project_id": "p"}
MEMBER = {"roles": ["member"], "user_id": "nova", "project_id": "p"}


def test_remembered_decisions_follow_the_credentials(tmp_path):
    e = remembering(tmp_path, _Clock())
    for _ in range(3):  # the second and third answers are remembered ones
        assert e.authorized(policies.CREATE, {}, SERVICE) is True
        assert e.authorized(policies.CREATE, {}, MEMBER) is False
        # one credential more or less is another question for oslo.policy
        assert e.authorized(policies.CREATE, {}, {**MEMBER, "roles": ["member", "admin"]})
    with pytest.raises(policy.PolicyNotAuthorized, match="join:create is disallowed"):
        e.authorize_or_raise(policies.CREATE, {}, MEMBER)
    with pytest.raises(policy.PolicyNotRegistered):
        e.authorized("join:unknown", {}, SERVICE)


def test_an_edited_policy_file_applies_within_the_interval(tmp_path):
    clock = _Clock()
    e = remembering(tmp_path, clock)
    assert e.authorized(policies.CREATE, {}, MEMBER) is False
    (tmp_path / "policy.yaml").write_text('"join:create": "role:member"\n')
    clock.now = 0.5
    assert e.authorized(policies.CREATE, {}, MEMBER) is False  # not looked at yet
    clock.now = 1.0
    assert e.authorized(policies.CREATE, {}, MEMBER) is True
    assert e.authorized(policies.CREATE, {}, SERVICE) is False


def test_rules_set_in_code_forget_remembered_decisions(tmp_path):
    e = remembering(tmp_path, _Clock())
    assert e.authorized(policies.CREATE, {}, SERVICE) is True
    e.set_rules(policy.Rules.from_dict({"join:create": "!"}), overwrite=False)
    assert e.authorized(policies.CREATE, {}, SERVICE) is False


def test_credentials_equal_only_in_python_are_not_the_same_question():
    from novajoin.api.enforcer import _frozen

    assert _frozen({"is_admin": True}) != _frozen({"is_admin": 1})
    assert _frozen({"roles": ["a", "b"]}) != _frozen({"roles": ("a", "b")})
    assert _frozen({"roles": ["a"], "x": None}) == _frozen({"roles": ["a"], "x": None})
    with pytest.raises(TypeError):
        _frozen({"roles": {"a"}})
