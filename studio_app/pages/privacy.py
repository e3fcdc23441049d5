"""The privacy policy. Versioned policy documents replace this text in the privacy-center issue."""

import reflex as rx

from studio_app import routes
from studio_app.components.layout import public_page

POLICY = """
# Privacy policy

Azekia Studio helps video creators and the editors they hire run each video together. This page says
what we do with personal data, in plain words.

## What we keep and why
- **Your account**: email address, display name and role, to let you sign in and work with others.
- **Your projects**: briefs, messages, files and review comments, to provide the service you asked for.
- **Technical data**: the address and browser of each session, to show you where you are signed in
  and keep your account safe; erased after 90 days (or the period the operator configured).

## How we protect it
- Personal data and the tokens of connected accounts (TikTok, Discord) are encrypted at rest.
- Passwords are stored only as salted and peppered hashes.
- No advertising trackers and no analytics sent to third parties; only strictly necessary cookies
  (see the cookies page).

## Your rights
You can access, correct, export and delete your data, and withdraw any consent, from the privacy
center of your account, in a few clicks.
"""


@rx.page(route=routes.PRIVACY_POLICY, title="Privacy policy · Azekia Studio")
def privacy_policy() -> rx.Component:
    return public_page(rx.box(rx.markdown(POLICY, use_raw=False), max_width="44rem", padding_y="3rem"))
