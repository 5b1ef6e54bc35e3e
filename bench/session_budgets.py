"""The request budgets of the session calls that read a live session's event batches, in one
place (docs/metering.md "Client events"; speakpho.metering.events, .fold).

A live session's events wait in items of their own, one per events call (table session_events),
so that a call writes what its new events weigh; the close of the session folds them into its
story. That costs reads, never writes:
    END_REQUESTS     an end of a live session: the session read, its batches read (to fold them
                     and count their outages), the commit, and its batches read once more after
                     the commit (an events call that wrote its batch meanwhile), plus the
                     transcript's and the corrections' batches
    EVENTS_REQUESTS  an events call on a live session: the session read (whose, live, its span),
                     its batches read (repeats, the count), the batch put, the status read again
    EVENTS_REPEAT_REQUESTS  a call whose events are all recorded: the two reads
"""
END_REQUESTS = 4
EVENTS_REQUESTS = 4
EVENTS_REPEAT_REQUESTS = 2
