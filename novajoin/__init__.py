"""novajoin: enroll OpenStack instances into FreeIPA as they boot, and clean up when they go."""
