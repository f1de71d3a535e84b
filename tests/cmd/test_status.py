"""novajoin-status upgrade check: each check passing and failing (issue 14 part 1).

IPA is the emulator, prepared (or not) by novajoin-ipa-setup; Keystone and Glance are the
real ones; RabbitMQ is the machine's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from oslo_upgradecheck.upgradecheck import Code

from novajoin.cmd import ipa_setup as setup_cli
from novajoin.cmd import status, status_checks
from novajoin.cmd.status_checks import Context
from tests.api.conftest import conf_text, keystone_sections
from tests.support import ADMIN_PASSWORD, DOMAIN

HOST = f"novajoin.{DOMAIN}"
SECRET = "s" * 40


@pytest.fixture
def write_conf(fakeipa, tmp_path):
    def write(sections: str = "", **extra) -> Path:
        extra.setdefault("otp_secret", SECRET)
        path = tmp_path / f"join-{uuid.uuid4().hex[:6]}.conf"
        text = conf_text(fakeipa, sections, **extra)
        # a value None: the option is not in the file at all
        path.write_text("".join(line for line in text.splitlines(keepends=True)
                                if not line.endswith(" = None\n")))
        return path
    return write


@pytest.fixture
def make_ctx(write_conf):
    def make(sections: str = "", **extra) -> Context:
        conf = status.build_conf()
        path = write_conf(sections, **extra)
        from novajoin import conf as novajoin_conf

        novajoin_conf.parse(conf, ["--config-file", str(path), "upgrade", "check"],
                            status.PROG)
        return Context(conf, hostname=HOST)
    return make


@pytest.fixture
def ipa_prepared(fakeipa, tmp_path):
    password = tmp_path / "admin-password"
    password.write_text(ADMIN_PASSWORD + "\n")
    assert setup_cli.main(["--url", fakeipa.json_url, "--hostname", HOST,
                           "--password-file", str(password)]) == 0


def _code(result):
    return result.code


# --------------------------------------------------------------------------- join.conf


def test_config_with_url_domain_and_a_long_secret_succeeds(make_ctx):
    assert status_checks.check_config(make_ctx()).code == Code.SUCCESS


@pytest.mark.parametrize("extra,said", [
    ({"otp_secret": ""}, "otp_secret is not set"),
    ({"otp_secret": "short-secret"}, "otp_secret has 12 characters, fewer than 32"),
    ({"url": None}, "url is not set"),
    ({"url": "not a url"}, "join.conf cannot be used"),
    ({"domain": ""}, "domain is not set"),
])
def test_config_names_what_is_missing(make_ctx, extra, said):
    result = status_checks.check_config(make_ctx(**extra))
    assert result.code == Code.FAILURE and said in result.details


def test_a_join_conf_that_does_not_parse_is_a_failure(tmp_path, capsys):
    bad = tmp_path / "join.conf"
    bad.write_text("[DEFAULT\nurl = x\n")
    assert status.main(["--config-file", str(bad), "upgrade", "check"]) == 2
    assert "join.conf does not parse" in capsys.readouterr().err


# --------------------------------------------------------------------------- policy


def test_no_policy_file_means_the_defaults(make_ctx, tmp_path):
    ctx = make_ctx(sections=f"[oslo_policy]\npolicy_file = {tmp_path / 'none.yaml'}\n")
    result = status_checks.check_policy(ctx)
    assert result.code == Code.SUCCESS and "defaults apply" in result.details


def test_a_policy_file_that_parses(make_ctx, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('"compute:create_vendordata": "role:admin"\n')
    result = status_checks.check_policy(
        make_ctx(sections=f"[oslo_policy]\npolicy_file = {policy}\n"))
    assert result.code in (Code.SUCCESS, Code.WARNING)
    assert "parses" in result.details or "does not know" in result.details


def test_a_policy_file_that_does_not_parse(make_ctx, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("rule: [unclosed\n")
    result = status_checks.check_policy(
        make_ctx(sections=f"[oslo_policy]\npolicy_file = {policy}\n"))
    assert result.code == Code.FAILURE and "does not parse" in result.details


# --------------------------------------------------------------------------- IPA


def test_ipa_login_succeeds(make_ctx):
    result = status_checks.check_ipa_login(make_ctx())
    assert result.code == Code.SUCCESS and "realm" in result.details


def test_ipa_login_with_a_wrong_password_fails(make_ctx):
    result = status_checks.check_ipa_login(make_ctx(ipa_password="wrong-password"))
    assert result.code == Code.FAILURE and "IPA refused novajoin's login" in result.details


def test_an_unreachable_ipa_fails(make_ctx):
    result = status_checks.check_ipa_login(make_ctx(url="http://127.0.0.1:9/ipa/json"))
    assert result.code == Code.FAILURE and "cannot be reached" in result.details


def test_ipa_without_setup_names_novajoin_ipa_setup(make_ctx):
    result = status_checks.check_ipa_setup(make_ctx())
    assert result.code == Code.FAILURE
    assert "run novajoin-ipa-setup --hostname " + HOST in result.details
    assert 'create role "Nova Host Manager"' in result.details


def test_ipa_after_setup_succeeds(make_ctx, ipa_prepared):
    result = status_checks.check_ipa_setup(make_ctx())
    assert result.code == Code.SUCCESS, result.details
    assert "Nova Host Manager" in result.details


def test_a_permission_removed_after_setup_fails(make_ctx, ipa_prepared, fakeipa):
    from novajoin.ipa import IpaClient
    from novajoin.ipa.auth import PasswordLogin

    admin = IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD))
    admin.call("role_remove_privilege", "Nova Host Manager",
               privilege=["Novajoin Host Enrollment"])
    result = status_checks.check_ipa_setup(make_ctx())
    assert result.code == Code.FAILURE and "novajoin-ipa-setup" in result.details


# --------------------------------------------------------------------------- deployment


def test_the_default_deployment_alone_is_reported(make_ctx):
    result = status_checks.check_deployment(make_ctx())
    assert result.code == Code.SUCCESS and "deployment = default" in result.details


def test_the_default_deployment_beside_another_warns(make_ctx, fakeipa):
    from novajoin.ipa import IpaClient
    from novajoin.ipa.auth import PasswordLogin

    admin = IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD))
    admin.call("host_add", f"east1.{DOMAIN}", force=True,
               description=f"novajoin owner deployment=east kind=host "
                           f"instance={uuid.uuid4()} project=p1 generation=0")
    result = status_checks.check_deployment(make_ctx())
    assert result.code == Code.WARNING and "deployments east" in result.details
    named = status_checks.check_deployment(make_ctx(deployment="west"))
    assert named.code == Code.SUCCESS and "deployment = west" in named.details


# --------------------------------------------------------------------------- OpenStack


def _user(keystone, *roles):
    return keystone.new_user("st-" + uuid.uuid4().hex[:6], "service", list(roles))


def test_an_admin_user_reads_images_and_projects(make_ctx, keystone, glance, glance_image):
    ctx = make_ctx(sections=keystone_sections(_user(keystone, "admin")))
    images = status_checks.check_images(ctx)
    assert images.code == Code.SUCCESS and "not verified against a private image" in \
        images.details
    projects = status_checks.check_projects(ctx)
    assert projects.code == Code.SUCCESS, projects.details
    private = glance_image({"ipa_enroll": "True"}, project="demo")
    ctx.private_image = private
    assert status_checks.check_images(ctx).code == Code.SUCCESS


def test_a_service_only_user_fails_images_and_projects(make_ctx, keystone, glance):
    ctx = make_ctx(sections=keystone_sections(_user(keystone, "service")))
    images = status_checks.check_images(ctx)
    assert images.code == Code.FAILURE and "get_images" in images.details
    projects = status_checks.check_projects(ctx)
    assert projects.code == Code.FAILURE and "identity:get_project" in projects.details


def test_a_reader_is_warned_it_cannot_see_private_images(make_ctx, keystone, glance,
                                                         glance_image):
    ctx = make_ctx(sections=keystone_sections(_user(keystone, "reader")))
    images = status_checks.check_images(ctx)
    assert images.code == Code.WARNING
    assert "absent and for hidden alike" in images.details
    assert "Not verified against a private image" in images.details
    ctx.private_image = glance_image({"ipa_enroll": "True"}, project="demo")
    hidden = status_checks.check_images(ctx)
    assert hidden.code == Code.FAILURE and "reads as no image" in hidden.details


def test_no_credentials_fail_every_openstack_check(make_ctx):
    ctx = make_ctx()
    for check in (status_checks.check_images, status_checks.check_projects,
                  status_checks.check_servers):
        result = check(ctx)
        assert result.code == Code.FAILURE and "has no credentials" in result.details


class _Compute:
    def __init__(self, error=None):
        self.error = error

    def servers(self, **query):
        assert query["all_projects"] is True
        if self.error:
            raise self.error
        return iter([{"id": "s1"}])


class _Cloud:
    def __init__(self, compute):
        self._compute = compute

    def compute(self):
        return self._compute

    def _translate(self, service, exc):
        from novajoin.openstack import Cloud

        return Cloud._translate(self, service, exc)  # type: ignore[arg-type]

    _metrics = None
    _lock = __import__("threading").Lock()
    _logged: dict = {}


def test_listing_all_projects_servers(make_ctx):
    from openstack import exceptions as sdk_exc

    ctx = make_ctx()
    ctx.cloud = _Cloud(_Compute())
    assert status_checks.check_servers(ctx).code == Code.SUCCESS
    ctx.cloud = _Cloud(_Compute(sdk_exc.ForbiddenException(
        "Policy doesn't allow os_compute_api:servers:index:get_all_tenants")))
    result = status_checks.check_servers(ctx)
    assert result.code == Code.FAILURE and "get_all_tenants" in result.details


# --------------------------------------------------------------------------- RabbitMQ


@pytest.fixture
def declared_queue(rabbitmq):
    """A topic whose queue exists, declared and bound as novajoin-notify does."""
    import kombu

    topic = "novajoin_status_" + uuid.uuid4().hex[:8]
    with kombu.Connection(rabbitmq.replace("rabbit:", "amqp:", 1)) as conn:
        channel = conn.channel()
        for exchange in ("nova", "neutron"):
            channel.exchange_declare(exchange, "topic", durable=False, auto_delete=False)
        channel.queue_declare(f"{topic}.info", auto_delete=False)
        for exchange in ("nova", "neutron"):
            channel.queue_bind(f"{topic}.info", exchange, routing_key=f"{topic}.info")
    yield topic
    with kombu.Connection(rabbitmq.replace("rabbit:", "amqp:", 1)) as conn:
        conn.channel().queue_delete(f"{topic}.info")


def test_rabbitmq_with_the_queue_succeeds(make_ctx, rabbitmq, declared_queue):
    ctx = make_ctx(transport_url=rabbitmq, notifications_topic=declared_queue)
    result = status_checks.check_rabbitmq(ctx)
    assert result.code == Code.SUCCESS, result.details
    assert f"queue {declared_queue}.info" in result.details


def test_rabbitmq_without_the_queue_fails(make_ctx, rabbitmq):
    ctx = make_ctx(transport_url=rabbitmq, notifications_topic="novajoin_absent_topic")
    result = status_checks.check_rabbitmq(ctx)
    assert result.code == Code.FAILURE
    assert "no queue novajoin_absent_topic.info" in result.details
    assert "start novajoin-notify" in result.details


def test_unreachable_rabbitmq_fails(make_ctx):
    ctx = make_ctx(transport_url="rabbit://guest:guest@127.0.0.1:9/")
    result = status_checks.check_rabbitmq(ctx)
    assert result.code == Code.FAILURE and "cannot be reached" in result.details


# --------------------------------------------------------------------------- shared cache

REDIS = "[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"


@pytest.mark.parametrize("arguments, code, said", [
    (None, Code.SUCCESS, "each novajoin process remembers for itself"),
    (["url:redis://127.0.0.1:1/0", "socket_timeout:0.2"], Code.WARNING, "does not answer"),
    (["url:redis://127.0.0.1:6379/3"], Code.WARNING, "adds the host once per process"),
    (["url:redis://127.0.0.1:6379/3", "distributed_lock:true", "thread_local_lock:false"],
     Code.WARNING, "never expire"),
    (["url:redis://127.0.0.1:6379/3", "distributed_lock:true", "thread_local_lock:false",
      "lock_timeout:60"], Code.SUCCESS, "expire after 60 s"),
])
def test_the_shared_cache_answers_and_lends_expiring_locks(make_ctx, redis_server, arguments,
                                                          code, said):
    sections = "" if arguments is None else REDIS + "".join(
        f"backend_argument = {a}\n" for a in arguments)
    result = status_checks.check_cache(make_ctx(sections))
    assert result.code == code and said in result.details


# --------------------------------------------------------------------------- the command


def test_the_command_prints_every_check_and_exits_with_the_worst(write_conf, capsys):
    path = write_conf(otp_secret="short")
    code = status.main(["--config-file", str(path), "upgrade", "check", "--json",
                        "--hostname", HOST])
    out = json.loads(capsys.readouterr().out)
    names = [c["check"] for c in out["checks"]]
    assert names == [name for name, _ in status_checks.CHECKS]
    results = {c["check"]: c["result"] for c in out["checks"]}
    assert results["join.conf"] == Code.FAILURE and code == Code.FAILURE
    assert results["IPA login"] == Code.SUCCESS


def test_help_as_a_process():
    exe = Path(sys.executable).parent / "novajoin-status"
    for argv in (["--help"], ["upgrade", "--help"], ["instance", "--help"]):
        done = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage: novajoin-status" in done.stdout


def test_project_sections_and_subdomains_that_mean_no_single_project_are_warned(
        make_ctx, keystone):
    """doc/configuration.md: a name two domains share applies to none; a subdomain label two
    projects' names make is refused to both (issue 12 item 4)."""
    tag = uuid.uuid4().hex[:6]
    domain = keystone.api("POST", "/domains", {"domain": {"name": f"st-{tag}"}})["domain"]

    def project(name, domain_id="default"):
        return keystone.api("POST", "/projects", {"project": {
            "name": name, "domain_id": domain_id}})["project"]["id"]
    project(f"twin-{tag}")
    project(f"twin-{tag}", domain["id"])
    alone = project(f"alone-{tag}")
    project(f"fold-{tag}")
    project(f"fold-{tag}!")
    creds = keystone_sections(_user(keystone, "admin"))
    good = make_ctx(sections=f"[{alone}]\n[Default/alone-{tag}]\n[alone-{tag}]\n" + creds)
    result = status_checks.check_project_names(good)
    assert result.code == Code.SUCCESS, result.details
    bad = make_ctx(sections=f"[twin-{tag}]\n[st-{tag}/alone-{tag}]\n[nobody-{tag}]\n" + creds,
                   project_subdomain="True")
    result = status_checks.check_project_names(bad)
    assert result.code == Code.WARNING
    assert f"[twin-{tag}] names 2 projects and applies to none" in result.details
    assert f"[st-{tag}/alone-{tag}] is no project of that domain" in result.details
    assert f"[nobody-{tag}] names no project" in result.details
    assert f"subdomain fold-{tag} is made by 2 projects' names" in result.details
    assert f"subdomain twin-{tag} is made by 2 projects' names" in result.details
    assert f"alone-{tag} is made" not in result.details
