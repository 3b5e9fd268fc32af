"""`logius-migrate scenario compare FILE`: scenarios scored on criteria, ranked two ways, and how
firm the ranking is."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.base import catalog_option, echo_json, format_option


@click.group("scenario")
def scenario_group() -> None:
    """Compare scenarios on weighted criteria (the catalog's 17, or a file's own): rankings by
    weighted sum and TOPSIS, flip weights, a Monte Carlo over the weights.

    \b
    Examples:
      logius-migrate scenario compare examples/scenarios/digipoort-2020.yaml
      logius-migrate scenario compare examples/scenarios/question-2023.yaml --format json
    """


@scenario_group.command("compare")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@catalog_option
@click.option("--iterations", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Monte Carlo draws of the weights.")
@click.option("--seed", type=int, default=0, show_default=True, help="The Monte Carlo's seed.")
@click.option("--concentration", type=click.FloatRange(min=0, min_open=True), default=100.0,
              show_default=True, help="How close the drawn weights stay to the given ones: the "
              "Dirichlet's alpha is this times the weights.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="Write the output to this file instead of stdout (whole, or not at all).")
@format_option("table", "json", "md", "html")
def compare_cmd(file: Path, catalog_path: Path | None, iterations: int, seed: int, concentration: float,
                out_file: Path | None, fmt: str) -> None:
    """Rank the scenarios of FILE by weighted sum (scores normalised to 0..1 on their scale, cost
    criteria inverted) and by TOPSIS (pymcdm), say where the two disagree, and how firm the
    ranking is: for the top two, per criterion, the weight at which they swap (that weight alone
    changed, the others renormalised to sum 1, after Triantaphyllou and Sanchez 1997), the most
    critical criterion, and a seeded Monte Carlo over the weights (how often each ranks first).

    FILE lists the scenarios, a score per criterion each with its source or `assumed: true` and
    a note, and weights per criterion or per group; its criteria are the catalog's (--catalog)
    unless it lists its own. The format: docs/scenarios.md.

    \b
    Examples:
      logius-migrate scenario compare examples/scenarios/digipoort-2020.yaml
      logius-migrate scenario compare examples/scenarios/question-2023.yaml --format md
      logius-migrate scenario compare FILE --format html --out scenarios.html --seed 7
    """
    from orchestrator.cli.progress import progress
    from orchestrator.errors import InputError
    from orchestrator.reports.files import write_whole
    from orchestrator.reports.scenario import render
    from orchestrator.scenarios.compare import compare
    from orchestrator.scenarios.loading import load_scenarios

    if out_file is not None and out_file.is_dir():
        raise InputError(f"--out {out_file}: is a folder; give a file")
    scenarios = load_scenarios(file, catalog_path)
    with progress("monte carlo", iterations) as advance:
        document = compare(scenarios, iterations=iterations, seed=seed, concentration=concentration,
                           advance=advance)
    if fmt == "json" and out_file is None:
        echo_json(document)
        return
    text = render(document, fmt)
    if out_file is None:
        click.echo(text, nl=False)
        return
    write_whole(out_file, text)
    click.echo(f"wrote {out_file}", err=True)
