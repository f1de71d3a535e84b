#!/usr/bin/env python3
"""Enroll this instance into FreeIPA with the one-time password novajoin publishes.

novajoin's vendor cloud-config installs this script and runs it once, as root,
at the instance's first boot (cloud-init ``runcmd``). It:

1. does nothing when the host is already an IPA client (``/etc/ipa/default.conf``);
2. waits for novajoin's answer in ``openstack/latest/vendor_data2.json`` under
   the key ``join`` (``hostname``, ``krb_realm`` and, until the host has
   enrolled, ``ipaotp``), read from the config drive first (label ``config-2``,
   mounted read-only on a private directory), then from the metadata service;
   it retries with capped exponential backoff and random jitter until the OTP
   is there or ``--timeout`` seconds have passed;
3. installs the IPA client when ``ipa-client-install`` is missing (``ipa-client``
   with dnf or yum, ``freeipa-client`` with apt-get): the package manager is
   only known on the guest, and cloud-config's ``packages:`` cannot vary per
   distribution, so the choice is made here, and only for instances that enroll;
4. runs ``ipa-client-install -U -w <OTP> --hostname <FQDN> --realm <REALM>``.

The OTP is never written anywhere by this script: not to stdout or stderr
(which cloud-init copies to /var/log/cloud-init-output.log and the console),
not to its log file, and it is masked in the output of the commands it runs.
ipa-client-install has no way to read the password from a file or a pipe, so
the OTP is on its command line (and on those of ipa-join and ipa-getkeytab,
which it runs): any local user can see it in the process list for the
duration of that one command.
That is at first boot, before any user has logged in, and the password is
single-use: IPA deletes it when the host's keys are set, so once the command
has succeeded the OTP is worthless. If enrollment fails, the OTP stays valid
until novajoin or an administrator changes it.

nova's metadata service has an IPv4 address: on IPv6-only networks the config
drive is the way (--metadata-url can name other addresses).

Exit status: 0 enrolled, already enrolled or enrollment not requested;
2 bad command line; 3 timed out waiting for the OTP; 4 malformed vendor data;
5 the IPA client could not be installed; 6 ipa-client-install failed;
1 anything else. Failures print one line on stderr.

Runs on the guest's own Python 3, 3.6 (RHEL 8's platform-python) and later,
with the standard library only.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PROG = "novajoin-setup-ipa-client"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_BAD_DATA = 4
EXIT_PACKAGE = 5
EXIT_IPA = 6

VENDOR_DATA = "openstack/latest/vendor_data2.json"
META_DATA = "openstack/latest/meta_data.json"
CONFIG_DRIVE_LABELS = ("config-2", "CONFIG-2")  # vfat drives may carry an upper-case label
MAX_DOCUMENT = 1024 * 1024
MASK = "********"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
FQDN_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
REALM_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?$")
# Printable ASCII without blanks, and not starting with "-" so that it can
# never be taken for an option of ipa-client-install.
OTP_RE = re.compile(r"^[!-,.-~][!-~]{0,255}$")


class Failure(Exception):
    """Ends the run with ``code`` and the one-line ``message``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------
# Output: one-line progress on stdout, details in a private log file.


class Reporter:
    """Writes progress to stdout and the log file, details to the log file only.

    Every text goes through :meth:`redact`, which masks the secrets registered
    with :meth:`secret` (the OTP), whatever prints it.
    """

    def __init__(self, log_path, stdout=None, stderr=None):
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr
        self._secrets = []
        self.log_path = log_path
        self._log = None
        if log_path:
            try:
                self._log = open_private_log(log_path)
            except OSError as exc:
                reason = exc.strerror or exc
                self._print(self._stderr, f"warning: cannot open the log file {log_path} "
                                          f"({reason}); command output is not kept")

    def secret(self, value):
        if value and value not in self._secrets:
            self._secrets.append(value)

    def redact(self, text):
        for value in self._secrets:
            text = text.replace(value, MASK)
        return text

    def _print(self, stream, text):
        try:
            stream.write(f"{PROG}: {self.redact(text)}\n")
            stream.flush()
        except (OSError, ValueError):
            pass

    def detail(self, text):
        """A line for the log file only."""
        if self._log is None:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        try:
            line = self.redact(text.rstrip("\n"))
            self._log.write(f"{stamp} {line}\n")
            self._log.flush()
        except (OSError, ValueError):
            pass

    def info(self, text):
        self.detail(text)
        self._print(self._stdout, text)

    def error(self, text):
        self.detail("error: " + text)
        self._print(self._stderr, "error: " + text)

    def close(self):
        if self._log is not None:
            self._log.close()
            self._log = None


