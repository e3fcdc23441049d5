"""Azekia Studio: producers and video editors, from raw footage to publication."""
