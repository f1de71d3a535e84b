"""Serve vendordata requests with nova's own DynamicJSON provider (runs in ``.venv-nova``).

Protocol, one JSON object per line: a request on stdin is
``{"config": "/path/nova.conf", "instance": {<nova.objects.Instance fields>}}``; the answer
on stdout is ``{"result": <DynamicVendorData.get()>}`` or ``{"error": str, "type":
"module.Class", "traceback": str}``. The worker exits at end of input.

Per request it does what nova's metadata API does at start-up: ``nova.config.parse_args``
on the request's config file and ``oslo_log`` setup. Before that it clears CONF and drops
the previous request's auth plugin options and nova's cached service-auth sessions, so
each request sees only its own file. Then it builds the Instance and calls
``DynamicVendorData(instance=...).get()``.
"""

import json
import os
import sys
import traceback


def main():
    # Only answers go to the real stdout: anything nova or a library prints goes to stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import nova.conf
    import nova.config
    from nova import objects, service_auth
    from nova.api.metadata import vendordata_dynamic
    from oslo_config import cfg
    from oslo_log import log as logging

    objects.register_all()
    conf = nova.conf.CONF
    # keystoneauth registers the chosen plugin's options (auth_url, username... some
    # required) on first use; they must go before the next request, which may choose
    # another plugin or none.
    auth_group = "vendordata_dynamic_auth"
    nova_auth_opts = set(conf[auth_group])
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            conf.clear()
            for name in set(conf[auth_group]) - nova_auth_opts:
                conf.unregister_opt(cfg.Opt(name), group=auth_group)
            service_auth.reset_globals()
            nova.config.parse_args(["nova-api-metadata", "--config-file", request["config"]],
                                   configure_db=False, init_rpc=False)
            logging.setup(conf, "nova")
            instance = objects.Instance(**request["instance"])
            answer = {"result": vendordata_dynamic.DynamicVendorData(instance=instance).get()}
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the caller
            answer = {"error": str(exc),
                      "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                      "traceback": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
