"""Options of novajoin-reconcile, and of its periodic run inside novajoin-notify."""

from oslo_config import cfg

reconcile_opts = [
    cfg.IntOpt("reconcile_interval", default=0, min=0,
               help="""Seconds between two reconciliations run by novajoin-notify (compare
nova's servers with the IPA entries novajoin owns, see novajoin-reconcile). 0 turns the
periodic run off. The first run starts one interval after the listener. The credentials in
[service_credentials] must be allowed to list the servers of all projects (admin role)."""),
    cfg.BoolOpt("reconcile_apply", default=False,
                help="""Whether the periodic run fixes what it finds (delete orphaned hosts,
remove stale DNS records, clear old one-time passwords) or only logs and counts it. It never
changes anything when nova's server list is incomplete."""),
    cfg.FloatOpt("max_unenrolled_age", default=24.0, min=0,
                 help="""Hours after which a host whose instance has not enrolled yet (its
one-time password is still set) is reported, and its password cleared when fixing. The age
counts from the instance's creation or its last rebuild. 0 turns the check off."""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(reconcile_opts)


def list_opts():
    return [("DEFAULT", reconcile_opts)]
