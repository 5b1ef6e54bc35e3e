"""What a browser does first in OpenAI's unified interface, for the tools and tests that play
the browser (make try-providers, make bench, the tests): a peer connection on 127.0.0.1 only
with a microphone track (a tone) and the `oai-events` data channel, its offer made and set."""
from __future__ import annotations

from local.fakes.loopback_ice import new_peer_connection
from local.fakes.openai_voice import ToneTrack


async def browser_offer():
    """The peer connection, its local description (the offer) set: send `pc.localDescription.sdp`."""
    pc = new_peer_connection()
    pc.addTrack(ToneTrack())
    pc.createDataChannel("oai-events")
    await pc.setLocalDescription(await pc.createOffer())
    return pc
