"""``microcred links`` and ``microcred new-link``: learners' download links from the command line.

The same export the console and ``GET /api/programmes/{code}/links.csv`` give
(:mod:`issuer.download_links`), and the same audited regeneration as
``POST /api/credentials/{reference}/download-link``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .atomic_files import write_atomically
from .cli_service import actor_option, open_service
from .download_links import cohort_links, links_csv, regenerate_link, reset_links


def register(cli: click.Group) -> None:
    """Add the link commands to the ``microcred`` group."""

    @cli.command("links")
    @click.option("--programme", "programme_code", required=True, help="Micro-major code.")
    @click.option(
        "--out",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Write the CSV here (default: standard output).",
    )
    def links_command(programme_code: str, out: Path | None) -> None:
        """Export a cohort's verification and download links as CSV (UTF-8 with BOM, opens in Excel/WPS)."""
        with open_service() as service:
            links = cohort_links(service, programme_code)
        data = links_csv(links)
        if out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        try:
            write_atomically(out, data)  # 0600: every row holds a learner's download link
        except OSError as exc:
            raise click.UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
        click.echo(f"{len(links)} link(s) of {programme_code} written to {out}", err=True)

    @cli.command("new-link")
    @click.argument("cert_no")
    @click.option("--reason", required=True, help="Why the old link must stop working (audited).")
    @actor_option
    def new_link_command(cert_no: str, reason: str, actor: str) -> None:
        """Give a certificate a new download link; the old link stops working at once."""
        with open_service() as service:
            url = regenerate_link(service, cert_no, actor=actor, reason=reason)
        click.echo(url)

    @cli.command("new-link-secret")
    @click.option("--reason", required=True, help="Why every link must change (audited).")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @actor_option
    def new_link_secret_command(reason: str, yes: bool, actor: str) -> None:
        """Make a new download-link secret and a new link for every certificate.

        Only when the secret file is lost with no backup, or has leaked: every link learners
        hold stops working and the new ones must be sent again (microcred links). A running
        service uses the new secret from its next request on.
        """
        if not yes:
            click.confirm(
                "Every download link learners hold will stop working; the new links must be sent "
                "to them again. Continue?",
                abort=True,
            )
        with open_service() as service:
            count = reset_links(service, actor=actor, reason=reason)
        click.echo(
            f"{count} download link(s) replaced. Export and send them again: microcred links --programme CODE"
        )
