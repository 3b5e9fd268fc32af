"""One adapter per real tool: ansible (ansible-runner), terraform (python-terraform), gate.

Only this package starts subprocesses or talks to external APIs.
"""
