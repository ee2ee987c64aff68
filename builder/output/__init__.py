"""What a run leaves behind and shows: wheelhouse, report, resume, verify, upload, display."""
