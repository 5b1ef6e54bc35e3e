"""Shared code of the Speak Pho Real backend, shipped to every Lambda as a layer."""
