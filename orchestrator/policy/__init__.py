"""The rules a plan is made by and a gate enforces, each in one place: the planner asks them where
a service may go, the preconditions ask them whether it may go now, with the same answer."""
