"""Wire-level fake of the Kantata OX API v1 (formerly Mavenlink), for tests and the demo."""
