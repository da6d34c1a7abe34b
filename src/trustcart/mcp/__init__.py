"""MCP shell: the assistant's shopping tools served over the Model Context Protocol.

server   ``create_server(tools)``: an ``MCPServer`` with the shopping tools
"""
