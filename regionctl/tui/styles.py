"""The dashboard's stylesheet (inline: nothing to ship as package data)."""

CSS = """
#header { height: 1; background: $boost; }
#top { height: auto; }
#map { width: 1fr; height: 8; border: round $accent; padding: 0 1; }
#leaders { width: 80; height: auto; max-height: 16; border: round $accent; overflow-x: hidden; }
#replication { height: auto; max-height: 30%; min-height: 6; border: round $accent; overflow-x: hidden; }
#lower { height: 1fr; min-height: 12; }
#slo { width: 52; height: 100%; border: round $accent; padding: 0 1; }
#blast { width: 2fr; height: 100%; border: round $accent; padding: 0 1; overflow-y: auto; }
#runbook { width: 3fr; height: 100%; border: round $accent; }
#runbook-status { height: auto; padding: 0 1; }
#runbook-steps { height: 1fr; overflow-x: hidden; }
#events { height: 1fr; min-height: 6; border: round $accent; }
#incidents { height: auto; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
#event-log { height: 1fr; overflow-x: hidden; scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
#event-log:focus { background-tint: $accent 8%; }
DataTable { scrollbar-size-vertical: 1; }
.modal { width: 90; max-width: 95%; height: auto; max-height: 90%; border: thick $accent; background: $panel;
         padding: 1 2; }
.modal.danger { border: thick $error; }
/* A dialog over the live dashboard: it shows through, dimmed, and goes on ticking; centred at 90% of the
   height at most, the dialog keeps off the header line (clock, SLO verdict, fault count), even at 80x24. */
ModalScreen { align: center middle; background: $background 55%; }
.modal-title { text-style: bold; margin-bottom: 1; }
.hint { color: $text-muted; margin-top: 1; }
#kinds, #targets { height: auto; max-height: 20; }
ChoiceScreen OptionList { height: auto; max-height: 55vh; }  /* scrolls: the title and the hint stay in view */
#preview { height: auto; margin-top: 1; }
#confirm { height: auto; }
#picker-title { text-style: bold; margin-bottom: 1; }
.help { width: 100; }
"""
