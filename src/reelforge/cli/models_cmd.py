"""`reel models`: browse the model catalogue as a table, as JSON, or one route in full.

Kept out of ``app.py`` so the catalogue can grow without touching the render commands; the lead
wires it in with ``register(app)``. The catalogue is imported inside the command so ``--help`` stays
instant.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from reelforge.catalogue.schema import Route


def _modes(route: Route) -> str:
    c = route.capabilities
    flags = [("T2V", c.t2v), ("I2V", c.i2v), ("F+L", c.first_last_frame)]
    flags += [(f"REF{c.reference_images_max}", c.reference_images_max > 0)]
    flags += [("EXT", c.extend), ("V2V", c.v2v_edit)]
    return " ".join(name for name, on in flags if on) or "-"


def _durations(route: Route) -> str:
    d = route.durations
    if isinstance(d, list):
        return ",".join(str(v) for v in sorted(d)) + " s"
    step = f"/{d.step}" if d.step != 1 else ""
    return f"{d.min}-{d.max}{step} s"


def _lifecycle(route: Route) -> str:
    life = route.lifecycle
    text = f"{life.status} {life.date}" if life.date and life.status == "retired" else life.status
    return text if route.enabled else f"{text} (disabled)"


def _price_summary(route: Route) -> str:
    from reelforge.catalogue.pricing import per_second_range

    unit = route.price.unit
    if unit == "unknown":
        return "?"
    if unit == "usd_per_request":
        return f"${route.price.rates[0].amount}/run"
    span = per_second_range(route)
    if span is None:
        return "?"
    low, high = (v.quantize(_CENT) for v in span)
    return f"${low}/s" if low == high else f"${low}-{high}/s"


_CENT = Decimal("0.001")  # a tenth of a cent: per-second prices go below a cent


def _table(routes: list[Route]) -> Table:
    table = Table(title="reelforge model catalogue", show_lines=False)
    for name in ("id", "provider", "lifecycle", "modes", "durations", "max res", "audio", "price"):
        table.add_column(name, no_wrap=name == "id")
    for r in routes:
        table.add_row(
            r.id,
            r.provider,
            _lifecycle(r),
            _modes(r),
            _durations(r),
            r.max_resolution(),
            r.capabilities.native_audio,
            _price_summary(r),
        )
    return table


def _route_detail(route: Route, console: Console) -> None:
    console.print(f"[bold]{route.id}[/]  {route.provider} / {route.channel}", highlight=False)
    facts = Table(show_header=False, box=None)
    facts.add_column(style="dim")
    facts.add_column()
    rows = {
        "wire model": route.model,
        "api version": route.api_version,
        "mode": route.mode or "-",
        "lifecycle": _lifecycle(route),
        "durations": _durations(route),
        "resolutions": ", ".join(route.resolutions),
        "sizes": ", ".join(route.sizes) or "-",
        "fps": ", ".join(map(str, route.fps)) or "?",
        "aspect ratios": ", ".join(route.aspect_ratios) or "-",
        "aspect from image": str(route.aspect_from_image),
        "typical latency": f"{route.typical_latency_s} s" if route.typical_latency_s else "?",
        "max in flight": str(route.max_in_flight or "?"),
        "submits/min": str(route.submits_per_minute or "?"),
    }
    rows.update({k: str(v) for k, v in route.capabilities.model_dump().items()})
    for key, value in rows.items():
        facts.add_row(key, value)
    console.print(facts)
    console.print("[bold]couplings[/]")
    for c in route.couplings:
        note = f" ({c.note})" if c.note else ""
        console.print(f"  {c.rule}: {c.describe()}{note}", markup=False)
    if not route.couplings:
        console.print("  none")
    p = route.price
    console.print(
        f"[bold]price[/] unit {p.unit}" + (f", unit = ${p.unit_usd}" if p.unit_usd else "")
    )
    for rate in p.rates:
        cond = [f"resolution {'/'.join(rate.resolution)}" if rate.resolution else "any resolution"]
        if rate.audio is not None:
            cond.append("audio on" if rate.audio else "audio off")
        if rate.per == "clip":
            cond.append(f"per clip of {rate.duration} s")
        console.print(f"  {', '.join(cond)}: {rate.amount}", markup=False)
    if p.per_input_image is not None:
        console.print(f"  per input image: ${p.per_input_image}", markup=False)
    console.print(
        f"  source: {route.price_source} (confidence {route.price_confidence})", markup=False
    )
    for note in route.notes:
        console.print(f"  note: {note}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the `models` command to a Typer app."""

    @app.command("models")
    def models(
        model: Annotated[str | None, typer.Argument(help="A catalogue id to show in full.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List the video models reelforge knows, or show one route in full."""
        from reelforge.catalogue.loader import CatalogueError, get_route, load_catalogue

        console = Console(highlight=False, soft_wrap=not as_json)
        try:
            catalogue = load_catalogue()
            route = get_route(model, catalogue) if model else None
        except CatalogueError as exc:
            # escape(): ids and notes may hold "[...]" that rich would read as markup.
            errors = Console(stderr=True, highlight=False, soft_wrap=True)
            errors.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from None
        if as_json:
            if route is not None:
                payload: object = route.model_dump(mode="json")
            else:
                payload = catalogue.model_dump(mode="json")
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        elif route is not None:
            _route_detail(route, console)
        else:
            console.print(_table(catalogue.routes))
