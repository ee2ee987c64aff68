"""What a command does, step by step: BuildRun (run.py), where its builds run (executors.py),
and the host check (doctor.py). Front ends call only this layer."""
