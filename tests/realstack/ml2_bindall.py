"""An ML2 mechanism driver for tests: every port with a host is bound, as OVS, at once.

neutron ships no driver that binds ports without agents, and nova's fake virt driver plugs
nothing, so the realstack tier binds them itself. Test code only; never deploy it.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindAllDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        if not context.host:
            return
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: False,
                                 portbindings.OVS_HYBRID_PLUG: False},
                                status="ACTIVE")
            return