def open_private_log(path):
    """Open ``path`` for appending, readable by its owner only, whatever it was before."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "a", encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------
# Where vendor data comes from.


class Unavailable:
    """A source that could not be read this time (reason for the log)."""

    def __init__(self, reason):
        self.reason = reason


def parse_document(raw, where):
    """JSON object from ``raw`` bytes; never quotes the content in an error."""
    if len(raw) > MAX_DOCUMENT:
        raise Failure(EXIT_BAD_DATA, f"{where} is larger than {MAX_DOCUMENT} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Failure(EXIT_BAD_DATA, f"{where} is not UTF-8 text") from None
    except ValueError as exc:
        # JSONDecodeError's text gives a position only, never the document.
        position = ""
        if isinstance(exc, json.JSONDecodeError):
            position = f" (line {exc.lineno}, column {exc.colno})"
        raise Failure(EXIT_BAD_DATA, f"{where} is not valid JSON{position}") from None
    if not isinstance(data, dict):
        raise Failure(EXIT_BAD_DATA, f"{where} is not a JSON object")
    return data


def read_local(path):
    """Parsed ``path``, or :class:`Unavailable` when it does not exist."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_DOCUMENT + 1)
    except FileNotFoundError:
        return Unavailable(f"{path} does not exist")
    except OSError as exc:
        return Unavailable(f"cannot read {path}: {exc.strerror or exc}")
    return parse_document(raw, path)


class ConfigDrive:
    """The config drive, read once: nova writes it when it builds the instance.

    ``directory`` is a drive already mounted (or a copy of one); otherwise the
    device labelled ``config-2`` is found, used where it is already mounted,
    or mounted read-only on a private temporary directory for the read.
    """

    name = "config drive"

    def __init__(self, reporter, directory=None, device=None):
        self._reporter = reporter
        self._directory = directory
        self._device = device
        self._documents = None

    def vendor_data(self):
        return self._read()[VENDOR_DATA]

    def meta_data(self):
        return self._read()[META_DATA]

    def _read(self):
        if self._documents is None:
            self._documents = self._read_all()
        return self._documents

    def _read_all(self):
        if self._directory:
            return self._read_from(self._directory)
        device = self._device or find_config_drive()
        if not device:
            reason = Unavailable("no device labelled config-2")
            return {VENDOR_DATA: reason, META_DATA: reason}
        mounted = mount_point_of(device)
        if mounted:
            self._reporter.detail(f"config drive {device} is mounted on {mounted}")
            return self._read_from(mounted)
        return self._read_mounting(device)

    def _read_from(self, directory):
        return {name: read_local(os.path.join(directory, name))
                for name in (VENDOR_DATA, META_DATA)}

    def _read_mounting(self, device):
        where = tempfile.mkdtemp(prefix="novajoin-config-drive.")
        try:
            ok, output = run_quiet(["mount", "-o", "ro,nosuid,nodev,noexec", device, where])
            if not ok:
                self._reporter.detail(f"mounting {device} failed: {output}")
                reason = Unavailable(f"cannot mount {device}")
                return {VENDOR_DATA: reason, META_DATA: reason}
            try:
                return self._read_from(where)
            finally:
                ok, output = run_quiet(["umount", where])
                if not ok:
                    self._reporter.detail(f"unmounting {where} failed: {output}")
        finally:
            try:
                os.rmdir(where)
            except OSError:
                pass


def find_config_drive():
    """The block device labelled config-2, or None."""
    for label in CONFIG_DRIVE_LABELS:
        link = os.path.join("/dev/disk/by-label", label)
        if os.path.exists(link):
            return os.path.realpath(link)
    if shutil.which("blkid", path=system_path()) is None:
        return None
    for label in CONFIG_DRIVE_LABELS:
        ok, output = run_quiet(["blkid", "-t", "LABEL=" + label, "-o", "device"])
        devices = [line.strip() for line in output.splitlines() if line.strip()]
        if ok and devices:
            return devices[0]
    return None


