"""Screens of the console: briefing, exercise, modals, debrief."""
