"""The xAI REST client on httpx: streaming chat, model lists, tokenize, key check, errors, retries. No Qt."""
