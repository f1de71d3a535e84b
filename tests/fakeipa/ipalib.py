"""Driving the emulator with the official ipalib client (in its own virtualenv)."""

from __future__ import annotations

from pathlib import Path

from tests.support import DOMAIN

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ipalib_scripts") / "drive.py"
FQDN = f"vm1.{DOMAIN}"


def ok(report: dict, step: str) -> dict:
    assert "ok" in report[step], report[step]
    return report[step]["ok"]


def text(value: dict) -> str:
    assert value["type"] == "str", value
    return value["value"]
