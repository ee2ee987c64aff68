"""The build stages in the guest: one list, each stage timed, logged and reported alike."""
