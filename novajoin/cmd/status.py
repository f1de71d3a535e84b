"""novajoin-status (placeholder)."""


def main() -> int:
    return 0
