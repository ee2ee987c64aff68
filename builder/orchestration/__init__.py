"""What a command does, step by step: BuildRun (run.py), the other commands (commands.py),
and the host check (doctor.py). Front ends call only this layer."""
