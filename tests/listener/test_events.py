"""Payload parsing as tables: both nova formats, neutron, and what is refused."""

import uuid

import pytest

from novajoin import exception
from novajoin.listener import events
from tests.listener import samples

IID = str(uuid.uuid4())


@pytest.mark.parametrize("event_type,payload,action", [
    ("compute.instance.delete.end", samples.legacy_instance(IID, "web-01"), "delete"),
    ("compute.instance.rebuild.start", samples.legacy_instance(IID, "web-01"), "rebuild"),
    ("compute.instance.update", samples.legacy_instance(IID, "web-01"), "update"),
    ("instance.delete.end", samples.versioned_instance("instance.delete.end", IID, "web-01"),
     "delete"),
    ("instance.rebuild.start",
     samples.versioned_instance("instance.rebuild.start", IID, "web-01"), "rebuild"),
    ("instance.update", samples.versioned_instance("instance.update", IID, "web-01"), "update"),
    ("instance.update",  # a minor bump is fine: fields are only ever added
     samples.versioned_instance("instance.update", IID, "web-01", version="2.7"), "update"),
])
def test_instance_events(event_type, payload, action):
    event = events.instance_event(event_type, payload)
    state = payload.get("state") or payload.get("nova_object.data", {}).get("state")
    assert event == events.InstanceEvent(action, IID, samples.PROJECT, "web-01",
                                         {"ipa_enroll": "True"}, state)


@pytest.mark.parametrize("event_type,payload,reason", [
    ("instance.update", samples.versioned_instance("instance.update", IID, "w", version="1.8"),
     "unknown major version"),
    ("instance.delete.end", {"nova_object.name": "Other", "nova_object.version": "1.9"},
     "not InstanceActionPayload"),
    ("instance.delete.end", {**samples.versioned_instance("instance.delete.end", IID, "w"),
                             "nova_object.data": None}, "nova_object.data"),
    ("compute.instance.delete.end", {**samples.legacy_instance(IID, "w"), "instance_id": "x"},
     "not a UUID"),
    ("compute.instance.delete.end", {**samples.legacy_instance(IID, "w"), "hostname": None},
     "'hostname'"),
    ("compute.instance.delete.end", {**samples.legacy_instance(IID, "w"), "metadata": ["x"]},
     "string map"),
    ("compute.instance.delete.end", "not a dict", "not an object"),
])
def test_malformed_instance_events(event_type, payload, reason):
    with pytest.raises(exception.MalformedEvent) as info:
        events.instance_event(event_type, payload)
    assert reason in str(info.value)


def test_floating_ip_events():
    fip = str(uuid.uuid4())
    assoc = events.floating_ip_event("floatingip.update.end",
                                     samples.floating_ip("172.24.4.228", IID, fip))
    assert (assoc.instance_id, assoc.address, assoc.floating_ip_id) == (IID, "172.24.4.228", fip)
    detached = events.floating_ip_event("floatingip.update.end",
                                        samples.floating_ip("172.24.4.228", None, fip))
    assert detached.instance_id is None and detached.port_id is None
    deleted = events.floating_ip_event("floatingip.delete.end",
                                       samples.floating_ip_deleted("172.24.4.228", IID, fip))
    assert deleted.instance_id is None  # a deleted address points at nothing
    old_neutron = events.floating_ip_event(
        "floatingip.create.end",
        samples.floating_ip("2001:db8::5", IID, fip, with_port_details=False))
    assert old_neutron.instance_id is None and old_neutron.port_id  # looked up by port
    assert old_neutron.address == "2001:db8::5"


@pytest.mark.parametrize("payload", [
    {}, {"floatingip": {"id": "x"}},
    {"floatingip": {"id": str(uuid.uuid4()), "floating_ip_address": "not-an-ip"}},
])
def test_malformed_floating_ip_events(payload):
    with pytest.raises(exception.MalformedEvent):
        events.floating_ip_event("floatingip.update.end", payload)
