"""Widgets of the console. They render view data pushed down by the screen and
post messages up; none of them calls the Simulation."""
