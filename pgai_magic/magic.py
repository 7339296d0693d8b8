"""%pgai / %%pgai: parse the line, call the session through the command registry, display."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.display import HTML, display
from traitlets import Float, Int, Unicode, default, observe

from pgai_magic.catalog import did_you_mean
from pgai_magic.cell import Limits
from pgai_magic.commands import COMMANDS, Context, HelpRequested, Settings, Snippet, command_help, unknown_command
from pgai_magic.commands.base import help_text, run_sql, split_line
from pgai_magic.connections import Connections
from pgai_magic.display import use_progress_output
from pgai_magic.errors import InternalError, PgaiError
from pgai_magic.server import DEFAULT_DSN_FILE, redact_text
from pgai_magic.sqltext import starts_statement

if TYPE_CHECKING:
    from pgai_magic.session import Session

__all__ = ["Pgai", "load", "unload"]


@magics_class
class Pgai(Magics):
    """pgai_magic: SQL, embeddings, natural-language questions, in-database models and insights.

    %%pgai [--out VAR] [--limit N] [--arrow | --polars]   SQL cell
    %pgai SELECT ...                                      one-line SQL
    %pgai help                                            every sub-command
    """

    display_limit = Int(10, help="rows shown in a result table (the DataFrame stays complete)").tag(config=True)
    max_result_mb = Float(2048.0, help="stop fetching a result past this size (MiB)").tag(config=True)
    statement_timeout_s = Float(30.0, help="statement timeout for generated SQL (seconds)").tag(config=True)
    autolimit = Int(0, help="fetch at most this many rows of a query (0: all), as JupySQL's autolimit").tag(config=True)
    dsn_filename = Unicode(
        DEFAULT_DSN_FILE,
        help="the INI file of `%pgai connect --section NAME` (default: JupySQL's SqlMagic.dsn_filename when set)",
    ).tag(config=True)
    llm_base_url = Unicode(help="ask: an OpenAI-compatible chat endpoint (default $PGAI_LLM_BASE_URL)").tag(config=True)
    llm_model = Unicode(help="ask: the model to request at llm_base_url (default $PGAI_LLM_MODEL)").tag(config=True)
    llm_path = Unicode(help="ask: a local transformers model folder, if no endpoint (default $PGAI_LLM_PATH)").tag(
        config=True
    )
    llm_threshold = Float(
        0.9, help="ask --generator auto: a translator answer less sure than this (0..1) goes to the LLM"
    ).tag(config=True)
    llm_max_repairs = Int(1, help="ask: rounds of repair after the LLM's SQL is rejected").tag(config=True)

    @default("llm_base_url")
    def _default_base_url(self) -> str:
        return os.environ.get("PGAI_LLM_BASE_URL", "")

    @default("llm_model")
    def _default_model(self) -> str:
        return os.environ.get("PGAI_LLM_MODEL", "")

    @default("llm_path")
    def _default_path(self) -> str:
        return os.environ.get("PGAI_LLM_PATH", "")

    @observe("llm_base_url", "llm_model", "llm_path", "llm_threshold", "llm_max_repairs")
    def _llm_changed(self, change: Any) -> None:
        self._llm_dirty = True  # applied to the session on the next command

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.connections = Connections(_open_default)
        self.snippets: dict[str, Snippet] = {}
        self.last_traceback: str | None = None
        self._llm_dirty = getattr(self, "_llm_dirty", False)  # True when a config file set llm_* already

    # -- session -------------------------------------------------------------------
    def _get_session(self, alias: str | None = None) -> Session:
        """The session every command runs on, with the `%config Pgai.*` limits: a dead embedded server is
        restarted here, for every command."""
        session: Session = self.connections.get(alias)
        max_bytes = int(self.max_result_mb * 2**20) if self.max_result_mb > 0 else None
        session.configure(Limits(max_result_bytes=max_bytes, read_timeout_s=self.statement_timeout_s))
        notice = session.db.ensure_alive()
        if notice:
            print(notice)
        if self._llm_dirty:
            self._configure_llm(session)
        return session

    def _configure_llm(self, session: Session) -> None:
        """The `%config Pgai.llm_*` settings on the session's question pipeline (the API key stays in the
        environment: PGAI_LLM_API_KEY or OPENAI_API_KEY)."""
        from pgai_magic.nl2sql.llm import backend_from_env

        asker = session.questions
        env = {k: v for k, v in os.environ.items() if k in ("PGAI_LLM_API_KEY", "OPENAI_API_KEY")}
        env.update(PGAI_LLM_BASE_URL=self.llm_base_url, PGAI_LLM_MODEL=self.llm_model, PGAI_LLM_PATH=self.llm_path)
        asker.llm_threshold, asker.llm_max_repairs = self.llm_threshold, self.llm_max_repairs
        self._llm_dirty = False
        asker.use_llm(backend_from_env(env))  # ConfigError (a model name missing, say) fails the command

    def _set_session(self, session: Session) -> None:
        self.connections.add(None, session)

    def context(self) -> Context:
        return Context(
            get_session=self._get_session,
            set_session=self._set_session,
            connections=self.connections,
            snippets=self.snippets,
            namespace=self.shell.user_ns if self.shell is not None else {},
            settings=Settings(
                self.display_limit, self.max_result_mb, self.statement_timeout_s, self.autolimit, self._dsn_file()
            ),
            show_html=lambda markup: display(HTML(markup)),
            show=display,
            say=lambda message: print(redact_text(message)),
        )

    def _dsn_file(self) -> str:
        """Pgai.dsn_filename when set, else JupySQL's SqlMagic.dsn_filename (its config or its loaded magic)."""
        if self.dsn_filename != DEFAULT_DSN_FILE or self.shell is None:
            return str(self.dsn_filename)
        jupysql = next((c for c in self.shell.configurables if type(c).__name__ == "SqlMagic"), None)
        configured = self.shell.config.get("SqlMagic", {}).get("dsn_filename")
        return str(getattr(jupysql, "dsn_filename", None) or configured or DEFAULT_DSN_FILE)

    # -- the magic -------------------------------------------------------------------
    @no_var_expand  # `{x}` and `$x` stay as typed: values come in as :name parameters
    @line_cell_magic
    def pgai(self, line: str = "", cell: str | None = None) -> Any:
        """Run SQL (%%pgai cell or %pgai line) or a sub-command; `%pgai help` lists them."""
        try:
            return self._dispatch(line, cell)
        except PgaiError as err:
            raise self._failed(err) from None
        except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback kept for %pgai debug
            import traceback

            self.last_traceback = redact_text(traceback.format_exc())
            raise self._failed(
                InternalError(
                    f"pgai internal error ({type(exc).__name__}: {exc}); the session is still usable. "
                    "`%pgai debug` shows the traceback."
                )
            ) from None

    @staticmethod
    def _failed(err: PgaiError) -> PgaiError:
        """The one error convention of every command: what ran before the error is printed (the server's notices,
        the command tags of the cell's earlier statements), then the error is raised so the cell fails and Run All,
        nbconvert --execute and papermill stop. IPython shows it as its message only (`PgaiError._render_traceback_`),
        passwords redacted, also in the exception's text (`str(err)`, which notebooks store as `evalue`)."""
        for notice in err.notices:
            print(redact_text(notice))
        err.shown = redact_text(str(err))
        return err

    def _dispatch(self, line: str, cell: str | None) -> Any:
        ctx = self.context()
        stripped = line.strip()
        word, _, rest = stripped.partition(" ")
        if word in ("-h", "--help", "help", "?") and cell is None:
            print(help_text())
            return None
        if word == "debug" and cell is None:
            print(self.last_traceback or "no internal error so far")
            return None
        if word in COMMANDS:
            if rest.strip() in ("-h", "--help") and (cell is None or not cell.strip()):
                print(command_help(word))
                return None
            try:
                return COMMANDS[word].run(ctx, rest.strip(), cell)
            except HelpRequested as shown:  # `%pgai model monitor -h`: a sub-command's usage
                print(shown.text)
                return None
        if word in _JUPYSQL_PERSIST and cell is None:
            # JupySQL's spellings: %sql --persist df / --persist-replace df / --append df
            return COMMANDS["persist"].run(ctx, rest.strip() + _JUPYSQL_PERSIST[word], None)
        if word.isidentifier() and rest.lstrip().startswith("<<"):
            # JupySQL's `VAR << SELECT ...` / `%%pgai VAR <<` spelling of --out VAR
            after = rest.lstrip()[2:].strip()
            if cell is None:
                return run_sql(ctx, f"--out {word}", after)
            return run_sql(ctx, f"--out {word} {after}", cell)
        if cell is None:
            if not stripped:
                print(help_text())
                return None
            if not word.startswith("-") and not starts_statement(stripped):  # `%pgai tabels`: not SQL either
                raise unknown_command(word, sql_possible=True)
            options, sql = split_line(stripped)  # %pgai [--out x] [--polars] SELECT ...
            return run_sql(ctx, options, sql)
        if word and not word.startswith("-") and did_you_mean(word, COMMANDS):  # `%%pgai tabels`
            raise unknown_command(word, sql_possible=False)
        return run_sql(ctx, stripped, cell)


