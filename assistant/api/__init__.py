"""HTTP and WebSocket routers (thin) and their request/response models."""