def mount_point_of(device):
    """Where ``device`` is mounted already, or None."""
    target = os.path.realpath(device)
    try:
        with open("/proc/self/mounts") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/"):
            if os.path.realpath(fields[0]) == target:
                # /proc/mounts escapes blanks and backslashes as octal.
                return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
    return None


class MetadataService:
    """Nova's metadata service at ``base_url``, asked anew on every attempt."""

    def __init__(self, base_url, http_timeout, deadline):
        self.name = f"metadata service {base_url}"
        self._base = base_url.rstrip("/")
        self._timeout = http_timeout
        self._deadline = deadline
        # Never through a proxy: the metadata address is link-local.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def vendor_data(self):
        return self._get(VENDOR_DATA)

    def meta_data(self):
        return self._get(META_DATA)

    def _get(self, path):
        url = f"{self._base}/{path}"
        timeout = max(1.0, min(self._timeout, self._deadline - time.monotonic()))
        # S310: the URL is http(s), checked when the options are parsed.
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with self._opener.open(request, timeout=timeout) as response:
                raw = response.read(MAX_DOCUMENT + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            return Unavailable(f"{url} answered HTTP {exc.code}")
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            return Unavailable(f"{url}: {reason}")
        return parse_document(raw, url)


# --------------------------------------------------------------------------
# What the vendor data says.


class Join:
    """novajoin's answer: ``otp`` is None once the host has enrolled."""

    def __init__(self, hostname, realm, otp):
        self.hostname = hostname
        self.realm = realm
        self.otp = otp


NOT_REQUESTED = "not requested"


def interpret(document, where):
    """:class:`Join`, or NOT_REQUESTED when novajoin published nothing."""
    join = document.get("join")
    if join is None or join == {}:
        return NOT_REQUESTED
    if not isinstance(join, dict):
        raise Failure(EXIT_BAD_DATA, f"'join' in {where} is not a JSON object")
    hostname = join.get("hostname")
    realm = join.get("krb_realm")
    otp = join.get("ipaotp")
    if not isinstance(hostname, str) or not FQDN_RE.match(hostname.rstrip(".")) \
            or len(hostname) > 253:
        raise Failure(EXIT_BAD_DATA, f"'join.hostname' in {where} is not a fully qualified "
                                     f"host name: {shorten(hostname)}")
    if realm is not None and (not isinstance(realm, str) or not REALM_RE.match(realm)):
        raise Failure(EXIT_BAD_DATA, f"'join.krb_realm' in {where} is not a Kerberos realm: "
                                     f"{shorten(realm)}")
    if otp is not None and (not isinstance(otp, str) or not OTP_RE.match(otp)):
        # The value is never shown: it may be the OTP.
        raise Failure(EXIT_BAD_DATA, f"'join.ipaotp' in {where} is not a usable one-time "
                                     "password")
    return Join(hostname.rstrip("."), realm, otp)


def shorten(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def enrollment_requested(sources, reporter):
    """The instance's own ``ipa_enroll`` metadata: True, False, or None when unset/unknown.

    As in novajoin: only "true" (any case) asks for enrollment. The image's
    property of the same name is not visible from here.
    """
    for source in sources:
        data = source.meta_data()
        if isinstance(data, Unavailable):
            reporter.detail(f"{source.name}: {data.reason}")
            continue
        meta = data.get("meta")
        if not isinstance(meta, dict) or "ipa_enroll" not in meta:
            return None
        return str(meta["ipa_enroll"]).strip().lower() == "true"
    return None


def backoff_delays(initial, maximum, rng=None):
    """Capped exponential backoff with jitter: each delay is random in [d/2, d]."""
    rng = rng or random.SystemRandom()
    delay = initial
    while True:
        yield rng.uniform(delay / 2.0, delay)
        delay = min(maximum, delay * 2)


def already_enrolled(opts):
    return f"{opts.ipa_conf} exists: this host is already an IPA client, nothing to do"


def wait_for_join(sources, opts, reporter, deadline):
    """The :class:`Join` with an OTP, or None when there is nothing to do."""
    delays = backoff_delays(opts.retry_delay, opts.max_retry_delay)
    unrequested_since = None
    last_state = None
    attempt = 0
    while True:
        attempt += 1
        found, state = poll(sources, reporter)
        if found is not None and found.otp:
            reporter.secret(found.otp)
            reporter.info(f"novajoin's one-time password for {found.hostname} found in the "
                          f"{state}")
            return found
        if os.path.exists(opts.ipa_conf):
            reporter.info(already_enrolled(opts))
            return None
        now = time.monotonic()
        if found is not None:
            message = (f"novajoin knows this instance as {found.hostname} but publishes no "
                       "one-time password (yet); waiting")
        elif state == NOT_REQUESTED:
            wanted = enrollment_requested(sources, reporter)
            if wanted is False:
                reporter.info("enrollment not requested: novajoin published no 'join' data "
                              "and the instance's ipa_enroll metadata is not true")
                return None
            if wanted is None:
                unrequested_since = unrequested_since if unrequested_since is not None else now
                if now - unrequested_since >= opts.not_requested_wait or now >= deadline:
                    reporter.info("enrollment not requested: novajoin published no 'join' data "
                                  "(if the image asks for enrollment, novajoin may have been "
                                  "unreachable: run this script again)")
                    return None
                message = "no 'join' data from novajoin; waiting to be sure"
            else:
                message = ("the instance's ipa_enroll metadata asks for enrollment but novajoin "
                           "published no 'join' data (yet); waiting")
        else:
            message = f"no vendor data available (yet): {state}; waiting"
        if message != last_state:
            reporter.info(message)
            last_state = message
        if now >= deadline:
            why = message.replace("; waiting", "")
            raise Failure(EXIT_TIMEOUT, f"timed out after {opts.timeout:g} s ({attempt} attempts) "
                                        f"waiting for novajoin's one-time password: {why}")
        pause = min(next(delays), max(0.0, deadline - now))
        reporter.detail(f"attempt {attempt}: {state}; next attempt in {pause:.1f} s")
        time.sleep(pause)


def poll(sources, reporter):
    """One pass over the sources: (best Join or None, description of the state).

    The first source with an OTP wins. Otherwise a Join without an OTP beats
    NOT_REQUESTED, which beats nothing readable at all.
    """
    best = None
    best_where = None
    not_requested = False
    reasons = []
    for source in sources:
        data = source.vendor_data()
        if isinstance(data, Unavailable):
            reporter.detail(f"{source.name}: {data.reason}")
            reasons.append(data.reason)
            continue
        result = interpret(data, source.name)
        if result == NOT_REQUESTED:
            reporter.detail(f"{source.name}: no 'join' data")
            not_requested = True
            continue
        if result.otp:
            return result, source.name
        reporter.detail(f"{source.name}: 'join' data for {result.hostname} without a "
                        "one-time password")
        if best is None:
            best, best_where = result, source.name
    if best is not None:
        return best, best_where
    if not_requested:
        return None, NOT_REQUESTED
    return None, "; ".join(reasons) or "no source configured"


# --------------------------------------------------------------------------
# Commands.


def system_path():
    """PATH plus the sbin directories, where the IPA and disk tools live."""
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for extra in ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"):
        if extra not in parts:
            parts.append(extra)
    return os.pathsep.join(parts)


def run_quiet(argv, timeout=120):
    """(succeeded, output) of a short command; never raises for the command's failure."""
    try:
        # UP021: "text=" is Python 3.7+; this runs on 3.6 too.
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout,
                              universal_newlines=True, env=command_env())  # noqa: UP021
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    return proc.returncode == 0, proc.stdout.strip()


def command_env(**extra):
    env = dict(os.environ)
    env["PATH"] = system_path()
    env.update(extra)
    return env


def run_logged(argv, reporter, shown=None, env=None):
    """Run ``argv``; its output goes, masked, to the log file only. Returns the exit code."""
    command = " ".join(shown or argv)
    reporter.detail(f"running: {command}")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env or command_env())
    except OSError as exc:
        reporter.detail(f"cannot run {argv[0]}: {exc}")
        return None
    with proc.stdout:
        for line in proc.stdout:
            reporter.detail("| " + line.decode("utf-8", "replace"))
    return proc.wait()


