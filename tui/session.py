"""The console's session: the one input door now lives in the headless core.

`sim.session.door.Session` is the door every input passes through, for the
console (`ttxsim play`), the session host (`ttxsim host`) and the journal
alike; this module keeps the console's imports working by re-exporting
`sim.session`'s names (listed once, there).
"""

from sim.session import *  # noqa: F403 - the same names, said once in sim.session
from sim.session import __all__  # noqa: F401
