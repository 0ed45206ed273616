"""GrokDesk: a native desktop chat client for xAI's Grok models."""

__version__ = "0.1.0"
