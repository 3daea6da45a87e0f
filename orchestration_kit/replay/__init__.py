"""Replay: record real model calls once in a cassette, then replay them offline on the virtual clock."""
