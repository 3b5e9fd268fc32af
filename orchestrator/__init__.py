"""logius-migrate: plan, rehearse, run, resume, roll back and audit migration waves."""

__version__ = "0.1.0"
