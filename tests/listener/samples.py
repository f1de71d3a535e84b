"""Notification payloads shaped exactly as nova and neutron send them.

Built from the wire contract (nova's info_from_instance() for the legacy
format, the InstancePayload objects for the versioned one, neutron's
floating IP view), with the fields novajoin reads set by the caller.
"""

from __future__ import annotations

import uuid

PROJECT = "4969c491a3c74ee4af974e6d800c62de"


def legacy_instance(instance_id: str, hostname: str, metadata: dict | None = None,
                    project_id: str = PROJECT, state: str = "deleted") -> dict:
    return {
        "tenant_id": project_id, "user_id": "ba597f03542d4609bda1698b25222dc2",
        "instance_id": instance_id, "display_name": hostname.title(),
        "reservation_id": "r-npxv0e40", "hostname": hostname, "instance_type": "m1.small",
        "instance_type_id": 5, "instance_flavor_id": "2", "architecture": None,
        "memory_mb": 2048, "disk_gb": 20, "vcpus": 1, "root_gb": 20, "ephemeral_gb": 0,
        "host": "compute-0.example.com", "node": "compute-0.example.com",
        "availability_zone": "nova", "cell_name": "",
        "created_at": "2026-05-13 12:40:02+00:00", "terminated_at": "", "deleted_at": "",
        "launched_at": "2026-05-13T12:41:09.871234",
        "image_ref_url": "http://glance.example.com:9292/images/155d900f",
        "os_type": None, "kernel_id": "", "ramdisk_id": "", "state": state,
        "state_description": "", "progress": "", "access_ip_v4": None, "access_ip_v6": None,
        "image_meta": {"ipa_enroll": "True", "min_ram": "0", "min_disk": "20",
                       "disk_format": "qcow2", "container_format": "bare"},
        "metadata": metadata if metadata is not None else {"ipa_enroll": "True"},
    }


_OBJECTS = {"instance.delete.end": ("InstanceActionPayload", "1.9"),
            "instance.rebuild.start": ("InstanceActionRebuildPayload", "1.10"),
            "instance.update": ("InstanceUpdatePayload", "2.1")}


def versioned_instance(event_type: str, instance_id: str, hostname: str,
                       metadata: dict | None = None, project_id: str = PROJECT,
                       version: str | None = None) -> dict:
    name, default_version = _OBJECTS[event_type]
    data = {
        "uuid": instance_id, "user_id": "ba597f03542d4609bda1698b25222dc2",
        "tenant_id": project_id, "reservation_id": "r-npxv0e40",
        "display_name": hostname.title(), "display_description": None,
        "host_name": hostname, "host": "compute", "node": "fake-mini", "os_type": None,
        "architecture": "x86_64", "availability_zone": "nova", "flavor": None,
        "image_uuid": "155d900f-4e14-4e4c-a73d-069cbf4541e6", "key_name": "my-key",
        "kernel_id": "", "ramdisk_id": "", "created_at": "2012-10-29T13:42:11Z",
        "launched_at": "2012-10-29T13:42:11Z", "terminated_at": None, "deleted_at": None,
        "updated_at": "2012-10-29T13:42:11Z", "state": "active", "power_state": "running",
        "task_state": None, "progress": 0, "ip_addresses": [], "block_devices": None,
        "metadata": metadata if metadata is not None else {"ipa_enroll": "True"},
        "locked": False, "auto_disk_config": "MANUAL", "request_id": "req-5b6c7d8e",
        "action_initiator_user": "admin", "action_initiator_project": project_id,
        "locked_reason": None, "shares": None, "fault": None,
    }
    return {"nova_object.name": name, "nova_object.namespace": "nova",
            "nova_object.version": version or default_version, "nova_object.data": data}


def floating_ip(address: str, instance_id: str | None, fip_id: str | None = None,
                project_id: str = PROJECT, with_port_details: bool = True) -> dict:
    port_id = str(uuid.uuid4()) if instance_id else None
    details = None
    if instance_id and with_port_details:
        details = {"name": "", "network_id": "02dd8479-ef26-4398-a102-d19d0a7b3a1f",
                   "mac_address": "fa:16:3e:b1:3b:30", "admin_state_up": True,
                   "status": "ACTIVE", "device_id": instance_id,
                   "device_owner": "compute:nova"}
    return {"floatingip": {
        "id": fip_id or str(uuid.uuid4()), "tenant_id": project_id, "project_id": project_id,
        "floating_ip_address": address,
        "floating_network_id": "376da547-b977-4cfe-9cba-275c80debf57",
        "router_id": "d23abc8d-2991-4a55-ba98-2aaea84cc72f" if instance_id else None,
        "port_id": port_id, "fixed_ip_address": "10.0.0.4" if instance_id else None,
        "status": "ACTIVE" if instance_id else "DOWN", "description": "", "dns_domain": "",
        "dns_name": "", "tags": [], "created_at": "2026-05-13T12:44:50Z",
        "updated_at": "2026-05-13T12:45:29Z", "revision_number": 3, "qos_policy_id": None,
        "port_forwardings": [], "port_details": details}}


def floating_ip_deleted(address: str, instance_id: str | None, fip_id: str) -> dict:
    payload = floating_ip(address, instance_id, fip_id)
    return {"floatingip_id": fip_id, **payload}
