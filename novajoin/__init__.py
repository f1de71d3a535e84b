"""novajoin: enroll OpenStack instances into FreeIPA as they boot, and clean up when they go."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("novajoin")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