_JUPYSQL_PERSIST = {"--persist": "", "--persist-replace": " --replace", "--append": " --append"}


def _open_default() -> Session:
    from pgai_magic.session import Session

    return Session(announce=lambda message: print(redact_text(message)))


# a line magic, optionally assigned (`df = %pgai ask …`): matched on notebook source lines, not on SQL
_LINE_MAGIC = re.compile(r"^(?P<indent>\s*)(?:(?P<target>[A-Za-z_][\w.]*)\s*=\s*)?%pgai(?P<rest>\s.*)?$")


def protect_question_marks(lines: list[str]) -> list[str]:
    """Keep IPython from reading `%pgai ask … what?` as a help request (`obj?`) for the last word.

    Runs first among IPython's input transformers: a `%pgai` line ending in `?` becomes the explicit
    `get_ipython().run_line_magic('pgai', …)` call, which the help syntax does not touch.
    """
    out = []
    for line in lines:
        match = _LINE_MAGIC.match(line.rstrip("\n"))
        if match and line.rstrip().endswith("?"):
            call = f"get_ipython().run_line_magic('pgai', {(match['rest'] or '').strip()!r})"
            target = f"{match['target']} = " if match["target"] else ""
            line = f"{match['indent']}{target}{call}\n"
        out.append(line)
    return out


