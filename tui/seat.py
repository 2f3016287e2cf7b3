"""`ttxsim join`: one seat of a hosted session (a role, the public display or the facilitator).

The seat draws what the host sends and nothing else: every view is computed by
the host for this seat (sim/session/views.py), so a seat cannot show what its
role has not learned. Actions go up as protocol frames; the host answers with
an ack or an error, which the seat shows. All scenario and player text is put
on screen as `rich.text.Text` (never parsed as markup). A dropped connection is
retried with the same code, and the host sends the whole view again on rejoin.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, OptionList, ProgressBar, RichLog, Static
from textual.widgets.option_list import Option

from sim.text import duration_text

RECONNECT_MAX = 10.0
"""Longest wait (wall seconds) between two attempts to rejoin a dropped host."""


def _t(value: Any, style: str = "") -> Text:
    """Any text from the scenario, the host or a player, shown literally."""
    return Text("" if value is None else str(value), style=style)


def clock_line(clock: dict, who: str) -> Text:
    text = Text()
    text.append(f" {clock.get('label', '')} ", style="bold reverse")
    text.append(f"  {clock.get('calendar', '')}  ")
    if clock.get("finished"):
        text.append("ENDED", style="bold red")
    elif clock.get("paused"):
        text.append("PAUSED", style="bold yellow")
    else:
        text.append(f"running {clock.get('minutes_per_second', 0):g} min/s", style="green")
    if clock.get("held_for"):
        text.append(f"  held for {', '.join(clock['held_for'])}", style="yellow")
    text.append(f"   {who}", style="dim")
    return text


# ---------------------------------------------------------------------------
# Dialogs
# ---------------------------------------------------------------------------

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 80%; max-width: 100; height: auto; max-height: 90%; border: thick $primary;
    background: $surface; padding: 1 2; }}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .hint {{ color: $text-muted; margin-top: 1; }}
{name} OptionList {{ height: auto; max-height: 20; }}
"""


