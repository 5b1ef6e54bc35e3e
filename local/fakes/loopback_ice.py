"""WebRTC on 127.0.0.1 only, for the fake OpenAI Realtime and the tests' WebRTC clients (aiortc).

aiortc's ICE agent (aioice) gathers a host candidate on every interface address except
127.0.0.1, and asks Google's STUN server by default. Neither may happen here (the network is
loopback only), and aioice has no option for it (aiortc/aioice#2 is still open; aiortc#51:
"pass an RTCConfiguration with iceServers=[]"). So:

  * `use_loopback_only()` makes aioice's one source of host addresses (aioice.ice.
    get_host_addresses, called by Connection.gather_candidates) answer 127.0.0.1 alone, for
    this process: the ICE agents bind their UDP sockets there and offer/answer only it;
  * `new_peer_connection()` has no ICE servers: no STUN or TURN candidates, no traffic out;
  * `loopback_candidates_only(sdp)` drops a remote description's candidates that are not
    127.0.0.1 (a browser's LAN address or mDNS `.local` name, which aioice would resolve by
    multicast), so that no connectivity check goes anywhere else. A peer behind such
    candidates still connects: its checks reach our 127.0.0.1 candidate and ICE learns it as
    peer-reflexive.

Only local/ and tests/ import this; the deployed code never does.
"""
from __future__ import annotations

import re

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

LOOPBACK = "127.0.0.1"
# a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ ", re.MULTILINE)


def _loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return [LOOPBACK]


def use_loopback_only() -> None:
    """From now on this process's ICE agents gather 127.0.0.1 alone (idempotent)."""
    aioice.ice.get_host_addresses = _loopback_addresses


def new_peer_connection() -> RTCPeerConnection:
    use_loopback_only()
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def candidate_addresses(sdp: str) -> list[str]:
    """The address of every a=candidate line."""
    return CANDIDATE.findall(sdp)


def loopback_candidates_only(description: RTCSessionDescription) -> RTCSessionDescription:
    """The description without the candidates we must not send checks to."""
    kept = [line for line in description.sdp.splitlines()
            if not line.startswith("a=candidate:") or candidate_addresses(line) == [LOOPBACK]]
    return RTCSessionDescription(sdp="\r\n".join(kept) + "\r\n", type=description.type)
