"""The checking itself, usable alone: options, input lines, URL checks, fetching with
deadlines and host limits, the ordered pool, and the results it yields."""
