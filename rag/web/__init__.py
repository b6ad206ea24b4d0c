"""The chat page's own HTML, CSS and JavaScript (no build step, no third-party code), served at `/`."""
