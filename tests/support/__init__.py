"""Test helpers that more than one test package uses, each written once.

``tls``: a self-signed certificate made with the openssl CLI; ``websocket``: hand-made
WebSocket frames and the server WebSocket's handshake messages; ``convergence``: the
random operations, seed and waiting of the convergence property's tests.
"""
