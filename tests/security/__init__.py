"""Attacks on novajoin, each run against the real code paths and each refused.

Round 1 (peers-and-threats §2):

| attack | test |
|---|---|
| 1. claim a service principal that is not the tenant's | ``test_service_claims.py`` |
| 2. a delete, rebuild or update removes someone else's entries | ``test_foreign_delete.py`` |
| 3. an instance named like an existing host | ``test_host_hijack.py`` |
| 5. callers other than nova's service user | ``test_callers.py`` |
| 7, 9. secrets in logs, exceptions, process lists | ``test_secrets.py`` |
| bodies built to exhaust the server | ``test_request_limits.py`` |

Round 2 (issue 12; the surface each attack uses in brackets):

| item | attack | test |
|---|---|---|
| 1 | names with DNS records but no host (``www``, ``ipa-ca``) [HTTP] | ``test_dns_names.py`` |
| 2 | a floating IP on a spoofed port [RabbitMQ] | ``test_floating_spoof.py`` |
| 2 | the same, through reconcile's missing records [CLI] | ``tests/reconcile/test_reconcile.py`` |
| 3 | an admin's host_disable undone by vendordata [HTTP] | ``test_disabled_host.py`` |
| 4 | a same-named project gets settings or subdomain [HTTP] | ``test_project_names.py`` |
| 5 | one region deletes another's hosts [CLI] | ``tests/reconcile/test_deployments.py`` |
| 6 | identical concurrent requests [HTTP, 2 processes] | ``test_concurrent_requests.py`` |
| 7 | slowloris holds every server thread [TCP] | ``test_slowloris.py`` |
| 8 | a forged log line before authentication [HTTP] | ``test_log_injection.py`` |
| 9 | a far-future rebuild freezes the generation [notification] | ``test_round2_small.py`` |
| 10 | ``/ready`` shows the IPA user and URL [HTTP] | ``test_round2_small.py`` |
| 11 | reserved service names (``krbtgt``, ``kadmin``, ``K``...) [HTTP] | ``test_round2_small.py`` |
| 12 | a second delete delivery after a name is reused [RabbitMQ] | ``test_name_reuse.py`` |

Guards that only one test pinned (issue 18): ``test_substring_matches.py``,
``test_existing_entries.py``, ``test_location_form.py``.
"""
