"""The language model: one OpenAI-compatible client (client.py), the embedded llama.cpp server
(embedded.py) and the production vLLM launcher (vllm.py)."""
