"""What belongs to the person signed in rather than to messages: where each role starts (`/`),
the links the top bar offers them, and their time zone (a profile and the middleware that
activates it)."""
