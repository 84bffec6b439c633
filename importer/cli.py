"""The `wparchive` command: options in, library calls, a readable report out."""
import os
import sys
from pathlib import Path

import click

from .errors import WparchiveError
from .jobs.imports import import_input
from .inputs import expand
from .archive import TABLES, connect


def db_option(command):
    return click.option("--db", "db_path", default="archive.db", show_default=True,
                        type=click.Path(dir_okay=False), help="The SQLite archive to write.")(command)


def quiet_option(command):
    return click.option("--quiet", "-q", is_flag=True, help="Print only errors.")(command)


@click.group()
@click.version_option(package_name="wparchive")
def cli():
    """Archive WordPress blogs into one SQLite database, ready for Datasette."""


class Progress:
    """A byte progress bar on a terminal; silent when quiet or not a TTY."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def start(self, label: str, total: int):
        if self.enabled and total > 5_000_000:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        return self.advance if self.bar else None

    def advance(self, n: int):
        self.bar.update(n)

    def done(self):
        if self.bar:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command("import")
@click.argument("sources", nargs=-1, required=True)
@db_option
@click.option("--force", is_flag=True, help="Re-read files already imported unchanged.")
@quiet_option
def import_command(sources, db_path, force, quiet):
    """Import WXR exports (.xml, .xml.gz, .zip of parts, or directories of them)."""
    try:
        inputs = expand(sources)
    except WparchiveError as error:
        raise click.ClickException(str(error))
    conn = connect(db_path)
    progress = Progress(not quiet)
    totals, failed, problems = {}, False, 0
    for item in inputs:
        advance = progress.start(item.name, item.size)
        try:
            report = import_input(conn, item, force=force, progress=advance)
        finally:
            progress.done()
        problems += report.problems
        if report.error:
            failed = True
            click.echo(f"error: {report.error}", err=True)
        if not quiet:
            click.echo(_file_line(report))
        for table, row in report.counts.items():
            total = totals.setdefault(table, {"added": 0, "updated": 0, "unchanged": 0})
            for key in total:
                total[key] += row[key]
    if not quiet:
        click.echo(_summary(totals, problems, db_path))
    conn.close()
    sys.exit(1 if failed else 0)


def _file_line(report) -> str:
    if report.status == "unchanged":
        return f"{report.name}: unchanged since import run {report.run_id}, skipped (--force re-reads it)"
    if report.status == "failed":
        return f"{report.name}: not imported, archive untouched"
    extra = f", {report.problems} problem(s) repaired or noted" if report.problems else ""
    return f"{report.name}: {report.status} in {report.seconds:.1f} s (run {report.run_id}){extra}"


def _summary(totals, problems, db_path) -> str:
    if not totals:
        return f"{db_path}: nothing changed"
    lines = [f"{'table':<14}{'added':>10}{'updated':>10}{'unchanged':>11}"]
    for table in TABLES:
        if table in totals:
            row = totals[table]
            lines.append(f"{table:<14}{row['added']:>10}{row['updated']:>10}{row['unchanged']:>11}")
    lines.append(f"problems: {problems} (see the import_problems table)")
    return "\n".join(lines)


@cli.command()
@db_option
def info(db_path):
    """Print what the archive holds: sites, row counts, the last imports."""
    from .jobs import info as archive_info  # sqlite-utils loads slowly; only this command needs it

    try:
        click.echo(archive_info.describe(db_path))
    except WparchiveError as error:
        raise click.ClickException(str(error))


def fetcher_options(command):
    command = click.option("--delay", default=1.0, show_default=True, type=float,
                           help="Seconds between requests to the site.")(command)
    command = click.option("--max-requests", type=int, default=None, help="Stop after this many requests.")(command)
    command = click.option("--ignore-robots", is_flag=True, help="Do not honour robots.txt (your own site only).")(command)
    return command


def _request_counter():
    """Shows the requests made so far on the terminal, on one line."""
    shown = [0]

    def show(requests):
        if requests != shown[0]:
            shown[0] = requests
            click.echo(f"\r{requests} requests", err=True, nl=False)
    return show


def _fetcher(url, delay, max_requests, ignore_robots):
    from .web import Fetcher

    return Fetcher(url, delay=delay, max_requests=max_requests, robots=not ignore_robots)


@cli.command()
@click.argument("url")
@db_option
@click.option("--via", type=click.Choice(["auto", "rest", "wpcom", "feed", "html"]), default="auto",
              show_default=True, help="Force one source instead of the richest the site offers.")
@click.option("--no-pages", is_flag=True, help="With the REST API, skip reading post pages for pingbacks.")
@fetcher_options
@quiet_option
def scrape(url, db_path, via, no_pages, delay, max_requests, ignore_robots, quiet):
    """Archive a live blog: REST API, else sitemaps, feeds and its pages."""
    from .web import BudgetExhausted, FetchError
    from .jobs.scrape import scrape as scrape_site

    conn = connect(db_path)
    fetcher = _fetcher(url, delay, max_requests, ignore_robots)
    try:
        report = scrape_site(conn, url, via=via, fetcher=fetcher, pages=not no_pages,
                             progress=_request_counter() if not quiet and sys.stderr.isatty() else None)
    except (FetchError, BudgetExhausted) as error:
        raise click.ClickException(str(error))
    finally:
        conn.close()
    if not quiet:
        if sys.stderr.isatty():
            click.echo("", err=True)
        click.echo(f"{url}: via {report.via}, {report.requests} requests in {report.seconds:.1f} s "
                   f"(run {report.run_id})")
        click.echo(_summary(report.counts, report.problems, db_path))
    if report.error:
        click.echo(f"error: {report.error}", err=True)
    sys.exit(1 if report.error else 0)


@cli.command()
@db_option
@click.option("--site", "only", help="Re-sync only this site (its URL); default every site in the archive.")
@click.option("--full", is_flag=True, help="Complete reconciliation: re-read comments, mark what the blog no longer shows.")
@fetcher_options
@quiet_option
def sync(db_path, only, full, delay, max_requests, ignore_robots, quiet):
    """Re-sync archived sites from the web: new and changed content only, history kept.

    Exit status: 0 done, 1 done with problems, 2 failed (or another sync is running)."""
    from .errors import ArchiveBusy
    from .jobs.sync import SyncLock, sites_to_sync, sync_site

    if not Path(db_path).exists():
        click.echo(f"error: {db_path}: no archive here; run `wparchive import` or `wparchive scrape` first", err=True)
        sys.exit(2)
    try:
        with SyncLock(db_path):
            conn = connect(db_path)
            sites = sites_to_sync(conn, only)
            if not sites:
                click.echo(f"error: {db_path}: no site{' ' + only if only else ''} to sync", err=True)
                sys.exit(2)
            worst = 0
            for site_id, url in sites:
                report = sync_site(conn, site_id, url, _fetcher(url, delay, max_requests, ignore_robots), full)
                if report.error:
                    click.echo(f"error: {url}: {report.error}", err=True)
                    worst = 2
                elif report.problems:
                    worst = max(worst, 1)
                if not quiet:
                    click.echo(f"{url}: via {report.source}, {report.requests} requests, {report.added} added, "
                               f"{report.updated} updated, {report.deleted} marked deleted, {report.problems} problems")
            conn.close()
    except ArchiveBusy as busy:
        click.echo(f"error: {busy}", err=True)
        sys.exit(2)
    sys.exit(worst)


@cli.command()
@click.argument("url")
@fetcher_options
def discover(url, delay, max_requests, ignore_robots):
    """Print what a site exposes (REST API, feeds, sitemaps) without writing anything."""
    from .web import BudgetExhausted, FetchError
    from .jobs.scrape import discover as discover_site

    try:
        found = discover_site(_fetcher(url, delay, max_requests, ignore_robots), url)
    except (FetchError, BudgetExhausted) as error:
        raise click.ClickException(str(error))
    click.echo("\n".join(found.lines()))


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, help="Port to listen on (127.0.0.1 only).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface; 0.0.0.0 exposes the archive.")
def serve(db_path, port, host):
    """Open the archive in Datasette with the project's metadata, canned queries and safe HTML."""
    import tempfile

    from .serve.settings import write_settings

    if not Path(db_path).exists():
        raise click.ClickException(f"{db_path}: no archive here; run `wparchive import` first")
    connect(db_path).close()  # brings an older archive's schema up to date
    settings = Path(tempfile.mkdtemp(prefix="wparchive-"))
    try:
        options = write_settings(db_path, settings)
    except WparchiveError as error:
        raise click.ClickException(str(error))
    command = [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", host, "--port", str(port),
               *options]
    os.execv(sys.executable, command)


@cli.command("datasette-settings")
@db_option
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for metadata.json (and config.json for Datasette 1.0).")
def datasette_settings(db_path, out):
    """Write the Datasette metadata for running `datasette archive.db` yourself."""
    from .serve.settings import write_settings

    try:
        options = write_settings(db_path, out)
    except WparchiveError as error:
        raise click.ClickException(str(error))
    click.echo(f"datasette {db_path} " + " ".join(options))


def main():
    cli(prog_name="wparchive")
