"""Optional LLM back end: any OpenAI-compatible chat endpoint with tool calling.

client   ``ChatClient``: POST {base_url}/chat/completions (Qwen via DashScope's compatible
         mode, vLLM, Ollama, a llama.cpp server), set by base URL, model and key
agent    ``LLMShopper``: the model acts only through ``ShoppingTools``, so it can never
         pay outside a credential the person signed
"""
