"""satchel packagers for LangChain: prompt templates and chat messages as LangChain's own JSON.

This module stays light: LangChain is imported only inside the packagers' methods.
"""

from __future__ import annotations

from satchel_langchain.packagers import LangChainPackager

__all__ = ["LangChainPackager"]