def find_ipa_client_install(opts):
    if opts.ipa_client_install:
        return opts.ipa_client_install
    return shutil.which("ipa-client-install", path=system_path())


def install_commands(package):
    """Commands installing the IPA client with this system's package manager."""
    path = system_path()
    if shutil.which("dnf", path=path):
        # RHEL/CentOS Stream 8 ship ipa-client in the "idm" module, and dnf
        # enables its default stream (idm:client) by itself; where modules are
        # set up otherwise, --package @idm:client installs the module profile.
        return [["dnf", "-y", "install", package or "ipa-client"]], {}
    if shutil.which("yum", path=path):
        return [["yum", "-y", "install", package or "ipa-client"]], {}
    if shutil.which("apt-get", path=path):
        name = package or "freeipa-client"
        # Cloud images boot with empty package lists; unattended-upgrades may
        # hold the dpkg lock for a while at first boot.
        return ([["apt-get", "update"],
                 ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", "install", name]],
                {"DEBIAN_FRONTEND": "noninteractive"})
    return None, {}


def ensure_ipa_client(opts, reporter):
    """Path of ipa-client-install, installing the IPA client package if needed."""
    found = find_ipa_client_install(opts)
    if found:
        return found
    if opts.package == "none":
        raise Failure(EXIT_PACKAGE, "ipa-client-install is not installed and package "
                                    "installation is disabled (--package none)")
    package = None if opts.package == "auto" else opts.package
    commands, extra_env = install_commands(package)
    if commands is None:
        raise Failure(EXIT_PACKAGE, "ipa-client-install is not installed and there is no dnf, "
                                    "yum or apt-get to install it: preinstall the IPA client")
    command = " ".join(commands[-1])
    reporter.info(f"installing the IPA client: {command}")
    for argv in commands:
        code = run_logged(argv, reporter, env=command_env(**extra_env))
        if code != 0:
            command = " ".join(argv)
            raise Failure(EXIT_PACKAGE, f"{command} failed ({describe_exit(code)}); "
                                        f"see {reporter.log_path}")
    found = find_ipa_client_install(opts)
    if not found:
        raise Failure(EXIT_PACKAGE, "ipa-client-install is still missing after installing "
                                    f"{commands[-1][-1]}")
    return found


def describe_exit(code):
    if code is None:
        return "could not be started"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


def enroll(join, ipa_client_install, opts, reporter):
    """Run ipa-client-install with the OTP; raises :class:`Failure` if it fails."""
    argv = [ipa_client_install, "-U", "-w", join.otp, "--hostname", join.hostname]
    if join.realm:
        argv += ["--realm", join.realm]
    if opts.mkhomedir:
        argv.append("--mkhomedir")
    argv += opts.ipa_client_option
    shown = [MASK if arg == join.otp else arg for arg in argv]
    command = " ".join(shown)
    reporter.info(f"enrolling as {join.hostname}: {command}")
    code = run_logged(argv, reporter, shown=shown)
    if code != 0:
        raise Failure(EXIT_IPA, f"ipa-client-install failed ({describe_exit(code)}); "
                                f"its output is in {reporter.log_path}")
    reporter.info(f"enrolled into IPA as {join.hostname}")


# --------------------------------------------------------------------------
# Command line.


def env_default(name, default):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def http_url(text):
    if not re.match(r"^https?://[^/]", text):
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Enroll this instance into FreeIPA with the one-time password "
                               "novajoin publishes in vendor_data2.json.")
    p.add_argument("--timeout", type=positive_float,
                   default=env_default("NOVAJOIN_TIMEOUT", "300"),
                   help="seconds to wait for the one-time password "
                        "(env NOVAJOIN_TIMEOUT; default %(default)s)")
    p.add_argument("--retry-delay", type=positive_float, default=1.0,
                   help="first delay between attempts, doubled each time (default %(default)s)")
    p.add_argument("--max-retry-delay", type=positive_float, default=30.0,
                   help="longest delay between attempts (default %(default)s)")
    p.add_argument("--not-requested-wait", type=positive_float,
                   default=env_default("NOVAJOIN_NOT_REQUESTED_WAIT", "30"),
                   help="seconds to keep asking when novajoin publishes nothing and the "
                        "instance's metadata does not say whether to enroll; nova publishes "
                        "nothing either when novajoin is unreachable "
                        "(env NOVAJOIN_NOT_REQUESTED_WAIT; default %(default)s)")
    p.add_argument("--http-timeout", type=positive_float, default=10.0,
                   help="seconds for one metadata service request (default %(default)s)")
    p.add_argument("--config-drive-dir", default=env_default("NOVAJOIN_CONFIG_DRIVE_DIR", None),
                   help="a mounted config drive (env NOVAJOIN_CONFIG_DRIVE_DIR; default: find "
                        "the device labelled config-2 and mount it read-only)")
    p.add_argument("--config-drive-device", default=None,
                   help="the config drive's block device (default: found by its label)")
    p.add_argument("--no-config-drive", action="store_true",
                   help="use the metadata service only")
    p.add_argument("--metadata-url", type=http_url, action="append", default=None,
                   help="base URL of the metadata service; repeat to try several in turn "
                        "(env NOVAJOIN_METADATA_URL, blank-separated; "
                        "default http://169.254.169.254)")
    p.add_argument("--no-metadata-service", action="store_true",
                   help="use the config drive only")
    p.add_argument("--ipa-conf", default=env_default("NOVAJOIN_IPA_CONF", "/etc/ipa/default.conf"),
                   help="present when the host is an IPA client already (default %(default)s)")
    p.add_argument("--log-file",
                   default=env_default("NOVAJOIN_LOG_FILE",
                                       "/var/log/novajoin-setup-ipa-client.log"),
                   help="private log (mode 0600) of this script and of the commands it runs "
                        "(env NOVAJOIN_LOG_FILE; default %(default)s)")
    p.add_argument("--ipa-client-install", default=None,
                   help="path of ipa-client-install (default: looked up on PATH and in sbin)")
    p.add_argument("--package", default=env_default("NOVAJOIN_IPA_CLIENT_PACKAGE", "auto"),
                   help="package installed when ipa-client-install is missing: 'auto' "
                        "(ipa-client with dnf/yum, freeipa-client with apt-get), a package "
                        "name, or 'none' (env NOVAJOIN_IPA_CLIENT_PACKAGE; default %(default)s)")
    p.add_argument("--mkhomedir", action="store_true",
                   default=env_default("NOVAJOIN_MKHOMEDIR", "") in ("1", "true", "yes"),
                   help="pass --mkhomedir to ipa-client-install (env NOVAJOIN_MKHOMEDIR=true)")
    p.add_argument("--ipa-client-option", action="append", default=[], metavar="ARG",
                   help="one more argument for ipa-client-install, such as "
                        "--ipa-client-option=--no-ntp (repeat for several)")
    # argparse converts string defaults with ``type``, so a bad environment
    # variable is reported like a bad option.
    opts = p.parse_args(argv)
    if opts.metadata_url is None:
        urls = env_default("NOVAJOIN_METADATA_URL", "http://169.254.169.254").split()
        try:
            opts.metadata_url = [http_url(u) for u in urls]
        except argparse.ArgumentTypeError as exc:
            p.error(f"NOVAJOIN_METADATA_URL: {exc}")
    if opts.no_config_drive and opts.no_metadata_service:
        p.error("--no-config-drive and --no-metadata-service leave nothing to read")
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    os.umask(0o077)
    reporter = Reporter(opts.log_file)
    try:
        version = sys.version.split()[0]
        reporter.detail(f"started (pid {os.getpid()}, python {version})")
        if os.path.exists(opts.ipa_conf):
            reporter.info(already_enrolled(opts))
            return EXIT_OK
        deadline = time.monotonic() + opts.timeout
        sources = []
        if not opts.no_config_drive:
            sources.append(ConfigDrive(reporter, opts.config_drive_dir, opts.config_drive_device))
        if not opts.no_metadata_service:
            sources += [MetadataService(url, opts.http_timeout, deadline)
                        for url in opts.metadata_url]
        join = wait_for_join(sources, opts, reporter, deadline)
        if join is None:
            return EXIT_OK
        enroll(join, ensure_ipa_client(opts, reporter), opts, reporter)
        return EXIT_OK
    except Failure as exc:
        reporter.error(exc.message)
        return exc.code
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the one catch-all: a clear line, no traceback
        # The type and text only: a traceback could show local variables' values.
        reporter.error(f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_ERROR
    finally:
        reporter.close()


if __name__ == "__main__":
    sys.exit(main())
