"""One adapter per real tool: ansible (ansible-runner), terraform (python-terraform), gate.

Only this package talks to external APIs, and every external program starts through its
:mod:`~orchestrator.steps.process_runner`.
"""
