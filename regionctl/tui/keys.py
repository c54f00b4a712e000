"""The dashboard's keys in words: the help screen's lines and the command palette's titles."""

from __future__ import annotations

# What each binding's action does (the help screen lists them in the bindings' order).
EXPLAIN: dict[str, str] = {
    "pick_fault": "inject a fault: kind → target → predicted blast radius → confirm",
    "heal_one": "heal one injected fault (choose which)",
    "heal_all": "heal every injected fault",
    "toggle_pause": "pause / resume the simulated clock (and any runbook waiting on it)",
    "switch_view": "small terminal: switch view (overview → topology → blast radius → runbook)",
    "faster": "run the simulated clock faster (×0.25 … ×60)",
    "slower": "run the simulated clock slower",
    "choose_runbook": "choose a runbook and run it step by step or to the end",
    "runbook_next": "runbook: run the next step",
    "runbook_continue": "runbook: run the remaining steps without stopping",
    "runbook_stop": "runbook: stop it (its rollback steps run, then the faults it injected are healed)",
    "filter_cluster": "events: one cluster's lines (with the estate's), each in turn, then all",
    "filter_severity": "events: every severity → warnings and errors → errors only",
    "focus_log": "events: scroll the log (↑ ↓ PgUp PgDn Home; End follows the latest line again)",
    "history": "history: lag, availability, write latency over the whole run, faults, failovers and "
               "consistency anomalies marked (m metric · ↑↓ series · ←→ anomaly · Enter its operations)",
    "rewind": "rewind: replay this session so far in a time scrubber (the live clock pauses meanwhile)",
    "help": "this help",
    "request_quit": "quit (asks first while faults are injected or a runbook runs)",
}

# The command palette's title for each action (its help line is the action's EXPLAIN).
PALETTE_TITLES: dict[str, str] = {
    "pick_fault": "Inject a fault", "heal_one": "Heal a fault", "heal_all": "Heal all faults",
    "toggle_pause": "Pause / resume", "switch_view": "Switch view (small terminal)",
    "faster": "Faster", "slower": "Slower",
    "choose_runbook": "Run a runbook", "runbook_next": "Runbook: next step",
    "runbook_continue": "Runbook: run to the end", "runbook_stop": "Runbook: stop",
    "filter_cluster": "Events: filter by cluster", "filter_severity": "Events: filter by severity",
    "focus_log": "Events: scroll the log", "history": "History chart (lag, availability, latency)",
    "rewind": "Rewind: replay this session",
    "help": "Help: keys and faults", "request_quit": "Quit regionctl",
}


def key_label(key: str) -> str:
    """A binding's keys as the help screen prints them: question_mark,equals_sign -> ? =."""
    label = key.replace("question_mark", "?").replace("equals_sign", "=").replace("underscore", "_")
    label = label.replace("left_square_bracket", "[").replace("right_square_bracket", "]")
    return label.replace("plus", "+").replace("minus", "-").replace(",", " ")


def step_speed(speeds: tuple[float, ...], current: float, faster: bool) -> float | None:
    """The next speed up or down the ladder from `current`; None at its end (nothing changes)."""
    if faster:
        return next((s for s in speeds if s > current), None)
    return next((s for s in reversed(speeds) if s < current), None)
