"""Phone line adapters: Asterisk AudioSocket and a Twilio-style media-stream WebSocket."""
