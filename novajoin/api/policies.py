"""Who may call novajoin-server, as oslo.policy rules defined in code.

Only nova's service user should ever call: by default a token with the
``service`` role (the role Keystone's bootstrap and nova's service user have
had since 2023) or ``admin``. novajoin 1.x checked the user and project
*names* (``user_name:nova and project_name:service``), which a same-named user
in another Keystone domain also matches; operators who want exactly that can
still write it in a policy file.
"""

from oslo_policy import policy

CREATE = "join:create"

rules = [
    policy.RuleDefault(
        name="service_or_admin",
        check_str="role:service or role:admin",
        description="nova's service user, or an administrator."),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str="rule:service_or_admin",
        description="Create or look up the IPA host of an instance and get its "
                    "enrollment password (nova's DynamicJSON vendordata call).",
        operations=[{"method": "POST", "path": "/v1/"}]),
]


def list_rules():
    return rules


def credentials(context) -> dict:
    """What rules may test: oslo.context's policy values, plus the user and project
    names, so that novajoin 1.x's ``user_name:nova and project_name:service`` still
    works in a policy file."""
    return {**context.to_policy_values(), "user_name": context.user_name,
            "project_name": context.project_name}
