"""The `wparchive` command: options in, library calls, a readable report out.

A mistake a user can make ends as a WparchiveError, printed in one place (the group's `invoke`)
as one line, `error: ...`, exit status 1 (sync: 2); Ctrl-C prints one line and exits 130."""
import os
import signal
import sys

import click

from .errors import ArchiveError, WparchiveError
from .signals import handled
from .jobs.imports import import_input
from .sources import WEB_SOURCES
from .inputs import expand
from .archive import TABLES
from .archive.session import is_sqlite, last_finished_run, must_exist, writing

DB = "wparchive.db"  # ctx.meta keys: the archive a command uses, and the exit status of its errors
FAILED = "wparchive.failed"


class Wparchive(click.Group):
    """The command group: where errors a user can cause and interrupts become one line."""

    def invoke(self, ctx):
        with _interrupts_here():
            try:
                return super().invoke(ctx)
            except WparchiveError as error:
                click.echo(f"error: {error}", err=True)
                ctx.exit(ctx.meta.get(FAILED, 1))
            except KeyboardInterrupt:
                click.echo(_interrupted(ctx.meta.get(DB)), err=True)
                ctx.exit(130)


def _interrupts_here():
    """Ctrl-C interrupts this process only: a forked helper (the import's parser) inherits the
    handler and ignores it, so it is ended by this process, not by a traceback of its own."""
    pid = os.getpid()

    def interrupt(signum, frame):
        if os.getpid() == pid:
            raise KeyboardInterrupt
    return handled(signal.SIGINT, interrupt)


def _interrupted(db_path) -> str:
    if db_path is None:
        return "interrupted"
    run = last_finished_run(db_path)
    return f"interrupted: {db_path} unchanged" + (f" since run {run}" if run else "")


def _remember_db(ctx, param, value):
    ctx.meta[DB] = value
    return value


def db_option(writes: bool, help: str | None = None):
    help = help or ("The SQLite archive to write (created if missing)." if writes else "The archive to read.")

    def add(command):
        return click.option("--db", "db_path", default="archive.db", show_default=True, callback=_remember_db,
                            type=click.Path(dir_okay=False), help=help)(command)
    return add


def quiet_option(command):
    return click.option("--quiet", "-q", is_flag=True, help="Print only errors.")(command)


def media_flag(command):
    return click.option("--media", is_flag=True,
                        help="Then archive the files the sites just written use (as `wparchive media`).")(command)


