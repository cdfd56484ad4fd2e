"""A planned remote shot as a job: the checked request, adapter options and the quote."""

from __future__ import annotations

from reelforge.catalogue.charge import to_micros
from reelforge.generators.base import ShotRequest
from reelforge.jobs.queue import JobSpec
from reelforge.jobs.wire import to_json


def job_spec(
    *,
    run_id: str,
    position: int,
    shot_id: str,
    route_id: str,
    request: ShotRequest,
    request_key: str,
    version: str,
) -> JobSpec:
    """Refusals (GeneratorError) are raised here, before anything is queued or spent."""
    from reelforge.catalogue import price
    from reelforge.generators.remote import RemoteGenerator

    generator = RemoteGenerator(route_id)
    options, result = generator.prepare(request)
    quote = price(generator.route, request)
    return JobSpec(
        run_id=run_id,
        position=position,
        shot_id=shot_id,
        route_id=route_id,
        provider=generator.route.provider,
        request_key=request_key,
        request={
            "shot": to_json(request),
            "options": options,
            "version": version,
            "audio": bool(result.settings and result.settings.audio),
            "adjustments": [a.message for a in result.adjustments],
            "quote_note": quote.note,
            "priced": quote.total is not None,  # else the ledger records "unpriced", not $0
        },
        quote_micros=to_micros(quote.total) if quote.total is not None else 0,
    )