class ProgressDisplay:
    """The file a progress bar (tqdm) writes to in a notebook: its last line is one display, updated in place, and
    emptied when the bar is done, so a notebook saved afterwards holds no bar frozen at some percent (a tqdm widget
    keeps the text it was first shown with)."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self._handle: Any = None

    def write(self, text: str) -> int:
        line = text.rsplit("\r", 1)[-1].strip()
        if self._handle is None and line:
            self._handle = display({"text/plain": line}, raw=True, display_id=True)
        elif self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        return len(text)

    def finish(self) -> None:
        """The bar is done: its display is emptied (a bar that stays writes its last line instead)."""
        if self._handle is not None:
            self._handle.update({"text/plain": ""}, raw=True)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def load(ipython: Any) -> None:
    """Register the magics and open the session (starting the embedded server if no DSN is set)."""
    Pgai.pgai.__doc__ = help_text()  # `%pgai?` documents every sub-command
    magics = Pgai(ipython)
    ipython.register_magics(magics)
    cleanup = ipython.input_transformers_cleanup
    if protect_question_marks not in cleanup:
        cleanup.insert(0, protect_question_marks)
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)
    _register_completer(ipython, magics)
    if getattr(ipython, "kernel", None) is not None:  # a notebook (a terminal keeps tqdm's own bar on stderr)
        use_progress_output(ProgressDisplay)
    ipython.user_ns.setdefault("_pgai_magics", magics)
    try:
        session = magics._get_session()
    except PgaiError as err:
        print(redact_text(f"pgai: {err}"), file=sys.stderr)
        return
    from pgai_magic.commands.ask import warm_up

    warm_up(session)  # the first question's modules, then the model, load in the background: nothing waits


def _register_completer(ipython: Any, magics: Pgai) -> None:
    """Tab completion on %pgai lines and in %%pgai cell bodies (an IPython completion matcher, API v2): sub-commands,
    options, tables, TABLE.COLUMN and alias.column, SQL keywords. Its matches replace the others (no Python names
    after `%pgai --`)."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    from pgai_magic.commands.complete import NameCache, complete_cell, complete_line

    cache: dict[int, NameCache] = {}

    @context_matcher(identifier="pgai")
    def pgai_matcher(context: Any) -> dict[str, Any]:
        found: list[str] = []
        try:
            lines = context.full_text.split("\n")
            line, token = context.text_until_cursor, context.token
            in_line = line.lstrip().startswith("%pgai") or (context.cursor_line == 0 and line.startswith("%%pgai"))
            in_body = context.cursor_line > 0 and lines[0].startswith("%%pgai")
            if in_line or in_body:
                session = magics._get_session()
                names = cache.setdefault(id(session), NameCache(session.sql))
                if in_line:
                    found = complete_line(line, token, names)
                else:
                    body = "\n".join(lines[1:])
                    before = "\n".join([*lines[1 : context.cursor_line], line])
                    found = complete_cell(lines[0], before, body, token, names)
        except Exception:  # noqa: BLE001 - completion never raises into the editor
            found = []
        return {"completions": [SimpleCompletion(text=t, type="pgai") for t in found], "suppress": bool(found)}

    ipython.Completer.custom_matchers = [
        m for m in ipython.Completer.custom_matchers if getattr(m, "matcher_identifier", None) != "pgai"
    ] + [pgai_matcher]


def unload(ipython: Any) -> None:
    if protect_question_marks in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(protect_question_marks)
    use_progress_output(None)
    matchers = ipython.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != "pgai"]
    magics = ipython.user_ns.pop("_pgai_magics", None)
    if magics is not None:
        magics.connections.close_all()
