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
