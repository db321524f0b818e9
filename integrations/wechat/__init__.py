"""WeChat Official Account channel: callback crypto, message parsing, passive replies, the outgoing API
client and the adapter between the wire and the engine (see assistant/api/wechat.py for the routes)."""
