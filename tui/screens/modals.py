"""Dialogs. Each is a `ModalScreen[T]` that returns its result with `dismiss()`;
the exercise screen acts on the result (modals never touch the Simulation).

Scenario and user text (titles, synopses, notes, names) is always passed as a
`rich.text.Text`, never as a string: Textual parses strings as markup, so
`[urgent]` would vanish and `[/]` would crash the console."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from sim.scenario.schema import Inject
from sim.scenario.types import parse_duration
from sim.simulation import DecisionView
from tui.command import decision_clock_text

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > #dialog {{
    width: 90%; max-width: 110; height: auto; max-height: 95%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} #dialog-title {{ text-style: bold; background: $primary 30%; width: 1fr; padding: 0 1; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} .buttons Button {{ margin-left: 2; }}
{name} .hint {{ color: $text-muted; }}
{name} .error {{ color: $error; height: auto; }}
"""


def modal_css(name: str) -> str:
    return MODAL_CSS.format(name=name)


class ConfirmModal(ModalScreen[bool]):
    """Yes or no."""

    DEFAULT_CSS = modal_css("ConfirmModal")
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, title: str, body: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self._title, self._body, self._yes, self._no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self._title), id="dialog-title")
            yield Static(Text(self._body), id="confirm-body")
            with Horizontal(classes="buttons"):
                yield Button(f"{self._yes} (y)", variant="primary", id="yes")
                yield Button(f"{self._no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


HELP = """\
[b]Clock[/b]
  space   pause / resume the scenario clock
  + -     faster / slower: 1 sim-minute per second up to 1 sim-day per second
  n       step to the next model event
  a       advance by an amount you type (e.g. 6h, 1d12h, 90m); runs in the background

[b]Inputs[/b] (all take effect at the current simulated time)
  i       fire an inject: from the MSEL, the library, or built ad hoc (validated)
  d       answer a pending decision for a role
  o       add an observation (timestamped note, kept with the session)
  e       evaluator rating: P/S/M/U for a decision or inject, with your name

[b]Views[/b]
  r       switch role view (a student sees only their agency's inbox and decisions)
  p       next panel (narrow terminals show one panel at a time)
  f       filter the event log by agency
  m       show / hide movement lines (each group leaving or arriving; hidden at first)
  b       debrief: metrics, expected vs actual, decision timeline
  ? F1    this help
  q       quit (asks first)
  escape  stop a fast-forward; in a dialog: cancel (a decision stays pending)

Pausing never shifts an inject: injects are scheduled in simulated time.
"""


class HelpModal(ModalScreen[None]):
    DEFAULT_CSS = modal_css("HelpModal")
    BINDINGS = [Binding("escape,question_mark,f1,q,enter", "dismiss", "Close")]

    def __init__(self, pause_on_decision: bool = False) -> None:
        super().__init__()
        self._pause_on_decision = pause_on_decision

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Keys", id="dialog-title")
            with VerticalScroll():
                yield Static(HELP + decision_clock_text(self._pause_on_decision), markup=True)
            yield Label("escape closes", classes="hint")

    def action_dismiss(self, result=None) -> None:  # type: ignore[override]
        self.dismiss(None)


class AdvanceModal(ModalScreen[float | None]):
    """Ask how far to advance; returns simulated minutes."""

    DEFAULT_CSS = modal_css("AdvanceModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Advance the scenario clock by...", id="dialog-title")
            yield Input(placeholder="e.g. 6h, 1d12h, 90m", id="amount")
            yield Static("", classes="error", id="advance-error")
            yield Label("enter: advance (stops at a person's decision)   escape: cancel", classes="hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            minutes = parse_duration(event.value.strip())
        except ValueError as error:
            self.query_one("#advance-error", Static).update(Text(str(error)))
            return
        if minutes <= 0:
            self.query_one("#advance-error", Static).update("give an amount above zero")
            return
        self.dismiss(minutes)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteModal(ModalScreen[tuple[str, str] | None]):
    """An observation: (author, text)."""

    DEFAULT_CSS = modal_css("NoteModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, when: str, author: str = "facilitator") -> None:
        super().__init__()
        self._when, self._author = when, author

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Observation at {self._when}"), id="dialog-title")
            yield Input(self._author, placeholder="author (facilitator, evaluator name...)", id="author")
            yield Input(placeholder="what you observed", id="text")
            yield Label("enter: save   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        author = self.query_one("#author", Input).value.strip() or "facilitator"
        if text:
            self.dismiss((author, text))
        else:
            self.query_one("#text", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickModal(ModalScreen[str | None]):
    """Pick one item from a list (role, decision, agency filter)."""

    DEFAULT_CSS = modal_css("PickModal") + "PickModal OptionList { height: auto; max-height: 20; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self._title, self._items, self._current = title, list(items), current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self._title), id="dialog-title")
            yield OptionList(*[Option(Text(text), id=key) for key, text in self._items])
            yield Label("enter: choose   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = [key for key, _ in self._items]
        if self._current in keys:
            options.highlighted = keys.index(self._current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def option_text(decision: DecisionView, number: int) -> Text:
    """`N. label`, and under it the option's one-line `consequence:` (what taking it does), if any.
    Both come from the scenario, so both are plain `Text` (never markup)."""
    _oid, label = decision.options[number - 1]
    text = Text(f"{number}. {label}")
    consequence = decision.consequences[number - 1] if number <= len(decision.consequences) else None
    if consequence:
        text.append("\n   ")
        text.append(f"-> {consequence}", style="italic")
    return text


class DecisionModal(ModalScreen[str | None]):
    """Question, options, what the owning role knows, and (for the facilitator) what the MSEL expects."""

    DEFAULT_CSS = (
        modal_css("DecisionModal")
        + """
    DecisionModal #question { text-style: bold; margin: 1 0 0 0; height: auto; }
    DecisionModal OptionList { height: auto; max-height: 12; margin: 1 0; }
    DecisionModal #context { height: auto; max-height: 14; }
    DecisionModal .section { text-style: bold; color: $accent; margin-top: 1; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Later")] + [
        Binding(str(n), f"choose({n})", show=False) for n in range(1, 10)
    ]

    def __init__(
        self,
        decision: DecisionView,
        owner_name: str,
        when: str,
        knows: list[str],
        expected: str | None,
        now: str = "",
    ) -> None:
        super().__init__()
        self.decision = decision
        self._owner_name, self._when, self._knows, self._expected = owner_name, when, knows, expected
        self._now = now

    def compose(self) -> ComposeResult:
        d = self.decision
        came = f", came up {self._when}" if self._when else ""
        with Vertical(id="dialog"):
            yield Label(Text(f"Decision for {self._owner_name}{came}"), id="dialog-title")
            yield Static(Text(d.title), id="question")
            yield OptionList(*[Option(option_text(d, n), id=oid) for n, (oid, _label) in enumerate(d.options, 1)])
            with VerticalScroll(id="context"):
                yield Label(Text(f"What {self._owner_name} knows so far"), classes="section")
                yield Static(Text("\n".join(f"- {line}" for line in self._knows) or "(nothing yet)"))
                if self._expected is not None:
                    yield Label("MSEL expects (facilitator only)", classes="section")
                    yield Static(Text(self._expected))
            yield Label(Text(self._now_text(self._now)), id="now", classes="hint")
            yield Label("1-9 or enter: answer   escape: answer later (stays pending)", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _now_text(self, now: str) -> str:
        return f"now {now}: the answer is taken at the time it is given" if now else ""

    def show_now(self, now: str) -> None:
        """The current simulated time (the clock may run while a person decides)."""
        self.query_one("#now", Label).update(Text(self._now_text(now)))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_choose(self, number: int) -> None:
        if 1 <= number <= len(self.decision.options):
            self.dismiss(self.decision.options[number - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class InjectModal(ModalScreen[Inject | None]):
    """Choose an inject (MSEL, library, ad hoc), confirm it, and return it to fire now."""

    DEFAULT_CSS = (
        modal_css("InjectModal")
        + """
    InjectModal TabbedContent { height: auto; }
    InjectModal OptionList { height: auto; max-height: 12; }
    InjectModal #adhoc Input { margin: 0; }
    InjectModal #adhoc { height: auto; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        msel: Sequence[Inject],
        library: Sequence[Inject],
        when: str,
        describe_schedule: Callable[[Inject], str],
        agencies: Sequence[str] = (),
        names: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._agencies = set(agencies)
        self._names = names or {}
        """Agency id -> name, for the confirmation (ids are what the ad-hoc form takes)."""
        self._taken_ids = {i.id for i in [*msel, *library]}
        self._msel = {i.id: i for i in msel}
        self._library = {i.id: i for i in library}
        self._when = when
        self._describe = describe_schedule

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Fire an inject now ({self._when})"), id="dialog-title")
            with TabbedContent(initial="tab-library" if self._library else "tab-msel"):
                with TabPane("Library", id="tab-library"):
                    yield OptionList(
                        *[Option(Text(f"{i.id}  {i.synopsis}"), id=i.id) for i in self._library.values()],
                        id="library",
                    )
                with TabPane("MSEL", id="tab-msel"):
                    yield OptionList(
                        *[
                            Option(Text(f"{i.id}  [{self._describe(i)}]  {i.synopsis}"), id=i.id)
                            for i in self._msel.values()
                        ],
                        id="msel",
                    )
                with TabPane("Ad hoc", id="tab-adhoc"), Vertical(id="adhoc"):
                    yield Input(placeholder="id, e.g. x01", id="f-id")
                    yield Input(placeholder="to: agency ids, comma separated", id="f-to")
                    yield Input(placeholder="synopsis: what the players are told", id="f-synopsis")
                    yield Input(placeholder="from (default simcell)", id="f-from")
                    yield Input(placeholder="method (default phone)", id="f-method")
                    yield Input(placeholder="expected action (optional)", id="f-expected")
                    yield Input(
                        placeholder='effects as JSON (optional), e.g. [{"kind":"closure","duration":"12h"}]',
                        id="f-effects",
                    )
                    yield Static("", classes="error", id="adhoc-error")
            yield Label("enter: choose, then confirm   ctrl+s: send ad hoc   escape: cancel", classes="hint")

    BINDINGS = BINDINGS + [Binding("ctrl+s", "submit_adhoc", "Submit ad hoc", show=False)]

    def on_mount(self) -> None:
        first = self.query_one("#library" if self._library else "#msel", OptionList)
        if first.option_count:
            first.highlighted = 0
        first.focus()

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        target = {"tab-library": "#library", "tab-msel": "#msel", "tab-adhoc": "#f-id"}.get(event.pane.id or "")
        if target:
            widget = self.query_one(target)
            if isinstance(widget, OptionList) and widget.option_count and widget.highlighted is None:
                widget.highlighted = 0
            widget.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        inject = (
            self._library.get(event.option.id) if event.option_list.id == "library" else self._msel.get(event.option.id)
        )
        if inject is not None:
            self._confirm(inject)

    def build_adhoc(self) -> Inject | None:
        """Validate the form with the scenario schema; show pydantic's errors."""
        value = lambda name: self.query_one(f"#f-{name}", Input).value.strip()  # noqa: E731
        raw: dict = {
            "id": value("id"),
            "on_demand": True,
            "to": [t.strip() for t in value("to").split(",") if t.strip()],
            "synopsis": value("synopsis"),
        }
        if value("from"):
            raw["from"] = value("from")
        if value("method"):
            raw["method"] = value("method")
        if value("expected"):
            raw["expected_action"] = value("expected")
        error = self.query_one("#adhoc-error", Static)
        if value("effects"):
            try:
                raw["effects"] = json.loads(value("effects"))
            except json.JSONDecodeError as exc:
                error.update(Text(f"effects: not valid JSON ({exc.msg})"))
                return None
        try:
            inject = Inject.model_validate(raw)
        except ValidationError as exc:
            lines = [f"{'.'.join(str(p) for p in e['loc']) or 'inject'}: {e['msg']}" for e in exc.errors()]
            error.update(Text("\n".join(lines)))
            return None
        problems = []
        if inject.id in self._taken_ids:
            problems.append(f"id: '{inject.id}' is already an inject of this scenario; pick another")
        if self._agencies:
            unknown = [a for a in inject.to if a not in self._agencies]
            if unknown:
                problems.append(f"to: unknown agency {', '.join(unknown)}")
            if inject.from_ != "simcell" and inject.from_ not in self._agencies:
                problems.append(f"from: unknown agency {inject.from_} (or 'simcell')")
        if problems:
            error.update(Text("\n".join(problems)))
            return None
        error.update(Text(""))
        return inject

    @on(Input.Submitted, "#adhoc Input")
    def action_submit_adhoc(self) -> None:
        inject = self.build_adhoc()
        if inject is not None:
            self._confirm(inject)

    def _confirm(self, inject: Inject) -> None:
        extra = ""
        if inject.id in self._msel and inject.at is not None:
            extra = "\n\nNote: its scheduled firing stays in the MSEL (the engine fires it again then)."
        to = ", ".join(self._names.get(a, a) for a in inject.to)
        body = f"{inject.id} to {to}:\n{inject.synopsis}{extra}"

        def done(yes: bool | None) -> None:
            if yes:
                self.dismiss(inject)

        self.app.push_screen(ConfirmModal(f"Fire {inject.id} now, at {self._when}?", body, yes="Fire"), done)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EvaluationModal(ModalScreen[tuple[str, str, str, str] | None]):
    """An evaluator's rating of a decision or inject: (id, P/S/M/U, evaluator, comment).

    The only way a rating other than the derived one reaches the debrief and the
    after-action report; a note, whatever it says, never rates anything.
    """

    DEFAULT_CSS = modal_css("EvaluationModal") + "EvaluationModal Input { margin: 0; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, when: str, targets: Sequence[str], evaluator: str = "") -> None:
        super().__init__()
        self._when, self._targets, self._evaluator = when, set(targets), evaluator

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Evaluator rating at {self._when}"), id="dialog-title")
            yield Input(placeholder="decision or inject id, e.g. basic_response_policy or m07", id="e-target")
            yield Input(placeholder="rating: P, S, M or U", id="e-rating")
            yield Input(self._evaluator, placeholder="evaluator's name", id="e-evaluator")
            yield Input(placeholder="comment (optional)", id="e-comment")
            yield Static("", classes="error", id="evaluation-error")
            yield Label("enter: save   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#e-target", Input).focus()

    def result(self) -> tuple[str, str, str, str] | str:
        """The rating, or what is wrong with the form (one sentence)."""
        value = lambda name: self.query_one(f"#e-{name}", Input).value.strip()  # noqa: E731
        target, rating, evaluator = value("target"), value("rating").upper(), value("evaluator")
        if target not in self._targets:
            return f"'{target}' is not a decision or inject of this scenario"
        if rating not in ("P", "S", "M", "U"):
            return "the rating is one of P, S, M or U"
        if not evaluator:
            return "give the evaluator's name"
        return target, rating, evaluator, value("comment")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        result = self.result()
        if isinstance(result, str):
            self.query_one("#evaluation-error", Static).update(Text(result))
        else:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
