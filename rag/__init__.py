"""Grounded answers over the hospital's documents: ingestion, hybrid retrieval, answering, verification.

The public entry point is :class:`rag.knowledge.KnowledgeBase`; only :mod:`rag.index` imports chromadb.
"""
