"""Back-office tests: pages in real Chromium, and the same rules through TestClient."""
