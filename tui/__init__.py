"""The facilitator console (`ttxsim play`): a Textual front end over `sim.Simulation`.

Importing `tui` does not import Textual; `tui.app` does.
"""