class PickDialog(ModalScreen[str | None]):
    """Choose one item; each shown literally."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PickDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: Sequence[tuple[str, Text | str]]) -> None:
        super().__init__()
        self._title, self._items = title, list(items)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_t(self._title), classes="title")
            yield OptionList(
                *[Option(_t(text) if isinstance(text, str) else text, id=key) for key, text in self._items]
            )
            yield Label("enter: choose   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[str | None]):
    """Type one line of text (a message, a note, a join code)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", *, password: bool = False) -> None:
        super().__init__()
        self._title, self._placeholder, self._password = title, placeholder, password

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_t(self._title), classes="title")
            yield Input(placeholder=self._placeholder, password=self._password, max_length=2000)
            yield Label("enter: send   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():  # an empty line sends nothing; escape cancels
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------------
# Seat bodies: data down (show), no knowledge of the connection
# ---------------------------------------------------------------------------


class RoleBody(Vertical):
    DEFAULT_CSS = """
    RoleBody { height: 1fr; }
    RoleBody #brief { height: auto; max-height: 6; padding: 0 1; border: round $secondary; }
    RoleBody #pending { height: auto; padding: 0 1; border: round $warning; }
    RoleBody #columns { height: 1fr; }
    RoleBody #inbox { width: 2fr; height: 1fr; border: round $primary; }
    RoleBody #mine { width: 1fr; border: round $primary; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="brief")
        yield Static(id="pending")
        with Horizontal(id="columns"):
            yield DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
            yield VerticalScroll(Static(id="mine-text"), id="mine")

    def on_mount(self) -> None:
        self.query_one("#brief").border_title = "Your brief"
        self.query_one("#pending").border_title = "Waiting for you (d: decide)"
        self.query_one("#inbox").border_title = "Inbox: what your agency has received"
        self.query_one("#mine").border_title = "Your decisions and messages (m: message)"
        table = self.query_one(DataTable)
        for label, width in (("Received", 11), ("From", 14), ("What", 80)):
            table.add_column(label, width=width)
        self._inbox_key: tuple = ()

    def show(self, view: dict) -> None:
        agency = view["agency"]
        brief = Text()
        brief.append(f"{agency.get('role') or agency['name']} - {agency['name']}\n", style="bold")
        brief.append(view.get("brief") or "No brief for this role.")
        self.query_one("#brief", Static).update(brief)
        pending = Text()
        if not view["pending"]:
            pending.append("No decision of yours is waiting.", style="dim")
        for decision in view["pending"]:
            pending.append(f"{decision['title']}\n", style="bold yellow")
            for n, option in enumerate(decision["options"], 1):
                pending.append(f"  {n}. {option['label']}")
                if option.get("consequence"):
                    pending.append(f"  - {option['consequence']}", style="italic")
                pending.append("\n")
        self.query_one("#pending", Static).update(pending)
        key = tuple((r["subject"], r["id"]) for r in view["inbox"])
        if key != self._inbox_key:
            self._inbox_key = key
            table = self.query_one(DataTable)
            table.clear()
            for row in reversed(view["inbox"]):
                via = f" ({row['method']})" if row.get("method") else ""
                table.add_row(_t(row["label"]), _t(row.get("from", "")), _t(f"{row['text']}{via}"))
        mine = Text()
        for decision in view["decisions"]:
            mine.append(f"{decision['title']}: ", style="bold")
            mine.append(f"{decision['label']}\n")
        for message in view["sent"]:
            mine.append(f"{message['label']} to {message['to']}: ", style="bold")
            mine.append(f"{message['text']}\n")
        if not mine:
            mine.append("Nothing yet.", style="dim")
        self.query_one("#mine-text", Static).update(mine)


def areas_text(areas: list[dict], now: float) -> Text:
    """One line per danger area for the projector: `Saga harbour district: 2,824 safe, 2,496 caught,
    0 still in danger; danger arrived D+0 15:16` (or `danger in 12 min`; an area without a danger says
    where its movement stands: `not started`, `moving`, `done`)."""
    text = Text()
    for n, area in enumerate(areas):
        if n:
            text.append("\n")
        text.append(f"{area['title']}: ", style="bold")
        text.append(f"{area['safe']:,} safe, ")
        text.append(f"{area['exposed']:,} caught", style="bold red" if area["exposed"] else "")
        text.append(f", {area['in_danger']:,} still in danger; ")
        if not area.get("threatened", True):
            status = "done" if area.get("done") else "moving" if area.get("started") else "not started"
            text.append(status, style="green" if area.get("done") else "" if area.get("started") else "dim")
        elif area["deadline"] is None:
            text.append("danger: on a condition", style="dim")
        elif area["reached"]:
            text.append(f"danger arrived {area['deadline_label']}", style="bold red")
        else:
            text.append(f"danger in {duration_text((area['deadline'] - now) / 60)}", style="yellow")
    return text


class DisplayBody(Vertical):
    DEFAULT_CSS = """
    DisplayBody { height: 1fr; }
    DisplayBody #title { height: auto; text-style: bold; content-align: center middle; padding: 1; }
    DisplayBody #progress-text { height: auto; padding: 0 1; }
    DisplayBody ProgressBar { padding: 0 1; }
    DisplayBody #news { height: 1fr; border: round $primary; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="progress-text")
        yield ProgressBar(total=100, show_eta=False, id="progress")
        yield DataTable(id="news", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#news").border_title = "News"
        table = self.query_one(DataTable)
        for label, width in (("When", 11), ("Via", 18), ("What", 90)):
            table.add_column(label, width=width)
        self._news = 0

    def show(self, view: dict) -> None:
        self.query_one("#title", Static).update(_t(view.get("title", "")))
        bar = self.query_one(ProgressBar)
        areas = view.get("areas")
        if areas:
            self.query_one("#progress-text", Static).update(
                areas_text(areas, (view.get("clock") or {}).get("now", 0.0))
            )
            bar.display = True
            bar.update(total=max(1, sum(a["population"] for a in areas)), progress=sum(a["safe"] for a in areas))
        else:
            self.query_one("#progress-text", Static).update(_t("No population movement in this exercise.", "dim"))
            bar.display = False
        news = view.get("news", [])
        if len(news) != self._news:
            table = self.query_one(DataTable)
            table.clear()
            for item in reversed(news):
                table.add_row(_t(item["label"]), _t(item["method"]), _t(item["text"]))
            self._news = len(news)


class FacilitatorBody(Vertical):
    DEFAULT_CSS = """
    FacilitatorBody { height: 1fr; }
    FacilitatorBody #columns { height: 1fr; }
    FacilitatorBody #decisions { width: 1fr; height: 1fr; border: round $primary; }
    FacilitatorBody #log { width: 1fr; height: 1fr; border: round $primary; }
    FacilitatorBody #seats { height: auto; max-height: 8; border: round $secondary; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="seats")
        with Horizontal(id="columns"):
            yield DataTable(id="decisions", cursor_type="row", zebra_stripes=True)
            yield RichLog(id="log", wrap=True, markup=False, max_lines=2000)

    def on_mount(self) -> None:
        self._messages = 0
        self.query_one("#seats").border_title = "Seats and codes (x: revoke a code)"
        self.query_one("#decisions").border_title = "Decisions (d: decide for a role)"
        self.query_one("#log").border_title = "Event log (all agencies)"
        table = self.query_one(DataTable)
        for label, width in (("Decision", 28), ("Owner", 12), ("Status", 9), ("Answer", 14), ("By", 14)):
            table.add_column(label, width=width)

    def show(self, view: dict) -> None:
        seated = view.get("seated", {})
        codes = view.get("codes", {})
        text = Text()
        text.append(f"display {codes.get('display', '')} ({seated.get('display', 0)} on)   ")
        for role, code in sorted(codes.get("roles", {}).items()):
            mark = "*" if role in view.get("human_roles", []) else " "
            text.append(f"{role}{mark} {code} ({seated.get(role, 0)} on)   ")
        text.append(f"\nrefused frames: {view.get('refused', 0)}", style="dim")
        if view.get("journal_error"):
            text.append(f"   JOURNAL NOT WRITTEN: {view['journal_error']}", style="bold red")
        self.query_one("#seats", Static).update(text)
        messages = view.get("messages", [])
        log = self.query_one(RichLog)
        for message in messages[self._messages :]:
            log.write(_t(f"MESSAGE {message['sender']} -> {message['to']}: {message['text']}", "bold"))
        self._messages = len(messages)
        table = self.query_one(DataTable)
        table.clear()
        for d in view["world"]["decisions"]:
            option = {o[0]: o[1] for o in d["options"]}.get(d["option"] or "", d["option"] or "")
            table.add_row(_t(d["title"]), _t(d["owner"]), _t(d["status"]), _t(option), _t(d["by"] or ""))

    def add_events(self, events: list[dict]) -> None:
        from sim.events import SimEvent
        from tui.format import describe

        log = self.query_one(RichLog)
        for raw in events:
            try:
                line = describe(SimEvent.from_dict(raw), None)  # type: ignore[arg-type]
            except (ValueError, KeyError):
                line = f"{raw.get('kind')} {raw.get('source')}"
            minutes = float(raw.get("time", 0.0))
            log.write(_t(f"{int(minutes // 1440)}d{int(minutes % 1440 // 60):02d}:{int(minutes % 60):02d}  {line}"))


def role_event_text(event: dict) -> Text:
    kind = event.get("kind")
    if kind == "learned":
        return _t(f"{event.get('label', '')}  from {event.get('from', '')}: {event.get('text', '')}")
    if kind == "decision_pending":
        return _t(f"DECISION WAITING: {event.get('title', '')}", "bold yellow")
    if kind in ("decision_taken", "decision_skipped"):
        return _t(f"Decided {event.get('decision', '')}: {event.get('label', '')} ({event.get('by', '')})")
    if kind == "message_sent":
        return _t(f"You wrote to {event.get('to', '')}: {event.get('text', '')}")
    if kind == "news":
        return _t(f"{event.get('label', '')}  {event.get('method', '')}: {event.get('text', '')}")
    return _t(str(kind))


# ---------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------


class SeatApp(App):
    """One seat. Build with the host's URL and (optionally) a code; it asks when none is given."""

    TITLE = "ttxsim seat"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #clock { height: 1; padding: 0 1; background: $boost; }
    #status { height: auto; padding: 0 1; color: $warning; }
    #body { height: 1fr; }
    #feed { height: 8; border: round $secondary; }
    """
    BINDINGS = [
        Binding("d", "decide", "Decide"),
        Binding("m", "message", "Message"),
        Binding("o", "note", "Note"),
        Binding("space", "toggle_pause", "Pause/run"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+"),
        Binding("minus", "slower", "Slower", key_display="-"),
        Binding("n", "step", "Step"),
        Binding("a", "advance", "+1 h"),
        Binding("i", "inject", "Inject"),
        Binding("j", "adhoc", "Ad hoc"),
        Binding("h", "hold", "Hold"),
        Binding("x", "revoke", "Revoke"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, url: str, code: str | None = None, *, reconnect: bool = True, retry_after: float = 0.5) -> None:
        super().__init__()
        self.url = url
        self.code = code
        self.reconnect = reconnect
        self.retry_after = retry_after
        """Wall seconds before the first attempt to rejoin a dropped host (doubling up to RECONNECT_MAX)."""
        self.joins = 0
        """How many times the host welcomed this seat (more than one: it rejoined)."""
        self.seat: str | None = None
        self.role: str | None = None
        self.view: dict | None = None
        self.ws: Any = None
        self.failed: str | None = None
        """Why the host refused this seat (bad or revoked code), if it did."""
        self._ref = 0
        self.replies: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="clock")
        yield Static(id="status")
        yield Vertical(id="body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.code:
            self.link()
        else:
            self.ask_code()

    def ask_code(self) -> None:
        def got(code: str | None) -> None:
            if code:
                self.code = code
                self.failed = None
                self.link()
            else:
                self.exit()

        self.push_screen(TextDialog("Your join code (from the facilitator)", "ABCDE-FGHJK"), got)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show only the keys this seat may use."""
        role_keys = {"decide", "message", "note"}
        facilitator_keys = {"toggle_pause", "faster", "slower", "step", "advance", "inject", "adhoc", "hold", "revoke"}
        if action in role_keys | facilitator_keys:
            if self.seat == "facilitator":
                return action != "message"  # the facilitator speaks through injects
            return action in role_keys if self.seat == "role" else False
        return True

    # -- the link to the host ----------------------------------------------------
    @work(exclusive=True, group="link")
    async def link(self) -> None:
        from websockets.asyncio.client import connect

        delay = self.retry_after
        while True:
            try:
                async with connect(self.url, max_size=None, open_timeout=10) as ws:
                    await ws.send(json.dumps({"type": "join", "code": self.code}))
                    self.ws = ws
                    async for raw in ws:
                        if not await self.handle(json.loads(raw)):
                            return
                        delay = self.retry_after
            except Exception as error:  # network trouble: keep trying with the same code
                self.set_status(f"Connection to the host lost ({type(error).__name__}); rejoining...")
            self.ws = None
            if self.failed or not self.reconnect:
                return
            self.set_status("Connection to the host lost; rejoining...")
            await asyncio.sleep(delay)
            delay = min(max(delay * 2, 0.1), RECONNECT_MAX)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(_t(text))

    async def handle(self, frame: dict) -> bool:
        """Act on one frame from the host; False ends the link (the code no longer works)."""
        kind = frame.get("type")
        if kind == "welcome":
            self.joins += 1
            self.set_status("")
            if frame["seat"] != self.seat or frame.get("role") != self.role or not self.query("#body > *"):
                self.seat, self.role = frame["seat"], frame.get("role")
                await self._mount_body()
            self.refresh_bindings()
        elif kind == "view":
            self.view = {k: v for k, v in frame.items() if k != "type"}
            self._show()
        elif kind == "update":
            if "view" in frame:
                self.view = frame["view"]
            elif self.view is not None:
                self.view["clock"] = frame["clock"]
            self._events(frame.get("events", []))
            self._show()
        elif kind == "ack":
            if frame.get("ref") is not None:
                self.replies[str(frame["ref"])] = frame
            if frame.get("code") and frame.get("seat"):
                self.notify(f"New code for {frame.get('role') or frame['seat']}: {frame['code']}", timeout=30)
        elif kind == "error":
            if frame.get("ref") is not None:
                self.replies[str(frame["ref"])] = frame
            if frame.get("code") in ("bad_code", "revoked"):
                self.failed = frame.get("message", "refused")
                self.set_status(f"{self.failed} Ask the facilitator for a code.")
                self.call_later(self.ask_code)
                return False
            self.notify(_t(frame.get("message", "refused")), title="Not done", severity="error")
        return True

    async def _mount_body(self) -> None:
        body = self.query_one("#body")
        await body.remove_children()
        widget = {"role": RoleBody, "display": DisplayBody}.get(self.seat or "", FacilitatorBody)()
        await body.mount(widget)
        if self.seat == "role":
            feed = RichLog(id="feed", wrap=True, markup=False, max_lines=500)
            feed.border_title = "What reached you, newest last"
            await body.mount(feed)
        self.title = f"ttxsim - {self.role or self.seat}"

    def _show(self) -> None:
        if self.view is None:
            return
        who = f"{self.role} seat" if self.seat == "role" else f"{self.seat} seat"
        self.query_one("#clock", Static).update(clock_line(self.view["clock"], who))
        bodies = self.query("RoleBody, DisplayBody, FacilitatorBody")
        if bodies:
            bodies.first().show(self.view)  # type: ignore[attr-defined]

    def _events(self, events: list[dict]) -> None:
        if not events:
            return
        if self.seat == "facilitator":
            for body in self.query(FacilitatorBody):
                body.add_events(events)
        elif self.seat == "role":
            for feed in self.query("#feed"):
                for event in events:
                    feed.write(role_event_text(event))  # type: ignore[attr-defined]

    async def send(self, frame: dict) -> str | None:
        """Send an action; returns its ref (the reply arrives as a frame)."""
        if self.ws is None:
            self.notify("Not connected to the host.", severity="warning")
            return None
        self._ref += 1
        ref = f"s{self._ref}"
        try:
            await self.ws.send(json.dumps({**frame, "ref": ref}))
        except Exception:
            self.notify("Not connected to the host.", severity="warning")
            return None
        return ref

    # -- role and facilitator actions ------------------------------------------------
    def _pending(self) -> list[dict]:
        if self.view is None:
            return []
        if self.seat == "facilitator":
            return [
                {
                    "id": d["id"],
                    "title": f"{d['owner']}: {d['title']}",
                    "options": [{"id": o[0], "label": o[1]} for o in d["options"]],
                }
                for d in self.view["world"]["decisions"]
                if d["status"] == "pending"
            ]
        return self.view.get("pending", [])

    def action_decide(self) -> None:
        pending = self._pending()
        if not pending:
            self.notify("No decision is waiting.")
            return

        def chosen(decision_id: str | None) -> None:
            decision = next((d for d in pending if d["id"] == decision_id), None)
            if decision is None:
                return
            items = []
            for option in decision["options"]:
                text = Text(option["label"], style="bold")
                if option.get("consequence"):
                    text.append(f"  {option['consequence']}", style="italic")
                items.append((option["id"], text))

            async def answer(option: str | None) -> None:
                if option:
                    await self.send({"type": "decide", "decision": decision["id"], "option": option})

            self.push_screen(PickDialog(decision["title"], items), answer)

        if len(pending) == 1:
            chosen(pending[0]["id"])
        else:
            self.push_screen(PickDialog("Which decision?", [(d["id"], d["title"]) for d in pending]), chosen)

    def action_message(self) -> None:
        if self.view is None or self.seat != "role":
            return
        directory = [(a["id"], f"{a.get('role') or a['name']} ({a['name']})") for a in self.view["directory"]]

        def to(agency: str | None) -> None:
            if not agency:
                return

            async def text(body: str | None) -> None:
                if body:
                    await self.send({"type": "message", "to": agency, "text": body})

            self.push_screen(TextDialog(f"Message to {agency} (travels over the modelled channels)"), text)

        self.push_screen(PickDialog("Send a message to", directory), to)

    def action_note(self) -> None:
        async def noted(text: str | None) -> None:
            if text:
                await self.send({"type": "note", "text": text})

        self.push_screen(TextDialog("Note for the record"), noted)

    async def action_toggle_pause(self) -> None:
        if self.view is not None:
            await self.send({"type": "resume" if self.view["clock"]["paused"] else "pause"})

    async def _speed(self, factor: float) -> None:
        if self.view is not None:
            value = min(2880.0, max(0.1, self.view["clock"]["minutes_per_second"] * factor))
            await self.send({"type": "speed", "minutes_per_second": value})

    async def action_faster(self) -> None:
        await self._speed(3.0)

    async def action_slower(self) -> None:
        await self._speed(1 / 3)

    async def action_step(self) -> None:
        await self.send({"type": "step"})

    async def action_advance(self) -> None:
        await self.send({"type": "advance", "minutes": 60})

    def action_inject(self) -> None:
        if self.view is None or self.seat != "facilitator":
            return
        fired = {i["id"] for i in self.view["world"]["injects"] if i["fired_at"] is not None}
        items = [
            (i["id"], f"{i['id']}{' (fired)' if i['id'] in fired else ''}: {i['synopsis']}")
            for i in self.view["library"]
        ]

        async def fire(inject_id: str | None) -> None:
            if inject_id:
                await self.send({"type": "inject", "id": inject_id})

        self.push_screen(PickDialog("Fire an inject now", items), fire)

    def action_adhoc(self) -> None:
        """Write an inject on the spot: who receives it, then what they are told."""
        if self.view is None or self.seat != "facilitator":
            return
        agencies = [(a["id"], f"{a['name']} ({a['id']})") for a in self.view["world"]["agencies"]]
        used = {i["id"] for i in self.view["library"]} | {i["id"] for i in self.view["world"]["injects"]}

        def to(agency: str | None) -> None:
            if not agency:
                return

            async def told(synopsis: str | None) -> None:
                if not synopsis:
                    return
                n = 1
                while f"adhoc{n}" in used:
                    n += 1
                inject = {"id": f"adhoc{n}", "on_demand": True, "to": [agency], "synopsis": synopsis}
                await self.send({"type": "inject", "inject": {**inject, "method": "facilitator"}})
                used.add(f"adhoc{n}")

            self.push_screen(TextDialog(f"Ad-hoc inject to {agency}: what they are told"), told)

        self.push_screen(PickDialog("Ad-hoc inject: who receives it?", agencies), to)

    def action_hold(self) -> None:
        if self.view is None or self.seat != "facilitator":
            return
        held = set(self.view["clock"].get("held_for", []))
        items = [("-release-", "Release the hold")] + [
            (r["id"], f"{'[held] ' if r['id'] in held else ''}{r['role']} ({r['id']})") for r in self.view["roles"]
        ]

        async def hold(role: str | None) -> None:
            if role is None:
                return
            roles = [] if role == "-release-" else sorted(held ^ {role})
            await self.send({"type": "hold", "roles": roles})

        self.push_screen(PickDialog("Hold the clock until this role answers (again to release)", items), hold)

    def action_revoke(self) -> None:
        if self.view is None or self.seat != "facilitator":
            return
        codes = self.view["codes"]
        items = [(codes["display"], "display")] + [(code, role) for role, code in sorted(codes["roles"].items())]

        async def revoke(code: str | None) -> None:
            if code:
                await self.send({"type": "revoke", "code": code})

        self.push_screen(PickDialog("Revoke which seat's code? (it gets a new one)", items), revoke)


def run_seat(url: str, code: str | None) -> int:
    app = SeatApp(url, code)
    app.run()
    if app.failed and not app.code:
        return 2
    return 0