@click.group(cls=Wparchive, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wparchive")
@click.pass_context
def cli(ctx):
    """Archive WordPress blogs into one SQLite database, ready for Datasette."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


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


@cli.command("import", short_help="Import WXR exports and saved post pages.")
@click.argument("sources", nargs=-1, required=True)
@db_option(writes=True)
@click.option("--force", is_flag=True, help="Re-read files already imported unchanged.")
@media_flag
@click.option("--allow-private", is_flag=True,
              help="With --media: fetch files at loopback, private or link-local addresses (the export names them).")
@quiet_option
def import_command(sources, db_path, force, media, allow_private, quiet):
    """Import WXR exports (.xml, .xml.gz, a .zip of parts) and saved post pages (.html, .htm),
    or folders of them, into the archive."""
    for source in sources:
        if is_sqlite(source):  # the sqlite-utils habit: `import archive.db export.xml`
            raise ArchiveError(f"{source} is an archive", f"did you mean --db {source}?")
    inputs = expand(sources)
    with writing(db_path) as conn:
        failed, runs = _import_all(conn, inputs, db_path, force, quiet)
        status = _media_after(conn, db_path, runs, allow_private, quiet) if media else 0
    sys.exit(max(1 if failed else 0, status))


def _import_all(conn, inputs, db_path, force, quiet) -> bool:
    """Import each input, printing a line per input and the totals; whether any failed."""
    progress = Progress(not quiet)
    totals, failed, problems, runs = {}, False, 0, []
    for item in inputs:
        advance = progress.start(item.name, item.size)
        try:
            report = import_input(conn, item, force=force, progress=advance)
        finally:
            progress.done()
        problems += report.problems
        runs.append(report.run_id)
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
    return failed, runs


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
    for table in [*(t for t in TABLES if t in totals), *(t for t in totals if t not in TABLES)]:  # media files too
        row = totals[table]
        lines.append(f"{table:<14}{row['added']:>10}{row['updated']:>10}{row['unchanged']:>11}")
    lines.append(f"problems: {problems} (see the import_problems table)")
    return "\n".join(lines)


@cli.command(short_help="Print what the archive holds.")
@db_option(writes=False)
def info(db_path):
    """Print what the archive holds: sites, row counts, the last imports."""
    from .jobs import info as archive_info  # sqlite-utils loads slowly; only this command needs it
    from .serve.archive_file import examine

    examine(db_path)  # read-only: a file that is no archive is refused untouched
    click.echo(archive_info.describe(db_path))


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


def _fetcher(url, delay, max_requests, ignore_robots, allow_private=True):
    from .web import Fetcher
    from .web.site_url import checked

    checked(url)
    return Fetcher(url, delay=delay, max_requests=max_requests, robots=not ignore_robots, allow_private=allow_private)


def _cdx_moment(ctx, param, value):
    """A CDX moment: 4 to 14 digits (YYYY, YYYYMMDD, YYYYMMDDhhmmss)."""
    if value is not None and not (value.isdigit() and 4 <= len(value) <= 14):
        raise click.BadParameter(f"{value!r} is not YYYYMMDD or YYYYMMDDhhmmss")
    return value


@cli.command(short_help="Archive a live blog from its URL.")
@click.argument("url")
@db_option(writes=True)
@click.option("--via", type=click.Choice(["auto", *(source.name for source in WEB_SOURCES)]), default="auto",
              show_default=True, help="Force one source instead of the richest the site offers.")
@click.option("--no-pages", is_flag=True, help="With the REST API, skip reading post pages for pingbacks.")
@click.option("--wayback-url", default="https://web.archive.org", show_default=True,
              help="--via wayback: the web archive's base URL (its CDX index and raw captures).")
@click.option("--from", "since", callback=_cdx_moment, help="--via wayback: captures from this moment (YYYYMMDD[hhmmss]).")
@click.option("--to", "until", callback=_cdx_moment, help="--via wayback: captures up to this moment (YYYYMMDD[hhmmss]).")
@click.option("--captures", type=click.IntRange(min=1), help="--via wayback: at most the N newest captures of each URL.")
@media_flag
@fetcher_options
@quiet_option
def scrape(url, db_path, via, no_pages, wayback_url, since, until, captures, media, delay, max_requests,
           ignore_robots, quiet):
    """Archive a live blog from its root URL: REST API, else sitemaps, feeds and its pages.
    Finding no post is an error: nothing is written."""
    from .jobs.scrape import scrape as scrape_site

    fetcher = _fetcher(url, delay, max_requests, ignore_robots)
    wayback = {"wayback_url": wayback_url, "wayback_from": since, "wayback_to": until,
               "wayback_captures": str(captures or "")}
    with writing(db_path) as conn:
        report = scrape_site(conn, url, via=via, fetcher=fetcher, pages=not no_pages, wayback=wayback,
                             progress=_request_counter() if not quiet and sys.stderr.isatty() else None)
        if not quiet:
            if sys.stderr.isatty():
                click.echo("", err=True)
            click.echo(f"{url}: via {report.via}, {report.requests} requests in {report.seconds:.1f} s "
                       f"(run {report.run_id})")
            click.echo(_summary(report.counts, report.problems, db_path))
        if report.error:
            click.echo(f"error: {report.error}", err=True)
        status = _media_after(conn, db_path, [report.run_id], True, quiet, delay) if media else 0
    sys.exit(max(1 if report.error else 0, status))


@cli.command(short_help="Re-sync archived sites: new and changed content.")
@db_option(writes=True)
@click.option("--site", "only", help="Re-sync only this site (its URL); default every site in the archive.")
@click.option("--full", is_flag=True, help="Complete reconciliation: re-read comments, mark what the blog no longer shows.")
@click.option("--allow-private", is_flag=True,
              help="Fetch sites at loopback, private or link-local addresses (site URLs come from imported files).")
@media_flag
@fetcher_options
@quiet_option
def sync(db_path, only, full, allow_private, media, delay, max_requests, ignore_robots, quiet):
    """Re-sync archived sites from the web: new and changed content only, history kept.

    Exit status: 0 done, 1 done with problems, 2 failed (or another sync is running)."""
    from .jobs.sync import SyncLock, sites_to_sync, sync_site

    click.get_current_context().meta[FAILED] = 2
    must_exist(db_path)
    with writing(db_path) as conn, SyncLock(db_path):
        sites = sites_to_sync(conn, only)
        if not sites:
            raise ArchiveError(db_path, f"no site{' ' + only if only else ''} to sync")
        worst = 0
        for site_id, url in sites:
            try:
                report = sync_site(conn, site_id, url, _fetcher(url, delay, max_requests, ignore_robots,
                                                                allow_private), full)
            except WparchiveError as error:  # this site's address: the other sites are still synced
                click.echo(f"error: {error}", err=True)
                worst = 2
                continue
            problems = report.problems + (1 if report.error else 0)  # a run that failed had a problem
            if report.error:
                click.echo(f"error: {report.error if report.error.startswith(url) else f'{url}: {report.error}'}",
                           err=True)
                worst = 2
            elif problems:
                worst = max(worst, 1)
            if not quiet:
                click.echo(f"{url}: via {report.source or 'none'}, {report.requests} requests, {report.added} added, "
                           f"{report.updated} updated, {report.deleted} marked deleted, {problems} problems")
            if media:
                worst = max(worst, _media_sites(conn, db_path, [(site_id, url)], _media_options(
                    delay=delay, allow_private=allow_private), quiet))
    sys.exit(worst)


def _media_options(**options):
    from .jobs.media import MediaOptions

    return MediaOptions(**options)


def _media_after(conn, db_path, run_ids, allow_private, quiet, delay=1.0) -> int:
    """`--media`: the media run for the sites the runs just committed wrote; its exit status."""
    from .archive.media import run_site

    sites = list(dict.fromkeys(site for site in map(lambda run: run_site(conn, run), run_ids) if site))
    return _media_sites(conn, db_path, sites, _media_options(delay=delay, allow_private=allow_private), quiet)


def _media_sites(conn, db_path, sites, options, quiet) -> int:
    """Archive each site's media, printing progress and a summary; 0, 1 when a file failed, 2
    when the media could not be stored at all."""
    from .jobs.media import archive_media

    worst = 0
    for site_id, url in sites:
        counter = _file_counter(url) if not quiet and sys.stderr.isatty() else None
        try:
            report = archive_media(conn, db_path, site_id, url, options, progress=counter)
        except WparchiveError as error:  # the media folder cannot take files: no site's can
            click.echo(f"error: {error}", err=True)
            return 2
        if counter:
            click.echo("", err=True)
        for line in report.failures[:FAILURES_SHOWN]:
            click.echo(f"failed: {line}", err=True)
        if len(report.failures) > FAILURES_SHOWN:
            click.echo(f"failed: ... and {len(report.failures) - FAILURES_SHOWN} more (the media_urls table)", err=True)
        if report.error:
            click.echo(f"error: {report.error}", err=True)
        if not quiet:
            click.echo(_media_line(report))
        if report.failed or report.refused or report.error:
            worst = 1
    return worst


FAILURES_SHOWN = 20


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def _file_counter(url):
    """Files and bytes so far on the terminal, on one line."""
    def show(files, wanted, count):
        click.echo(f"\r{url}: {files}/{wanted} files, {_megabytes(count)}", err=True, nl=False)
    return show


def _media_line(report) -> str:
    if not report.found:
        return f"{report.url}: media: none used"
    parts = [f"{report.fetched} fetched ({_megabytes(report.bytes)})", f"{report.had} already had",
             f"{report.failed} failed"]
    if report.unchanged:
        parts.append(f"{report.unchanged} unchanged")
    if report.gone:
        parts.append(f"{report.gone} gone (404/410; --refresh asks again)")
    if report.not_local:
        parts.append(f"{report.not_local} not in --uploads")
    if report.other_hosts:
        parts.append(f"{report.other_hosts} on other hosts not fetched (--hosts)")
    if report.refused:
        parts.append(f"{report.refused} at private addresses not fetched (--allow-private)")
    return f"{report.url}: media: " + ", ".join(parts) + f"; {report.requests} requests"


def _file_cap(ctx, param, value):
    """--max-bytes: a size as export's --max-file-size reads it, and more than nothing."""
    size = _size(ctx, param, value)
    if not size:
        raise click.BadParameter("must be more than 0")
    return size


@cli.command(short_help="Archive the files the archived sites use.")
@db_option(writes=True, help="The SQLite archive whose sites' files to archive (it must exist).")
@click.option("--site", "only", help="Only this site (its URL); default every site in the archive.")
@click.option("--uploads", type=click.Path(exists=True, file_okay=False),
              help="Take files from this local copy of wp-content/uploads instead of the network.")
@click.option("--hosts", default="", help="Other hosts to fetch files from, comma-separated: a host (any port) or host:port (only that port).")
@click.option("--delay", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between requests to a host.")
@click.option("--max-bytes", default="512MB", show_default=True, callback=_file_cap,
              help="Largest file fetched (bytes, or like 20MB, 1.5GB).")
@click.option("--max-requests", type=click.IntRange(min=1), default=None, help="Stop after this many requests.")
@click.option("--refresh", is_flag=True, help="Revalidate files held (conditional GETs) and ask gone ones again.")
@click.option("--allow-private", is_flag=True,
              help="Fetch from loopback, private or link-local addresses (file URLs come from imported files).")
@quiet_option
def media(db_path, only, uploads, hosts, delay, max_bytes, max_requests, refresh, allow_private, quiet):
    """Archive the files the sites use: attachments, their sizes and originals, and the images,
    audio, video and uploaded files their posts and comments reference. A re-run fetches only
    what is missing; failed files are tried again on later runs (404 and 410 only with --refresh).

    Exit status: 0 done, 1 some files failed, 2 could not run."""
    from pathlib import Path

    from .jobs.media import media_sites

    click.get_current_context().meta[FAILED] = 2
    must_exist(db_path)
    if not is_sqlite(db_path):  # an empty file would be made into an archive
        raise ArchiveError(db_path, "an empty file, not an archive; run `wparchive import` or `wparchive scrape` first")
    options = _media_options(hosts=tuple(h for h in hosts.split(",") if h.strip()), delay=delay,
                             max_bytes=max_bytes, max_requests=max_requests, refresh=refresh,
                             allow_private=allow_private, uploads=Path(uploads) if uploads else None)
    try:
        with writing(db_path) as conn:
            status = _media_sites(conn, db_path, media_sites(conn, db_path, only), options, quiet)
    except KeyboardInterrupt:
        click.echo(f"interrupted: {db_path}: the files recorded so far are kept; `wparchive media` again "
                   "fetches the rest", err=True)
        status = 130
    sys.exit(status)


@cli.command(short_help="Print what a site exposes; writes nothing.")
@click.argument("url")
@fetcher_options
def discover(url, delay, max_requests, ignore_robots):
    """Print what a site exposes (REST API, feeds, sitemaps) without writing anything."""
    from .jobs.scrape import discover as discover_site

    found = discover_site(_fetcher(url, delay, max_requests, ignore_robots), url)
    click.echo("\n".join(found.lines()))


@cli.command(short_help="Open the archive in Datasette.")
@db_option(writes=False)
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface; any but loopback hides commenters' emails, IPs and user agents.")
@click.option("--private-columns", is_flag=True,
              help="Show commenters' emails, IPs and user agents on a non-loopback --host too.")
def serve(db_path, port, host, private_columns):
    """Open the archive in Datasette with the project's metadata, canned queries and safe HTML.
    Nothing is written to it but a schema upgrade it needs; a read-only archive is served immutable."""
    from .serve.launch import serve as serve_archive

    status = serve_archive(db_path, host, port, private_columns, say=lambda line: click.echo(line, err=True))
    sys.exit(status)


@cli.command("datasette-settings", short_help="Write Datasette settings for the archive.")
@db_option(writes=False)
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for metadata.json (and config.json for Datasette 1.0).")
@click.option("--hide-private-columns", is_flag=True,
              help="Have the wparchive plugin read commenters' emails, IPs and user agents as NULL.")
def datasette_settings(db_path, out, hide_private_columns):
    """Write the Datasette metadata for running `datasette archive.db` yourself."""
    from .serve.archive_file import examine
    from .serve.settings import write_settings

    examine(db_path)  # a missing file or one that is no archive gets no settings
    options = write_settings(db_path, out, hide_private=hide_private_columns)
    click.echo(f"datasette {db_path} " + " ".join(options))


def _size(ctx, param, value):
    from .jobs.export import parse_size

    try:
        return parse_size(value) if value else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _each_second(update):
    """The items passed on to a progress bar once a second: click's bar reckons its ETA as the
    time since its last estimate divided by one update's items, so one item an update made an
    export of seconds show an hour."""
    import time

    pending, last = 0, time.monotonic()

    def advance(n):
        nonlocal pending, last
        pending += n
        if time.monotonic() - last >= 1:
            update(pending)
            pending, last = 0, time.monotonic()
    return advance


@cli.command(short_help="Write the archive back out as WXR for WordPress's importer.")
@db_option(writes=False)
@click.option("--site", help="Export only this site (its URL); default every site in the archive.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The WXR file to write (one site).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for one WXR file per site.")
@click.option("--max-file-size", default="15MB", show_default=True, callback=_size,
              help="Split a site into numbered parts past this size (terms and authors in the first); 0: one file.")
@click.option("--media-base", help="URL where the --out folder's uploads/ tree will be served.")
@click.option("--status", help="Only items of these statuses, comma-separated (e.g. publish,private).")
@click.option("--include-deleted", is_flag=True, help="Also export rows a re-sync marked deleted.")
@quiet_option
def export(db_path, site, output, out_dir, max_file_size, media_base, status, include_deleted, quiet):
    """Write each archived site as a WXR 1.2 file that WordPress's importer accepts.

    Exit status: 0 done, 1 done with characters XML forbids removed (each listed), 2 failed."""
    from pathlib import Path

    from .exports.wxr import Options
    from .jobs.export import export_archive

    click.get_current_context().meta[FAILED] = 2
    if bool(output) == bool(out_dir):
        raise click.UsageError("give one of -o FILE.xml or --out DIR")
    statuses = tuple(s.strip() for s in status.split(",") if s.strip()) if status else None
    options = Options(statuses=statuses, include_deleted=include_deleted, max_bytes=max_file_size)
    bars = []

    def progress(label, total):
        if quiet or not sys.stderr.isatty() or total < 1000:
            return None
        bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
        bars[-1].__enter__()
        return _each_second(bars[-1].update)

    try:
        report = export_archive(db_path, site=site, output=output and Path(output),
                                out_dir=out_dir and Path(out_dir), options=options, progress=progress,
                                media_base=media_base)
    except KeyboardInterrupt:
        click.echo("interrupted: the site being exported was not written (no partial file left); "
                   "sites finished before it are kept", err=True)
        sys.exit(130)
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    for removed in report.removed:
        click.echo(f"{removed.line()}", err=True)
    if not quiet:
        for done in report.sites:
            counts = ", ".join(f"{n} {table}" for table, n in done.counts.items())
            files = (f" + {done.media_files} file{'s' if done.media_files > 1 else ''} in {Path(out_dir) / 'uploads'}"
                     if done.media_files else "")
            click.echo(f"{done.url}: {counts} -> {', '.join(str(p) for p in done.paths)}{files}")
        if out_dir and not media_base and any(done.media_files for done in report.sites):
            click.echo("the files keep their old addresses in the WXR: serve the uploads folder and export "
                       "again with --media-base URL for WordPress's importer to fetch them from there", err=True)
    sys.exit(1 if report.removed else 0)


def fleet_option(command):
    return click.option("--fleet", "folder", default="fleet", show_default=True, type=click.Path(file_okay=False),
                        help="The fleet folder: one archive per site and the registry.")(command)


def broker_option(command):
    return click.option("--broker", default=None, metavar="redis://HOST:PORT/N",
                        help="Run the steps on Celery workers through this Redis broker.")(command)


def step_options(command):
    """What each site's step is given (StepSettings), for `fleet run` and `fleet beat`."""
    options = [
        click.option("--delay", default=1.0, show_default=True, type=float,
                     help="Seconds between requests to one host, across all sites on it."),
        click.option("--max-requests", type=int, default=None, help="Stop a site's step after this many requests."),
        click.option("--allow-private", is_flag=True, help="Fetch sites at loopback, private or link-local addresses."),
        click.option("--budget", default=300.0, show_default=True, type=float, help="Seconds for one sync step of a site."),
        click.option("--first-budget", default=3600.0, show_default=True, type=float,
                     help="Seconds for a step of a site's first scrape (REST resumes; pages or feed are one step)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.group(short_help="Archive many sites: a folder of archives kept in sync.")
def fleet():
    """A fleet: one archive file per site in a folder, synced by due time on this machine
    (--jobs sites at once) or by Celery workers (--broker), published as one archive."""


@fleet.command("add", short_help="Add sites to the fleet.")
@click.argument("urls", nargs=-1)
@click.option("--from", "from_file", type=click.Path(dir_okay=False), help="A file of URLs, one a line.")
@click.option("--every", default=86400.0, show_default=True, type=float, help="Seconds between syncs of these sites.")
@fleet_option
def fleet_add(urls, from_file, every, folder):
    """Add sites (their root URLs) to the fleet, due at once."""
    from .jobs.fleet import add_sites, urls_from_file

    urls = [*urls, *(urls_from_file(from_file) if from_file else [])]
    if not urls:
        raise click.UsageError("give site URLs or --from FILE")
    added, known = add_sites(folder, urls, every)
    click.echo(f"{folder}: {added} site(s) added" + (f", {known} already there (schedule updated)" if known else ""))


@fleet.command("list", short_help="List the fleet's sites.")
@fleet_option
def fleet_list(folder):
    """Each site: its archive file, last run and status, when it is due."""
    from .fleet.registry import Registry

    with Registry(folder) as registry:
        for site in registry.sites():
            last = _utc(site.last_run) if site.last_run else "never run"
            status = f"{site.last_status}" + (f" ({site.last_error})" if site.last_error else "") if site.last_status else ""
            click.echo(f"{site.url}\t{site.file}\tlast: {last} {status}\tdue: {_utc(site.due_at)}")


def _utc(when: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@fleet.command("remove", short_help="Remove sites from the fleet.")
@click.argument("urls", nargs=-1, required=True)
@fleet_option
def fleet_remove(urls, folder):
    """Forget sites; their archive files are left in place."""
    from .jobs.fleet import remove_sites

    for path in remove_sites(folder, urls):
        click.echo(f"removed; its archive stays at {path}")


@fleet.command("run", short_help="Sync every due site.")
@fleet_option
@click.option("--jobs", "-j", default=4, show_default=True, help="Sites in flight at once (without --broker).")
@step_options
@broker_option
@click.option("--queues", type=int, default=None, help="Worker queues sites are hashed to (default 8).")
@click.option("--no-wait", is_flag=True, help="With --broker: send the steps and return.")
@quiet_option
def fleet_run(folder, jobs, delay, max_requests, allow_private, budget, first_budget, broker, queues, no_wait, quiet):
    """Sync every due site (the first time: scrape it), one line per site and a summary.

    Exit status: 0 all ok, 1 some cut short by a budget, 2 some failed."""
    from .fleet.step import StepSettings
    from .jobs.fleet import run_fleet

    settings = StepSettings(delay, max_requests, allow_private, budget, first_budget)
    summary = run_fleet(folder, settings, jobs, broker, not no_wait, queues,
                        say=(lambda outcome: None) if quiet else (lambda outcome: click.echo(outcome.line())))
    click.echo(summary.line())
    sys.exit(summary.worst)


@fleet.command("worker", short_help="Run a Celery worker for the fleet.")
@fleet_option
@click.option("--broker", required=True, metavar="redis://HOST:PORT/N", help="The Redis broker.")
@click.option("--queues", type=int, default=None, help="Worker queues sites are hashed to (default 8).")
@click.option("--queue", "only", type=int, multiple=True, help="Consume only this queue (repeatable); default all.")
@click.option("--concurrency", "-c", default=1, show_default=True, help="Steps at once (threads) in this worker.")
@click.option("--lock-ttl", type=float, default=None, help="Seconds a dead worker's site lock outlives it (30).")
@click.option("--visibility-timeout", type=float, default=None,
              help="Seconds before a dead worker's step is delivered again (900).")
def fleet_worker(folder, broker, queues, only, concurrency, lock_ttl, visibility_timeout):
    """Celery's worker with the fleet's app: runs the steps `fleet run --broker` sends, writing
    the archives in this machine's --fleet folder."""
    from .jobs.fleet import work

    work(folder, broker, queues, only, concurrency, lock_ttl, visibility_timeout)


@fleet.command("beat", short_help="Send the due sites to the workers on a schedule (Celery beat).")
@fleet_option
@click.option("--broker", required=True, metavar="redis://HOST:PORT/N", help="The Redis broker.")
@click.option("--every", "every", default=60.0, show_default=True, type=float,
              help="Seconds between looks for due sites.")
@step_options
@click.option("--queues", type=int, default=None, help="Worker queues sites are hashed to (default 8).")
def fleet_beat(folder, broker, every, delay, max_requests, allow_private, budget, first_budget, queues):
    """Celery beat for the fleet, run beside its registry (one per fleet): every --every seconds
    the sites now due are sent to the `fleet worker`s, and what they reported is recorded.
    Instead of `fleet run` from cron."""
    from .fleet.step import StepSettings
    from .jobs.fleet import beat

    beat(folder, broker, StepSettings(delay, max_requests, allow_private, budget, first_budget), every, queues)


@fleet.command("publish", short_help="Build one archive of the whole fleet.")
@fleet_option
@click.option("-o", "--out", default=None, type=click.Path(dir_okay=False), help="The combined archive [<fleet>/fleet.db].")
@quiet_option
def fleet_publish(folder, out, quiet):
    """Copy every site changed since the last publish into one archive for `wparchive serve`."""
    from .jobs.fleet import publish

    report = publish(folder, out)
    if not quiet:
        click.echo(report.line())


def main():
    cli(prog_name="wparchive")
