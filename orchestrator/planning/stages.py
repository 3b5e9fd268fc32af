"""The stages before a wave: each service with a test track (the catalog's ``test_track``) takes
its build through the track before its wave. The planner names them; where each stands comes
from the journal, by the caller (``Standing.tracks``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from orchestrator.catalog.loader import Catalog
from orchestrator.planning.plan import Plan, TrackStage


def track_stages(catalog: Catalog, plan: Plan) -> tuple[TrackStage, ...]:
    """A stage for each placed service with a test track, in wave order, then by id."""
    stages = []
    for service in catalog.services:
        if service.test_track is None or service.id not in plan.wave_of:
            continue
        wave = plan.wave_for(service.id)
        stages.append(TrackStage(service.id, service.test_track.track, service.test_track.build,
                                 wave.number, wave.start))
    return tuple(sorted(stages, key=lambda s: (s.before_wave, s.service_id)))


def with_standing(plan: Plan, standings: Mapping[str, str]) -> Plan:
    """The plan with each stage's standing as ``standings`` (service -> standing) gives it."""
    if not standings:
        return plan
    stages = tuple(s._replace(standing=standings.get(s.service_id, s.standing)) for s in plan.stages)
    return dataclasses.replace(plan, stages=stages)
